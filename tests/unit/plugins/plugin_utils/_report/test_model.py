"""The fleet audit report: rows and summaries from registered results, and each output format read back."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _model as model
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import render_html
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import host_row, unreachable_message
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import (
    CSV_COLUMNS,
    render_csv,
    render_json,
    render_markdown,
)

KEY_TABLE = Path(__file__).parents[3] / "fixtures" / "windows_editions_gvlk.csv"
GENERATED = "2025-06-25T14:03:07Z"


def published_gvlk(edition_id: str, build: int) -> str | None:
    """Microsoft's key for the edition on that build, from the reference table (None when it has none)."""
    with KEY_TABLE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["edition_id"] == edition_id and str(build) in row["builds"].split(";"):
                return row["gvlk"] or None
    raise LookupError(f"{edition_id} {build} is not in the reference table")


# host, status, edition_id, edition name, build, key type before/after, partial key before,
# license status before/after, changed
FLEET = [
    (
        "srv2022-dc-01",
        "compliant",
        "ServerDatacenter",
        "Windows Server 2022 Datacenter",
        20348,
        "gvlk",
        "gvlk",
        None,
        "licensed",
        "licensed",
        False,
    ),
    (
        "srv2019-std-01",
        "would_convert",
        "ServerStandard",
        "Windows Server 2019 Standard",
        17763,
        "mak",
        "gvlk",
        "Q7X3B",
        "licensed",
        "licensed",
        True,
    ),
    (
        "srv2019-std-02",
        "would_convert",
        "ServerStandard",
        "Windows Server 2019 Standard",
        17763,
        "retail",
        "gvlk",
        "K2P8W",
        "licensed",
        "licensed",
        True,
    ),
    (
        "win11-pro-01",
        "converted",
        "Professional",
        "Windows 11 Pro",
        22631,
        "oem",
        "gvlk",
        "F6YP2",
        "licensed",
        "licensed",
        True,
    ),
    (
        "win10-ent-01",
        "activation_failed",
        "Enterprise",
        "Windows 10 Enterprise",
        19045,
        "mak",
        "gvlk",
        "M4RK9",
        "licensed",
        "oob_grace",
        True,
    ),
    (
        "srv2016-kms",
        "is_kms_host",
        "ServerStandard",
        "Windows Server 2016 Standard",
        14393,
        "csvlk",
        "csvlk",
        "T9DD3",
        "licensed",
        "licensed",
        False,
    ),
    (
        "srv2022-eval",
        "evaluation_edition",
        "ServerDatacenterEval",
        "Windows Server Datacenter Evaluation (Desktop Experience)",
        20348,
        "eval",
        "eval",
        "WQ4RP",
        "licensed",
        "licensed",
        False,
    ),
    (
        "srv2019-failed",
        "failed",
        "ServerStandard",
        "Windows Server 2019 Standard",
        17763,
        "mak",
        "mak",
        "H7H2C",
        "licensed",
        "licensed",
        False,
    ),
]


def module_result(
    host: str,
    status: str,
    edition_id: str,
    name: str,
    build: int,
    before: str,
    after: str,
    partial_before: str | None,
    license_before: str,
    license_after: str,
    changed: bool,
) -> dict:
    """A result shaped as volume_activation.kms.kms_client_key registers it."""
    gvlk = published_gvlk(edition_id, build)
    if partial_before is None:
        partial_before = gvlk[-5:]
    return {
        "changed": changed,
        "failed": status in ("failed", "activation_failed"),
        "msg": f"{host}: {status} | edition {edition_id}",
        "status": status,
        "edition": {
            "id": edition_id,
            "name": name,
            "family": "Windows",
            "build": build,
            "caption": name,
            "installation_type": "Server",
        },
        "gvlk": gvlk,
        "key_type": {"before": before, "after": after},
        "partial_product_key": {
            "before": partial_before,
            "after": gvlk[-5:] if after == "gvlk" and gvlk else partial_before,
        },
        "license_status": {"before": license_before, "after": license_after},
        "kms": {
            "machine": "kms01.corp.example.com",
            "port": 1688,
            "lookup_domain": None,
            "discovered_machine": None,
            "discovered_port": None,
        },
        "activation": {
            "attempted": status == "activation_failed",
            "hresult": "0xC004F074" if status == "activation_failed" else None,
            "symbol": None,
            "message": None,
        },
    }


def fleet_results() -> dict:
    results = {spec[0]: module_result(*spec) for spec in FLEET}
    results["win11-home"] = {
        "changed": False,
        "failed": False,
        "status": "unsupported_edition",
        "msg": "no published key for Core",
        "edition": {"id": "Core", "name": "Windows 11 Home", "build": 22631},
        "gvlk": None,
        "key_type": {"before": "oem", "after": "oem"},
        "partial_product_key": {"before": "B3JTX", "after": "B3JTX"},
        "license_status": {"before": "licensed", "after": "licensed"},
        "kms": None,
    }
    results["pc-mystery"] = {
        "changed": False,
        "status": "unknown_edition",
        "msg": "EditionID Foo unknown",
        "edition": {"id": "Foo", "name": None, "build": "99999"},
        "key_type": {"before": "unknown", "after": "unknown"},
    }
    results["srv-skipped"] = {"changed": False, "status": "skipped", "msg": "state=absent"}
    results["srv-down"] = {
        "unreachable": True,
        "changed": False,
        "msg": "winrm connection error: [Errno 111] Connection refused",
    }
    results["srv-early-fail"] = {"failed": True, "changed": False, "msg": "kms_port must be between 1 and 65535"}
    results["srv-when-false"] = {
        "changed": False,
        "skipped": True,
        "skip_reason": "Conditional result was False",
        "false_condition": 'ansible_os_family == "Windows"',
    }
    results["srv-never"] = None
    return results


EXPECTED_STATUS = {spec[0]: spec[1] for spec in FLEET} | {
    "win11-home": "unsupported_edition",
    "pc-mystery": "unknown_edition",
    "srv-skipped": "skipped",
    "srv-down": "unreachable",
    "srv-early-fail": "failed",
    "srv-when-false": "skipped",
    "srv-never": "not_run",
}


@pytest.fixture
def report() -> dict:
    return model.build_report(fleet_results(), "check", GENERATED)


# --- rows and summary ---------------------------------------------------------------------------------------------


def test_every_host_gets_its_status_and_hosts_are_sorted(report):
    assert [row["host"] for row in report["hosts"]] == sorted(EXPECTED_STATUS)
    assert {row["host"]: row["status"] for row in report["hosts"]} == EXPECTED_STATUS


def test_summary_counts_each_status_in_vocabulary_order(report):
    assert report["summary"] == dict(Counter(EXPECTED_STATUS.values()))
    order = list(report["summary"])
    assert order == sorted(order, key=model.STATUSES.index)


def test_module_result_fields_are_carried_over(report):
    results = fleet_results()
    rows = {row["host"]: row for row in report["hosts"]}
    for host, *_fields in FLEET:
        result, row = results[host], rows[host]
        assert row["edition_id"] == result["edition"]["id"]
        assert row["edition"] == result["edition"]["name"]
        assert row["build"] == result["edition"]["build"]
        assert row["key_type"] == result["key_type"]
        assert row["partial_product_key"] == result["partial_product_key"]
        assert row["license_status"] == result["license_status"]
        assert row["gvlk"] == result["gvlk"]
        assert row["kms"] == result["kms"]
        assert row["changed"] is result["changed"]
        assert row["message"] == result["msg"]


def test_unreachable_not_run_and_failed_without_status(report):
    rows = {row["host"]: row for row in report["hosts"]}
    results = fleet_results()
    assert rows["srv-down"]["message"] == unreachable_message(results["srv-down"]["msg"])
    assert rows["srv-never"]["message"] == model.NOT_RUN_MESSAGE
    assert rows["srv-early-fail"]["message"] == results["srv-early-fail"]["msg"]
    assert rows["srv-when-false"]["message"] == "Conditional result was False"
    for host in ("srv-down", "srv-never", "srv-early-fail"):
        assert rows[host]["key_type"] == {"before": None, "after": None}
        assert rows[host]["edition_id"] is None and rows[host]["kms"] is None


def test_result_of_another_task_is_reported_as_failed_with_a_reason():
    row = model.host_row("h", {"changed": False, "ansible_facts": {}})
    assert (row["status"], row["message"]) == ("failed", model.NO_STATUS_MESSAGE)
    assert model.host_row("h", {"failed": True})["message"] == model.FAILED_MESSAGE


def test_build_arrives_as_text_or_number():
    assert model.host_row("h", {"status": "compliant", "edition": {"build": "20348"}})["build"] == 20348
    assert model.host_row("h", {"status": "compliant", "edition": {"build": "n/a"}})["build"] == "n/a"


def test_partial_keys_never_exceed_five_characters():
    full = published_gvlk("ServerStandard", 17763)
    row = model.host_row("h", {"status": "would_convert", "partial_product_key": {"before": full, "after": None}})
    assert row["partial_product_key"] == {"before": full[-5:], "after": None}


def test_key_type_counts(report):
    before = Counter(
        result["key_type"]["before"] for result in fleet_results().values() if result and result.get("key_type")
    )
    assert report["key_types"]["before"] == dict(before)
    assert list(report["key_types"]["before"]) == sorted(before, key=model.KEY_TYPES.index)


def test_summary_line_lists_counts_largest_first(report):
    line = model.summary_line(report, "/srv/reports")
    counts = Counter(EXPECTED_STATUS.values())
    assert line.startswith(f"kms audit (check): {len(EXPECTED_STATUS)} hosts: ")
    assert line.endswith(" \N{EM DASH} reports in /srv/reports")
    listed = re.findall(r"(\d+) ([a-z_]+)", line.split(": ", 2)[2])
    assert {name: int(count) for count, name in listed} == counts
    assert [int(count) for count, _name in listed] == sorted(counts.values(), reverse=True)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        model.build_report({}, "audit", GENERATED)


def test_empty_fleet():
    report = model.build_report({}, "apply", GENERATED)
    assert report["summary"] == {} and report["hosts"] == []
    assert "nothing to report" in model.summary_line(report, "/tmp")


# --- JSON -----------------------------------------------------------------------------------------------------


def test_json_reads_back_as_the_report(report):
    data = json.loads(render_json(report))
    assert data == report
    assert list(data) == ["generated", "mode", "summary", "attention", "gvlk_overrides", "legend", "key_types", "hosts"]
    assert data["generated"] == GENERATED and data["mode"] == "check"
    assert {host["host"]: host["status"] for host in data["hosts"]} == EXPECTED_STATUS
    assert sorted(data["hosts"][0]) == sorted(
        [
            "host",
            "status",
            "edition_id",
            "edition",
            "build",
            "key_type",
            "partial_product_key",
            "gvlk",
            "license_status",
            "kms",
            "gvlk_override",
            "changed",
            "message",
            "time",
            "source",
        ]
    )


# --- CSV ------------------------------------------------------------------------------------------------------


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_reads_back_one_row_per_host(report):
    text = render_csv(report)
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = {row["host"]: row for row in _csv_rows(text)}
    assert {host: row["status"] for host, row in rows.items()} == EXPECTED_STATUS
    results = fleet_results()
    for host, *_fields in FLEET:
        result, row = results[host], rows[host]
        assert row["edition_id"] == result["edition"]["id"]
        assert row["build"] == str(result["edition"]["build"])
        assert (row["key_type_before"], row["key_type_after"]) == tuple(result["key_type"].values())
        assert (row["partial_key_before"], row["partial_key_after"]) == tuple(result["partial_product_key"].values())
        assert row["gvlk"] == (result["gvlk"] or "")
        assert row["kms_machine"] == result["kms"]["machine"] and row["kms_port"] == "1688"
        assert row["changed"] == ("true" if result["changed"] else "false")
        assert row["message"] == result["msg"]
    assert rows["srv-never"]["edition_id"] == "" and rows["srv-never"]["kms_port"] == ""


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\r=1"])
def test_csv_cells_a_spreadsheet_would_evaluate_get_a_quote(text):
    report = model.build_report({text: {"status": "failed", "msg": text}}, "check", GENERATED)
    [row] = _csv_rows(render_csv(report))
    assert row["host"] == "'" + text
    assert row["message"] == "'" + text


def test_csv_quotes_commas_quotes_and_line_breaks():
    message = 'first line, with "quotes"\nsecond line'
    report = model.build_report({"h": {"status": "failed", "msg": message}}, "check", GENERATED)
    text = render_csv(report)
    assert '"first line, with ""quotes""\nsecond line"' in text
    assert _csv_rows(text)[0]["message"] == message


# --- Markdown -------------------------------------------------------------------------------------------------


def _md_cells(line: str) -> list[str]:
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_markdown_tables(report):
    lines = render_markdown(report).splitlines()
    assert lines[0] == "# KMS client audit"
    assert "- Mode: **check** (audit only: nothing was changed on the hosts)" in lines
    assert f"- Generated: {GENERATED}" in lines
    summary_at = lines.index("| status | hosts |")
    summary = {}
    for line in lines[summary_at + 2 :]:
        if not line.startswith("|"):
            break
        status, count = _md_cells(line)
        summary[status] = int(count)
    assert summary == dict(Counter(EXPECTED_STATUS.values()))
    hosts_at = lines.index("## Hosts") + 2
    rows = [_md_cells(line) for line in lines[hosts_at + 2 : lines.index("## Legend")] if line.startswith("|")]
    assert all(len(cells) == 10 for cells in rows)
    assert {cells[0]: cells[1] for cells in rows} == EXPECTED_STATUS
    messages = {cells[0]: cells[9] for cells in rows}
    assert messages["srv2019-std-01"] == "srv2019-std-01: would_convert | edition ServerStandard"
    converted = {cells[0]: cells for cells in rows}["srv2019-std-01"]
    assert converted[4] == "mak \N{RIGHTWARDS ARROW} gvlk"


def test_markdown_cells_stay_on_one_line_and_carry_no_html():
    report = model.build_report({"<b>x</b>": {"status": "failed", "msg": "a | b\nc & d"}}, "check", GENERATED)
    lines = render_markdown(report).splitlines()
    line = lines[lines.index("## Legend") - 2]
    assert line == "| &lt;b&gt;x&lt;/b&gt; | failed |  |  |  |  |  |  | no | a \\| b c &amp; d |"


# --- HTML -----------------------------------------------------------------------------------------------------


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


def test_a_task_timeout_told_in_the_message_only_is_timed_out() -> None:
    """ansible-core 2.16 and 2.17 set no ``timedout`` key; TaskExecutor's message names the timeout."""
    message = (
        "The volume_activation.kms.kms_client_key action failed to execute in the expected time frame (15) "
        "and was terminated"
    )
    row = host_row("srv-hung", {"failed": True, "msg": message})
    assert row["status"] == "timed_out" and "task timeout (15 s" in row["message"]


def test_a_result_the_task_timeout_ended_is_timed_out() -> None:
    row = host_row("srv-hung", {"failed": True, "msg": "The task timed out", "timedout": {"period": 12}})
    assert row["status"] == "timed_out"
    assert "task timeout (12 s, kms_client_task_timeout)" in row["message"] and "run again" in row["message"]


def test_unreachable_message_explains_winrm() -> None:
    row = host_row("srv-down", {"unreachable": True, "msg": "HTTPConnectionPool: [Errno 111] Connection refused"})
    assert row["status"] == "unreachable"
    for words in ("WinRM listener", "ansible_user/ansible_password", "firewall", "[Errno 111] Connection refused"):
        assert words in row["message"]
