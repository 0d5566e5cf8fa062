"""The report as JSON, CSV and Markdown text, each read back, and the table the playbook prints."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter

import pytest
from unit.utils.report_fleet import (
    EXPECTED_STATUS,
    FLEET,
    GENERATED,
    fleet_results,
    result_of,
    small_fleet,
)

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _model as model
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import (
    CSV_COLUMNS,
    TABLE_MESSAGE_LIMIT,
    render_csv,
    render_json,
    render_markdown,
    render_table,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STATUS_GUIDE, Status


def test_json_reads_back_as_the_report(report):
    data = json.loads(render_json(report))
    assert data == report
    assert list(data) == [
        "generated",
        "title",
        "mode",
        "fleet",
        "headline",
        "summary",
        "attention",
        "findings",
        "gvlk_overrides",
        "legend",
        "key_types",
        "activation_methods",
        "hosts",
    ]
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
            "activation_route",
            "client_machine_id",
            "kms_count",
            "activation",
            "edition_change",
            "grace_period_remaining",
            "changed",
            "message",
            "time",
            "source",
            "activation_method",
            "license_expires",
            "in_run",
            "age_days",
        ]
    )


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


def _md_cells(line: str) -> list[str]:
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_markdown_tables(report):
    lines = render_markdown(report).splitlines()
    assert lines[0] == "# KMS client audit"
    counts = report["headline"]
    assert lines[2] == (
        f"**{counts['kms_clients']} of {len(EXPECTED_STATUS)} hosts are KMS clients** "
        f"({counts['activated']} activated, {counts['not_read']} not reached)."
    )
    assert render_markdown(dict(report, title="Contoso | branches")).startswith("# Contoso \\| branches\n")
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
    assert all(len(cells) == 13 for cells in rows)
    assert {cells[0]: cells[1] for cells in rows} == EXPECTED_STATUS
    assert {cells[0]: cells[10] for cells in rows}["srv2019-std-01"] == "this run"  # no time in the results
    messages = {cells[0]: cells[12] for cells in rows}
    assert messages["srv2019-std-01"] == "srv2019-std-01: would_convert | edition ServerStandard"
    converted = {cells[0]: cells for cells in rows}["srv2019-std-01"]
    assert converted[4] == "mak \N{RIGHTWARDS ARROW} gvlk"


def test_markdown_cells_stay_on_one_line_and_carry_no_html():
    report = model.build_report({"<b>x</b>": {"status": "failed", "msg": "a | b\nc & d"}}, "check", GENERATED)
    lines = render_markdown(report).splitlines()
    line = lines[lines.index("## Legend") - 2]
    assert line == "| &lt;b&gt;x&lt;/b&gt; | failed |  |  |  |  |  |  |  |  | this run | no | a \\| b c &amp; d |"


def test_markdown_opens_with_the_hosts_that_need_attention_and_ends_with_the_legend() -> None:
    report = model.build_report(small_fleet(), "apply", GENERATED)
    markdown = render_markdown(report)
    assert markdown.index("## Needs attention") < markdown.index("## Summary") < markdown.index("## Legend")
    attention = markdown.split("## Needs attention", 1)[1].split("## Summary", 1)[0]
    assert [line.split(" | ")[0][2:] for line in attention.splitlines() if line.startswith("| ")][1:] == [
        "e-failed",
        "c-kms",
        "d-down",
        "f-missing",
    ]
    assert STATUS_GUIDE[Status.IS_KMS_HOST].todo in attention


def test_csv_lists_attention_first_with_what_to_do_and_the_discovered_kms_host() -> None:
    fleet = small_fleet()
    fleet["a-compliant"] = result_of(
        "compliant", kms={"discovered_machine": "kms02.corp.example.com", "discovered_port": 1688}
    )
    rows = list(csv.DictReader(io.StringIO(render_csv(model.build_report(fleet, "apply", GENERATED)), newline="")))
    assert [row["host"] for row in rows] == ["e-failed", "c-kms", "d-down", "f-missing", "a-compliant", "b-converted"]
    assert [row["attention"] for row in rows] == ["true"] * 4 + ["false"] * 2
    assert rows[1]["todo"] == STATUS_GUIDE[Status.IS_KMS_HOST].todo
    compliant = rows[4]
    assert (compliant["kms_discovered_machine"], compliant["kms_discovered_port"]) == ("kms02.corp.example.com", "1688")


def test_the_printed_table_lists_attention_first_then_changes_and_counts_compliant_hosts() -> None:
    report = model.build_report(small_fleet(), "apply", GENERATED)
    lines = render_table(report, "headline")
    assert lines[0] == "headline" and lines[1] == "Needs attention: 4 hosts"
    hosts = [line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert hosts == ["host", "e-failed", "c-kms", "d-down", "f-missing", "host", "b-converted"]
    assert "Changed: 1 host" in lines and lines[-1] == "Compliant: 1 host (nothing to do)"
    down = lines.index(next(line for line in lines if line.startswith("  d-down ")))
    assert lines[down].endswith(STATUS_GUIDE[Status.UNREACHABLE].todo)
    assert lines[down + 1].strip().startswith("the WinRM connection failed (basic: HTTPConnectionPool")


def test_the_printed_table_is_bounded_however_big_the_fleet() -> None:
    fleet: dict[str, dict[str, object] | None] = {f"ok-{i:04}": result_of("compliant") for i in range(1000)}
    fleet |= {f"new-{i:03}": result_of("would_convert") for i in range(300)}
    fleet |= {f"bad-{i:03}": result_of("failed", msg="x" * 5000) for i in range(80)}
    lines = render_table(model.build_report(fleet, "check", GENERATED), "headline", limit=50)
    assert sum(line.startswith("  bad-") for line in lines) == 50
    assert not any(line.startswith(("  new-", "  ok-")) for line in lines)
    assert "... 330 hosts more not listed here (the report files list every host)" in lines
    assert "Compliant: 1000 hosts (nothing to do)" in lines and "Would change: 300 hosts" in lines
    assert max(len(line) for line in lines) <= TABLE_MESSAGE_LIMIT + 10
    assert len(render_table(model.build_report(fleet, "check", GENERATED), "headline", limit=0)) > 460


def test_the_printed_table_keeps_the_end_of_a_long_message_where_it_says_what_to_do() -> None:
    remedy = "Run again once the route works, or set kms_client_on_kms_unreachable: convert to replace the key anyway."
    story = " ".join(f"attempt {number} to kms01.corp.example.com port 1688 timed out;" for number in range(40))
    message = f"The key was not replaced: the host is licensed (mak key, partial key 9XD8F). {story} {remedy}"
    fleet: dict[str, dict[str, object] | None] = {"ws-01": result_of("kms_unreachable", msg=message)}
    lines = render_table(model.build_report(fleet, "check", GENERATED), "headline")
    shown = lines[lines.index(next(line for line in lines if line.startswith("  ws-01 "))) + 1].strip()
    assert shown.startswith("The key was not replaced: the host is licensed") and shown.endswith(remedy)
    assert len(shown) <= TABLE_MESSAGE_LIMIT and "\N{HORIZONTAL ELLIPSIS}" in shown
