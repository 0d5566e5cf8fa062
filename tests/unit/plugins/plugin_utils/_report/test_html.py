"""The report as one self-contained HTML page, read back with an HTML parser."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from unit.utils.report_fleet import (
    EXPECTED_STATUS,
    GENERATED,
    fleet_results,
    small_fleet,
)

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _model as model
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import render_html
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import unreachable_message
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STATUS_GUIDE, Status


class _Page(HTMLParser):
    """Collects tags, attributes, SVG bar texts per chart, and the host table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.charts: dict[str, list[str]] = {}
        self.cells: list[list[str]] = []
        self._caption: str | None = None
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self._in.append(tag)
        if tag == "tr":
            self.cells.append([])
        elif tag in ("td", "th") and self.cells:
            self.cells[-1].append("")

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if "figcaption" in self._in:
            self._caption = data
            self.charts[data] = []
        elif "text" in self._in and "svg" in self._in:
            self.charts[self._caption].append(data)
        elif ("td" in self._in or "th" in self._in) and self.cells:
            self.cells[-1][-1] += data


def _host_rows(page: _Page) -> dict[str, list[str]]:
    """Host table rows by host name: the nine cells of the host's row, then its message row's text."""
    host_rows: dict[str, list[str]] = {}
    current: list[str] | None = None
    for cells in page.cells[page.cells.index(_host_header(page)) + 1 :]:
        if len(cells) == 9:
            current = host_rows.setdefault(cells[0], list(cells))
        elif len(cells) == 1 and current is not None:
            current.append(cells[0])
    return host_rows


def _host_header(page: _Page) -> list[str]:
    return next(cells for cells in page.cells if cells[:4] == ["Host", "Status", "Edition", "Build"])


def _page(report: dict) -> _Page:
    page = _Page()
    page.feed(render_html(report))
    page.close()
    return page


def _pairs(texts: list[str]) -> dict[str, int]:
    return {name: int(count) for name, count in zip(texts[::2], texts[1::2], strict=False)}


def test_html_charts_show_the_counts_as_text(report):
    page = _page(report)
    assert _pairs(page.charts["Hosts by status"]) == dict(Counter(EXPECTED_STATUS.values()))
    assert _pairs(page.charts["Key type before"]) == report["key_types"]["before"]
    assert "Key type after" not in page.charts
    applied = _page(model.build_report(fleet_results(), "apply", GENERATED))
    assert _pairs(applied.charts["Key type after"]) == report["key_types"]["after"]


def test_html_host_table(report):
    page = _page(report)
    header = _host_header(page)
    assert len(header) == 9
    rows = _host_rows(page)
    assert {host: cells[1] for host, cells in rows.items()} == EXPECTED_STATUS
    assert rows["srv-down"][9] == unreachable_message(fleet_results()["srv-down"]["msg"])


def test_html_is_self_contained(report):
    html = render_html(report)
    page = _page(report)
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert not [value for name, value in page.attributes if name in ("src", "href")]
    assert "url(" not in html and "@import" not in html
    assert page.tags.count("svg") == 2


def test_html_escapes_everything_from_hosts():
    hostile = "<script>alert(1)</script>"
    status = 'x" onmouseover="alert(2)'
    report = model.build_report(
        {hostile: {"status": "failed", "msg": "<img src=x onerror=alert(3)>"}, "h2": {"status": status, "msg": "ok"}},
        "check",
        GENERATED,
    )
    html = render_html(report)
    page = _page(report)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [name for name, _value in page.attributes if name.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    rows = _host_rows(page)
    assert rows[hostile][9] == "<img src=x onerror=alert(3)>"
    assert rows["h2"][1] == status


def test_html_marks_status_with_text_and_colour(report):
    html = render_html(report)
    for status in set(EXPECTED_STATUS.values()):
        assert re.search(rf'<span class="badge" style="[^"]+">{status}</span>', html)


def test_html_opens_with_the_hosts_that_need_attention_and_ends_with_the_legend() -> None:
    report = model.build_report(small_fleet(), "apply", GENERATED)
    html = render_html(report)
    assert html.index("Needs attention (4)") < html.index("<h2>Summary</h2>") < html.index("<h2>Legend</h2>")
    assert STATUS_GUIDE[Status.UNREACHABLE].todo.replace("'", "&#x27;") in html
