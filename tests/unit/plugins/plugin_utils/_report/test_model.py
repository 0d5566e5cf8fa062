"""The report model: one row per host from its registered result, fact or report row; summaries, attention, legend
and the overrides no host used."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from unit.utils.report_fleet import (
    CONNECTION_ERROR,
    EXPECTED_STATUS,
    FLEET,
    GENERATED,
    fleet_results,
    published_gvlk,
    result_of,
    small_fleet,
)

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _model as model
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import render_html
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._merge import parse_report
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import host_row, unreachable_message
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import (
    render_json,
    render_markdown,
    render_table,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STATUS_GUIDE, Status

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


def test_key_type_counts_count_every_host(report):
    before = Counter(
        (result or {}).get("key_type", {}).get("before") or model.NOT_READ for result in fleet_results().values()
    )
    assert report["key_types"]["before"] == dict(before) and before[model.NOT_READ] > 0
    assert list(report["key_types"]["before"]) == sorted(before, key=(*model.KEY_TYPES, model.NOT_READ).index)
    assert sum(report["key_types"]["after"].values()) == sum(report["activation_methods"].values())
    assert sum(report["activation_methods"].values()) == sum(before.values())


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


# --- CSV ------------------------------------------------------------------------------------------------------


# --- Markdown -------------------------------------------------------------------------------------------------


# --- HTML -----------------------------------------------------------------------------------------------------


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


def test_the_one_line_winrm_hint_of_the_module_is_kept_as_it_is() -> None:
    """kms_client_key says what failed and what to check; ansible-core 2.19 puts "Task failed: " before it."""
    said = f"the WinRM connection failed (the connection was refused, 127.0.0.1:5985): {STATUS_GUIDE[Status.UNREACHABLE].todo}"
    row = host_row("srv-down", {"unreachable": True, "msg": f"Task failed: {said}"})
    assert (row["status"], row["message"]) == ("unreachable", said)


def test_attention_comes_first_in_status_order_and_the_legend_covers_the_statuses_present() -> None:
    report = model.build_report(small_fleet(), "apply", GENERATED)
    assert report["attention"] == ["e-failed", "c-kms", "d-down", "f-missing"]  # failed, is_kms_host, unreachable...
    assert list(report["legend"]) == list(report["summary"])
    assert report["legend"]["is_kms_host"]["todo"] == STATUS_GUIDE[Status.IS_KMS_HOST].todo
    data = json.loads(render_json(report))
    assert list(data).index("attention") < list(data).index("hosts")


def test_overrides_no_host_used_are_named() -> None:
    given = ["ServerStandard@17763", "ServerStandrd", "Professional"]
    fleet = {
        "a": result_of("converted", gvlk_override={"given": given, "used": "ServerStandard@17763"}),
        "b": result_of("compliant", gvlk_override={"given": given[:2], "used": None}),
        "c": result_of("converted", gvlk_override={"given": ["professional"], "used": "professional"}),
    }
    report = model.build_report(fleet, "apply", GENERATED)
    assert report["gvlk_overrides"] == {
        "given": ["Professional", "ServerStandard@17763", "ServerStandrd"],
        "used": ["professional", "ServerStandard@17763"],
        "unmatched": ["ServerStandrd"],  # names compare without case, as the module matches them
    }
    assert "GVLK overrides that matched no host: ServerStandrd" in render_table(report, "headline")
    assert "`ServerStandrd`" in render_markdown(report) and "<code>ServerStandrd</code>" in render_html(report)
    said = "used these kms_client_gvlk_overrides (module option gvlk_overrides) entries"
    assert said in render_markdown(report) and said in render_html(report)


def test_override_names_read_from_a_report_are_bounded() -> None:
    hostile = {"given": ["x" * 5000, *[f"E{i}" for i in range(500)]], "used": None}
    row = model.host_row("h", result_of("compliant", gvlk_override=hostile))
    assert len(row["gvlk_override"]["given"]) == model.MAX_OVERRIDE_NAMES
    assert max(len(name) for name in row["gvlk_override"]["given"]) <= 256


@pytest.mark.parametrize(
    "fact",
    [
        {"status": "unreachable", "msg": CONNECTION_ERROR},  # the role's kms_client fact of an unreachable host
        {"version": 1, "status": "unreachable", "message": CONNECTION_ERROR},  # the same, cached by an earlier version
        {"status": "unreachable", "msg": model.unreachable_message(CONNECTION_ERROR)},  # a merged report's row
    ],
)
def test_an_unreachable_host_gets_the_winrm_hint_once_whatever_the_source(fact: dict[str, str]) -> None:
    row = model.host_row("down", fact, "facts")
    assert row["message"] == model.unreachable_message(CONNECTION_ERROR)
    assert row["message"].count("the WinRM connection failed (") == 1 and "winrm quickconfig" in row["message"]
    merged = parse_report(render_json(model.report_from_rows([row], "check", GENERATED)), "slice1").rows[0]
    assert merged["message"] == row["message"]
