"""Merging kms_audit.json reports written by slices: one row per host, a result over not_run, newest wins."""

from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _merge as merge
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import build_report

EARLY, LATE = "2025-06-25T10:00:00Z", "2025-06-25T11:00:00Z"


def _report(results: dict[str, t.Any], mode: str = "apply", generated: str = LATE) -> str:
    return json.dumps(build_report(results, mode, generated))


def _result(status: str, time: str | None = None, **extra: t.Any) -> dict[str, t.Any]:
    result = {"status": status, "changed": status == "converted", "msg": f"{status} here", **extra}
    if time is not None:
        result["ansible_facts"] = {"kms_client": {"time": time}}
    return result


def test_a_result_beats_not_run_whatever_the_order() -> None:
    first = merge.parse_report(_report({"a": _result("converted", EARLY), "b": None}), "slice1")
    second = merge.parse_report(_report({"a": None, "b": _result("compliant", EARLY)}), "slice2")
    for reports in ([first, second], [second, first]):
        rows = merge.merge_rows(reports)
        assert {host: (row["status"], row["source"]) for host, row in rows.items()} == {
            "a": ("converted", "slice1"),
            "b": ("compliant", "slice2"),
        }


def test_the_newest_result_wins_then_the_report_given_last() -> None:
    old = merge.parse_report(_report({"a": _result("would_convert", LATE), "b": _result("failed", EARLY)}), "old")
    new = merge.parse_report(_report({"a": _result("converted", EARLY), "b": _result("converted", EARLY)}), "new")
    rows = merge.merge_rows([old, new])
    assert rows["a"]["status"] == "would_convert" and rows["a"]["time"] == LATE
    assert rows["b"]["status"] == "converted" and rows["b"]["source"] == "new"


def test_a_row_without_time_takes_its_report_generated_time() -> None:
    report = merge.parse_report(_report({"a": _result("converted")}, generated=EARLY), "slice")
    assert report.rows[0]["time"] == EARLY
    newer = merge.parse_report(_report({"a": _result("failed", LATE)}), "later")
    assert merge.merge_rows([newer, report])["a"]["source"] == "later"


def test_rows_are_rebuilt_bounded_and_without_foreign_fields() -> None:
    data = json.loads(_report({"a": _result("converted", EARLY)}))
    data["hosts"][0].update(partial_product_key={"before": "AAAAA-BBBBB-CCCCC", "after": None}, injected="x")
    data["hosts"][0]["time"] = "not a time"
    (row,) = merge.parse_report(json.dumps(data), "slice").rows
    assert row["partial_product_key"] == {"before": "CCCCC", "after": None}
    assert "injected" not in row and row["time"] == LATE  # an unusable time falls back to the report's


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", json.dumps({"mode": "apply"}), json.dumps({"mode": "audit", "hosts": []})],
)
def test_what_is_not_a_report_is_refused(text: str) -> None:
    with pytest.raises(merge.MergeError, match="slice"):
        merge.parse_report(text, "slice")


def test_a_host_entry_without_a_name_is_refused() -> None:
    with pytest.raises(merge.MergeError, match="host name"):
        merge.parse_report(json.dumps({"mode": "check", "hosts": [{"status": "compliant"}]}), "slice")


def test_unreadable_file(tmp_path) -> None:
    with pytest.raises(merge.MergeError, match="cannot read"):
        merge.read_report(str(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    ("modes", "expected"),
    [(["check", "apply"], "apply"), (["check", "check"], "check"), ([None, "bogus"], None), ([], None)],
)
def test_merged_mode(modes: list[str | None], expected: str | None) -> None:
    assert merge.merged_mode(modes) == expected
