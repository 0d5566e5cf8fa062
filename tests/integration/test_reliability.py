"""Faults on the simulated fleet with real ansible-playbook: a hung host, cut connections around apply.

Every host of a run is reported exactly once, the hung one as ``timed_out`` while the others finish; a cut
after the apply request is answered by reading the host again.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest

from winsim.fleet import Fleet
from winsim.wsman import PlaybookRun, run_playbook

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
TASK_TIMEOUT = 15  # seconds; the held host's Receive is answered with OperationTimeout until then

MAK = {"edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"}
FAULT_SCENARIO = {
    "defaults": {"kms": {"dns": "kms01.corp.example.com", "reachable": True}},
    "hosts": [
        {"name": "held", **MAK, "faults": [{"transport": "hold", "operation": "apply"}]},
        {"name": "cut-after", **MAK, "faults": [{"transport": "cut", "operation": "apply", "when": "after"}]},
        {"name": "cut-before", **MAK, "faults": [{"transport": "cut", "operation": "apply", "when": "before"}]},
        {"name": "fine", **MAK},
        {"name": "kms-host", "edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"},
    ],
}


def _run(fleet: Fleet, tmp_path: pathlib.Path, *args: str) -> tuple[PlaybookRun, dict[str, t.Any]]:
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    report_dir = tmp_path / "report"
    run = run_playbook(
        PLAYBOOK,
        inventory,
        "-e",
        f"kms_client_report_dest={report_dir}",
        *args,
        collections_paths=[REPO / ".collections"],
    )
    report_file = report_dir / "kms_audit.json"
    assert report_file.exists(), f"no report written:\n{run.stdout}\n{run.stderr}"
    return run, json.loads(report_file.read_text(encoding="utf-8"))


def test_a_hung_host_is_timed_out_and_cut_replies_are_read_again(tmp_path: pathlib.Path) -> None:
    with Fleet(FAULT_SCENARIO) as fleet:
        run, report = _run(fleet, tmp_path, "-e", f"kms_client_task_timeout={TASK_TIMEOUT}")
        executions = {name: host.worker_executions for name, host in fleet.hosts.items()}
        state = {name: host.state()["key_type"] for name, host in fleet.hosts.items()}
        stats = {name: fleet.endpoint.stats(name) for name in fleet.hosts}

    rows = {row["host"]: row for row in report["hosts"]}
    assert sorted(rows) == sorted(fleet.hosts) and len(report["hosts"]) == len(fleet.hosts)
    assert {host: row["status"] for host, row in rows.items()} == {
        "held": "timed_out",
        "cut-after": "converted",
        "cut-before": "failed",
        "fine": "converted",
        "kms-host": "is_kms_host",
    }
    assert f"task timeout ({TASK_TIMEOUT} s" in rows["held"]["message"]
    assert rows["cut-after"]["changed"] is True and "The host was read again" in rows["cut-after"]["message"]
    assert rows["cut-before"]["changed"] is False and "nothing changed" in rows["cut-before"]["message"]
    # worker executions on the hosts: probe + apply (+ the probe again after a lost reply); a cut before the
    # apply never reaches the worker
    assert executions == {"held": 2, "cut-after": 3, "cut-before": 2, "fine": 2, "kms-host": 1}
    assert stats["held"]["reply_hold"] == 1 and stats["cut-after"]["reply_cut"] == 1
    assert state == {"held": "gvlk", "cut-after": "gvlk", "cut-before": "mak", "fine": "gvlk", "kms-host": "csvlk"}
    assert run.returncode == 2, run.stdout  # timed_out and failed are fail statuses
