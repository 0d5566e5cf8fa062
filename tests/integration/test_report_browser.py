"""The HTML audit page in a real browser: headless Chromium renders it, its DOM holds the counts, the screenshot
is a real picture with the bars in it.

Chromium comes from Debian (``tools/ensure-chromium`` installs it when missing and running as root; ``CHROMIUM``
may name another binary).
"""

from __future__ import annotations

import os
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from unit.utils.reference import reference_gvlk

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._files import write_reports
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import STATUS_COLOURS

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 2000
HOSTILE = "<script>document.body.remove()</script>"

# host, status, edition_id, build, key type before
FLEET = [
    ("srv2022-dc-01", "compliant", "ServerDatacenter", 20348, "gvlk"),
    ("srv2022-dc-02", "compliant", "ServerDatacenter", 20348, "gvlk"),
    ("srv2022-std-01", "compliant", "ServerStandard", 20348, "gvlk"),
    ("srv2019-std-01", "would_convert", "ServerStandard", 17763, "mak"),
    ("srv2019-std-02", "would_convert", "ServerStandard", 17763, "retail"),
    ("win11-pro-01", "would_convert", "Professional", 22631, "oem"),
    ("win11-pro-02", "would_convert", "Professional", 22631, "oem"),
    ("win10-ent-01", "would_convert", "Enterprise", 19045, "mak"),
    ("srv2016-kms", "is_kms_host", "ServerStandard", 14393, "csvlk"),
    (HOSTILE, "failed", "ServerStandard", 17763, "mak"),
]


def _results() -> dict:
    results: dict = {}
    for host, status, edition_id, build, before in FLEET:
        gvlk = reference_gvlk(edition_id, build)
        results[host] = {
            "changed": status == "would_convert",
            "failed": status == "failed",
            "status": status,
            "msg": f"{status}: {edition_id} on build {build}",
            "edition": {"id": edition_id, "name": edition_id, "build": build},
            "gvlk": gvlk,
            "key_type": {"before": before, "after": "gvlk" if status in ("compliant", "would_convert") else before},
            "partial_product_key": {
                "before": "Q7X3B" if before != "gvlk" else gvlk[-5:],
                "after": gvlk[-5:] if status in ("compliant", "would_convert") else "Q7X3B",
            },
            "license_status": {"before": "licensed", "after": "licensed"},
            "kms": {"machine": "kms01.corp.example.com", "port": 1688},
        }
    results["srv-down"] = {"unreachable": True, "msg": "winrm: connection refused"}
    results["srv-never"] = None
    return results


EXPECTED_STATUS = Counter([spec[1] for spec in FLEET] + ["unreachable", "not_run"])
# Every host is counted: the unreachable host and the one that never ran as not_read.
EXPECTED_KEY_TYPES = Counter([spec[4] for spec in FLEET] + ["not_read", "not_read"])


@pytest.fixture(scope="module")
def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        helper = subprocess.run(
            [str(REPO / "tools" / "ensure-chromium")],
            capture_output=True,
            text=True,
            env=os.environ | {"CHROMIUM": CHROMIUM},
            check=False,
        )
        if helper.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
            pytest.fail(
                f"{CHROMIUM} is missing and tools/ensure-chromium could not install it "
                f"(run it as root, or set CHROMIUM):\n{helper.stdout}{helper.stderr}"
            )
    return CHROMIUM


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("report")
    paths = write_reports(str(dest), ["html"], _results(), "check", "2025-06-25T14:03:07Z")[1]
    return Path(paths["html"])


def _chromium(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--force-color-profile=srgb",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert completed.returncode == 0, f"{' '.join(command)}\n{completed.stdout}\n{completed.stderr}"
    return completed


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.charts: dict[str, list[str]] = {}
        self.row_headers: list[str] = []
        self.headline = ""
        self._caption = ""
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in.append(tag if ("class", "headline") not in attrs else "headline")
        if tag == "th" and ("scope", "row") in attrs:
            self.row_headers.append("")

    def handle_endtag(self, tag):
        while self._in and self._in.pop() not in (tag, "headline"):
            pass

    def handle_data(self, data):
        if self._in and self._in[-1] == "headline":
            self.headline += data
        elif self._in and self._in[-1] == "figcaption":
            self._caption = data
            self.charts[data] = []
        elif self._in and self._in[-1] == "text" and "svg" in self._in:
            self.charts[self._caption].append(data)
        elif self._in and self._in[-1] == "th" and self.row_headers:
            self.row_headers[-1] += data


def test_rendered_dom_holds_the_counts(chromium, page, tmp_path):
    completed = _chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    dom = _Dom()
    dom.feed(completed.stdout)
    counts = {
        caption: {n: int(c) for n, c in zip(texts[::2], texts[1::2], strict=False)}
        for caption, texts in dom.charts.items()
    }
    assert counts["Hosts by status"] == dict(EXPECTED_STATUS)
    assert counts["Key type before"] == dict(EXPECTED_KEY_TYPES)
    assert sum(counts["Activation method"].values()) == len(FLEET) + 2
    assert dom.headline.startswith("3 of 12 hosts are KMS clients"), dom.headline
    assert "script" not in dom.tags, "a host name must never become markup"
    assert HOSTILE in dom.row_headers
    # Every host once in the host table, and those that need attention once more, first, in their own table.
    attention = [spec[0] for spec in FLEET if spec[1] in ("is_kms_host", "failed")] + ["srv-down", "srv-never"]
    assert len(dom.row_headers) == len(FLEET) + 2 + len(attention)
    first = dom.row_headers[: len(attention)]  # (the column headers that follow run into the last one's text)
    assert all(any(header.startswith(host) for header in first) for host in attention), first


def _png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, bytes per pixel and the unfiltered pixel rows of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour_type, _compression, _filter, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels = bytearray()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=False))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        pixels += line
        previous = line
    return width, height, channels, bytes(pixels)


def test_screenshot_is_a_real_picture_with_the_bars(chromium, page, tmp_path):
    screenshot = tmp_path / "report.png"
    _chromium(
        chromium, tmp_path / "profile", f"--screenshot={screenshot}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri()
    )
    width, height, channels, pixels = _png_pixels(screenshot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    colours = Counter(pixels[i : i + 3] for i in range(0, len(pixels), channels))
    background, share = colours.most_common(1)[0]
    assert background == b"\xff\xff\xff", "the page background is white"
    assert len(colours) > 50, "a page with text and charts has many colours (anti-aliasing included)"
    assert share < 0.97 * width * height, "the page is not blank"
    for status in EXPECTED_STATUS:
        bar_colour = bytes.fromhex(STATUS_COLOURS[status][0][1:])
        assert colours[bar_colour] > 100, f"the {status} bar is drawn"
