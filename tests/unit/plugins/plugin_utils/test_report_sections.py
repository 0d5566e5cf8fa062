"""What the report puts first and explains: hosts that need attention, the legend, unused overrides, the printed
table, the WinRM hint, edition names of refused hosts, and hosts whose key stayed (reconfigured)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from unit.utils.action_harness import KMS, gvlk_for, make_host, run_action, spec

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _model as model
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import render_html
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._merge import parse_report
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import (
    render_csv,
    render_json,
    render_markdown,
    render_table,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    ATTENTION,
    STATUS_GUIDE,
    Status,
    status_guide,
)

GENERATED = "2025-06-25T14:03:07Z"
CONNECTION_ERROR = "basic: HTTPConnectionPool(host='10.0.0.7', port=5985): Connection refused"


def _result(status: str, **extra: object) -> dict[str, object]:
    return {"status": status, "msg": f"{status} message", "key_type": {"before": "mak", "after": "gvlk"}, **extra}


def _fleet() -> dict[str, dict[str, object] | None]:
    return {
        "a-compliant": _result("compliant"),
        "b-converted": _result("converted", changed=True),
        "c-kms": _result("is_kms_host"),
        "d-down": {"unreachable": True, "msg": CONNECTION_ERROR},
        "e-failed": _result("failed"),
        "f-missing": None,
    }


def test_every_status_has_a_guide_and_only_settled_statuses_need_no_attention() -> None:
    assert set(STATUS_GUIDE) == set(Status)
    assert all(guide.meaning and guide.todo for guide in STATUS_GUIDE.values())
    settled = {"compliant", "converted", "reconfigured", "would_convert", "would_reconfigure"}
    assert set(ATTENTION) == {status.value for status in Status} - settled
    assert status_guide("no-such-status").attention  # a status from another version is looked at


def test_attention_comes_first_in_status_order_and_the_legend_covers_the_statuses_present() -> None:
    report = model.build_report(_fleet(), "apply", GENERATED)
    assert report["attention"] == ["e-failed", "c-kms", "d-down", "f-missing"]  # failed, is_kms_host, unreachable...
    assert list(report["legend"]) == list(report["summary"])
    assert report["legend"]["is_kms_host"]["todo"] == STATUS_GUIDE[Status.IS_KMS_HOST].todo
    data = json.loads(render_json(report))
    assert list(data).index("attention") < list(data).index("hosts")


def test_markdown_and_html_open_with_the_hosts_that_need_attention_and_end_with_the_legend() -> None:
    report = model.build_report(_fleet(), "apply", GENERATED)
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
    html = render_html(report)
    assert html.index("Needs attention (4)") < html.index("<h2>Summary</h2>") < html.index("<h2>Legend</h2>")
    assert STATUS_GUIDE[Status.UNREACHABLE].todo.replace("'", "&#x27;") in html


def test_csv_lists_attention_first_with_what_to_do_and_the_discovered_kms_host() -> None:
    fleet = _fleet()
    fleet["a-compliant"] = _result(
        "compliant", kms={"discovered_machine": "kms02.corp.example.com", "discovered_port": 1688}
    )
    rows = list(csv.DictReader(io.StringIO(render_csv(model.build_report(fleet, "apply", GENERATED)), newline="")))
    assert [row["host"] for row in rows] == ["e-failed", "c-kms", "d-down", "f-missing", "a-compliant", "b-converted"]
    assert [row["attention"] for row in rows] == ["true"] * 4 + ["false"] * 2
    assert rows[1]["todo"] == STATUS_GUIDE[Status.IS_KMS_HOST].todo
    compliant = rows[4]
    assert (compliant["kms_discovered_machine"], compliant["kms_discovered_port"]) == ("kms02.corp.example.com", "1688")


def test_overrides_no_host_used_are_named() -> None:
    given = ["ServerStandard@17763", "ServerStandrd", "Professional"]
    fleet = {
        "a": _result("converted", gvlk_override={"given": given, "used": "ServerStandard@17763"}),
        "b": _result("compliant", gvlk_override={"given": given[:2], "used": None}),
        "c": _result("converted", gvlk_override={"given": ["professional"], "used": "professional"}),
    }
    report = model.build_report(fleet, "apply", GENERATED)
    assert report["gvlk_overrides"] == {
        "given": ["Professional", "ServerStandard@17763", "ServerStandrd"],
        "used": ["professional", "ServerStandard@17763"],
        "unmatched": ["ServerStandrd"],  # names compare without case, as the module matches them
    }
    assert "GVLK overrides that matched no host: ServerStandrd" in render_table(report, "headline")
    assert "`ServerStandrd`" in render_markdown(report) and "<code>ServerStandrd</code>" in render_html(report)


def test_override_names_read_from_a_report_are_bounded() -> None:
    hostile = {"given": ["x" * 5000, *[f"E{i}" for i in range(500)]], "used": None}
    row = model.host_row("h", _result("compliant", gvlk_override=hostile))
    assert len(row["gvlk_override"]["given"]) == model.MAX_OVERRIDE_NAMES
    assert max(len(name) for name in row["gvlk_override"]["given"]) <= 256


def test_the_printed_table_lists_attention_first_then_changes_and_counts_compliant_hosts() -> None:
    report = model.build_report(_fleet(), "apply", GENERATED)
    lines = render_table(report, "headline")
    assert lines[0] == "headline" and lines[1] == "Needs attention: 4 hosts"
    hosts = [line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert hosts == ["host", "e-failed", "c-kms", "d-down", "f-missing", "host", "b-converted"]
    assert "Changed: 1 host" in lines and lines[-1] == "Compliant: 1 host (nothing to do)"
    down = lines.index(next(line for line in lines if line.startswith("  d-down ")))
    assert lines[down].endswith(STATUS_GUIDE[Status.UNREACHABLE].todo)
    assert lines[down + 1].strip().startswith("the WinRM connection failed (basic: HTTPConnectionPool")


def test_the_printed_table_is_bounded_however_big_the_fleet() -> None:
    fleet: dict[str, dict[str, object] | None] = {f"ok-{i:04}": _result("compliant") for i in range(1000)}
    fleet |= {f"new-{i:03}": _result("would_convert") for i in range(300)}
    fleet |= {f"bad-{i:03}": _result("failed", msg="x" * 5000) for i in range(80)}
    lines = render_table(model.build_report(fleet, "check", GENERATED), "headline", limit=50)
    assert sum(line.startswith("  bad-") for line in lines) == 50
    assert not any(line.startswith(("  new-", "  ok-")) for line in lines)
    assert "... 330 hosts more not listed here (the report files list every host)" in lines
    assert "Compliant: 1000 hosts (nothing to do)" in lines and "Would change: 300 hosts" in lines
    assert max(len(line) for line in lines) <= 310
    assert len(render_table(model.build_report(fleet, "check", GENERATED), "headline", limit=0)) > 460


@pytest.mark.parametrize(
    "fact",
    [
        {"status": "unreachable", "message": CONNECTION_ERROR},  # the role's kms_client fact of an unreachable host
        {"status": "unreachable", "msg": model.unreachable_message(CONNECTION_ERROR)},  # a merged report's row
    ],
)
def test_an_unreachable_host_gets_the_winrm_hint_once_whatever_the_source(fact: dict[str, str]) -> None:
    row = model.host_row("down", fact, "facts")
    assert row["message"] == model.unreachable_message(CONNECTION_ERROR)
    assert row["message"].count("the WinRM connection failed (") == 1 and "winrm quickconfig" in row["message"]
    merged = parse_report(render_json(model.report_from_rows([row], "check", GENERATED)), "slice1").rows[0]
    assert merged["message"] == row["message"]


def test_a_host_whose_key_was_right_is_reconfigured_not_converted() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host = make_host(spec(key_type="gvlk", partial_key=gvlk[-5:], license_status="oob_grace"))
    assert run_action(host, {}, check_mode=True)["status"] == "would_reconfigure"
    result = run_action(host, {})
    assert (result["status"], result["changed"]) == ("reconfigured", True)
    assert result["key_type"] == {"before": "gvlk", "after": "gvlk"} and "activate" in result["msg"]
    mak = make_host(spec(key_type="mak"))
    assert run_action(mak, {"kms_host": KMS}, check_mode=True)["status"] == "would_convert"
    assert run_action(mak, {"kms_host": KMS})["status"] == "converted"


@pytest.mark.parametrize(
    ("host_spec", "status", "edition"),
    [
        (spec("ServerStandard", 20348, "csvlk"), "is_kms_host", "Windows Server 2022 Standard"),
        (
            spec("Core", 19045, "oem", os_sku=101, caption="Microsoft Windows 10 Home"),
            "unsupported_edition",
            "Windows 10 Home",
        ),
        (
            spec(
                "ServerDatacenterEval",
                26100,
                "eval",
                os_sku=80,
                caption="Microsoft Windows Server 2025 Datacenter Evaluation",
            ),
            "evaluation_edition",
            None,
        ),
        (
            spec("FutureEdition", 99999, "retail", os_sku=999, caption="Microsoft Windows 12 Pro\x07  (preview)"),
            "unknown_edition",
            "Microsoft Windows 12 Pro (preview)",
        ),
    ],
)
def test_refused_hosts_carry_the_name_of_their_edition(host_spec, status: str, edition: str | None) -> None:
    result = run_action(make_host(host_spec), {})
    assert result["status"] == status
    if edition is None:  # the catalog's name of the evaluation edition, whatever its spelling
        assert "Evaluation" in result["edition"]["name"] or "evaluation" in result["edition"]["name"], result["edition"]
    else:
        assert result["edition"]["name"] == edition
    assert result["ansible_facts"]["kms_client"]["edition"]["name"] == result["edition"]["name"]


def test_results_name_the_overrides_given_and_the_one_used() -> None:
    key = gvlk_for("ServerDatacenter", 20348)
    overrides = {"ServerDatacenter@20348": key, "ServerDatacenter": key, "Professional": key}
    result = run_action(make_host(spec(key_type="mak")), {"gvlk_overrides": overrides}, check_mode=True)
    assert result["gvlk_override"] == {
        "given": ["Professional", "ServerDatacenter", "ServerDatacenter@20348"],
        "used": "ServerDatacenter@20348",
    }
    assert result["ansible_facts"]["kms_client"]["gvlk_override"] == result["gvlk_override"]


def test_the_user_guide_legend_is_the_vocabulary() -> None:
    guide = (Path(__file__).resolve().parents[4] / "docs" / "user_guide.md").read_text(encoding="utf-8")
    legend = guide.split("### The legend of statuses\n\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split(" | ") for line in legend.splitlines()[2:]]
    assert {cells[0].strip(" `"): (cells[1], cells[2].strip()) for cells in rows} == {
        status.value: (guide_.meaning, guide_.todo) for status, guide_ in STATUS_GUIDE.items()
    }
