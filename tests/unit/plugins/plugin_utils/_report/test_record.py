"""The fleet record: every run's outcome per host in SQLite, the latest known outcome of every host, bounded and
rebuilt through the report model."""

from __future__ import annotations

import json
import sqlite3
import typing as t
from concurrent.futures import ThreadPoolExecutor

import pytest
from unit.utils.action_harness import make_key

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _record as record
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import host_row


def _row(host: str, status: str, time: str | None = None) -> dict[str, t.Any]:
    return host_row(host, {"status": status, "msg": f"{host} is {status}", "time": time})


def _run(dest: str, rows: list[dict[str, t.Any]], generated: str, mode: str = "apply") -> list[dict[str, t.Any]]:
    with record.FleetRecord(dest) as fleet:
        run = fleet.record(rows, mode, generated)
        return record.fleet_view({row["host"]: row for row in rows}, fleet.latest(), run).rows


def _by_host(rows: list[dict[str, t.Any]]) -> dict[str, tuple[str, bool, int | None]]:
    return {row["host"]: (row["status"], row["in_run"], row["age_days"]) for row in rows}


def test_a_limited_run_updates_its_hosts_and_drops_none(tmp_path):
    dest = str(tmp_path)
    _run(
        dest, [_row("a", "would_convert"), _row("b", "would_convert"), _row("c", "unreachable")], "2025-06-01T08:00:00Z"
    )

    shown = _run(dest, [_row("b", "converted", "2025-06-04T09:00:00Z")], "2025-06-04T09:00:05Z")

    assert _by_host(shown) == {
        "a": ("would_convert", False, 3),
        "b": ("converted", True, 0),
        "c": ("unreachable", False, 3),
    }
    earlier = next(row for row in shown if row["host"] == "a")
    assert (earlier["time"], earlier["source"], earlier["message"]) == (
        "2025-06-01T08:00:00Z",
        "record",
        "a is would_convert",
    )


def test_not_run_does_not_hide_an_earlier_outcome(tmp_path):
    dest = str(tmp_path)
    _run(dest, [_row("a", "converted", "2025-06-01T08:00:00Z")], "2025-06-01T08:00:01Z")
    shown = _run(dest, [_row("a", "not_run"), _row("new", "not_run")], "2025-06-02T08:00:00Z")
    assert _by_host(shown) == {"a": ("converted", False, 1), "new": ("not_run", True, 0)}


def test_the_fleet_view_is_apply_once_any_run_it_shows_converted(tmp_path):
    dest = str(tmp_path)
    _run(dest, [_row("a", "converted", "2025-06-01T08:00:00Z")], "2025-06-01T08:00:01Z")
    with record.FleetRecord(dest) as fleet:
        audit = fleet.record([_row("b", "compliant")], "check", "2025-06-02T08:00:00Z")
        assert record.fleet_view({}, fleet.latest(), audit).mode == "apply"
        again = fleet.record([_row("a", "compliant")], "check", "2025-06-03T08:00:00Z")
        assert record.fleet_view({}, fleet.latest(), again).mode == "check"


def test_every_run_and_observation_is_stored_with_its_time(tmp_path):
    dest = str(tmp_path)
    _run(dest, [_row("a", "would_convert")], "2025-06-01T08:00:00Z", mode="check")
    _run(dest, [_row("a", "converted", "2025-06-02T08:00:00Z")], "2025-06-02T08:00:03Z")
    with sqlite3.connect(tmp_path / record.RECORD_FILE) as db:
        runs = db.execute("SELECT id, generated, mode FROM runs ORDER BY id").fetchall()
        seen = db.execute("SELECT run, host, observed, status FROM observations ORDER BY run").fetchall()
    assert runs == [(1, "2025-06-01T08:00:00Z", "check"), (2, "2025-06-02T08:00:03Z", "apply")]
    assert seen == [(1, "a", "2025-06-01T08:00:00Z", "would_convert"), (2, "a", "2025-06-02T08:00:00Z", "converted")]


def test_history_is_bounded_and_keeps_the_latest_outcome(tmp_path):
    dest = str(tmp_path)
    _run(dest, [_row("a", "converted", "2025-05-01T08:00:00Z")], "2025-05-01T08:00:00Z")
    for day in range(1, 29):
        _run(dest, [_row("a", "not_run")], f"2025-06-{day:02d}T08:00:00Z")
    with sqlite3.connect(tmp_path / record.RECORD_FILE) as db:
        (observations,) = db.execute("SELECT COUNT(*) FROM observations").fetchone()
        (runs,) = db.execute("SELECT COUNT(*) FROM runs").fetchone()
    assert observations == record.HISTORY_PER_HOST + 1 and runs == observations
    with record.FleetRecord(dest) as fleet:
        assert fleet.latest()["a"].row["status"] == "converted"


def test_hostile_rows_are_rebuilt_bounded_and_without_keys(tmp_path):
    dest = str(tmp_path)
    _run(dest, [_row("a", "compliant", "2025-06-01T08:00:00Z"), _row("b", "compliant")], "2025-06-01T08:00:00Z")
    key = make_key(3)
    forged = {"status": "converted", "message": f"key {key} " + "x" * 50_000, "injected": "<script>", "build": [1]}
    with sqlite3.connect(tmp_path / record.RECORD_FILE) as db:
        db.execute("INSERT INTO runs (generated, mode) VALUES ('2025-06-02T08:00:00Z', 'apply')")
        rows = [
            (2, "a", "2025-06-02T08:00:00Z", "converted", json.dumps(forged)),
            (2, "b", "2025-06-02T08:00:00Z", "converted", "{not json"),
            (2, "evil\x1b[2J", "2025-06-02T08:00:00Z", "converted", json.dumps(forged)),
            (2, "c" * 300, "2025-06-02T08:00:00Z", "converted", json.dumps(forged)),
        ]
        db.executemany("INSERT INTO observations VALUES (?, ?, ?, ?, ?)", rows)
    with record.FleetRecord(dest) as fleet:
        latest = {host: known.row for host, known in fleet.latest().items()}
    assert sorted(latest) == ["a", "b"]
    assert latest["b"]["status"] == "compliant"  # the unreadable entry is skipped, the earlier one shown
    a = latest["a"]
    assert "injected" not in a and a["status"] == "converted" and a["build"] == "[1]"
    assert key not in a["message"] and key[-5:] in a["message"] and len(a["message"]) <= 1024


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"not a database at all" * 10, "is not a fleet record"), (None, "schema version 7, expected 1")],
)
def test_a_file_that_is_no_record_is_named_and_left_alone(tmp_path, content, said):
    path = tmp_path / record.RECORD_FILE
    if content is None:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA user_version = 7")
            db.execute("CREATE TABLE other (x)")
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    problem = record.record_problem(str(tmp_path))
    assert problem is not None and said in problem and str(path) in problem
    with pytest.raises(record.RecordError, match=said):
        _run(str(tmp_path), [_row("a", "compliant")], "2025-06-01T08:00:00Z")
    assert path.read_bytes() == before


def test_no_record_yet_is_no_problem(tmp_path):
    assert record.record_problem(str(tmp_path / "reports")) is None
    assert record.record_problem(str(tmp_path)) is None
    assert list(tmp_path.iterdir()) == []


def test_runs_that_start_together_each_record_their_run(tmp_path):
    def one(index: int) -> int:
        with record.FleetRecord(str(tmp_path)) as fleet:
            return fleet.record([_row(f"h{index}", "compliant")], "check", "2025-06-01T08:00:00Z").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = list(pool.map(one, range(8)))
    assert sorted(runs) == list(range(1, 9))
    with record.FleetRecord(str(tmp_path)) as fleet:
        assert sorted(fleet.latest()) == [f"h{index}" for index in range(8)]
