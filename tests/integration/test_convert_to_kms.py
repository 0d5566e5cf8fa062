"""convert-to-kms.yml end to end: real ansible-playbook, the real winrm connection plugin and pywinrm, against
the simulated mixed fleet (tests/winsim/scenarios/mixed_fleet.yml) served in this process.

The expected statuses below are what an administrator expects of each host of the scenario; the fleet's
licensing models are inspected directly to prove what changed on the hosts and what did not.
"""

from __future__ import annotations

import csv
import json
import pathlib
import typing as t

import pytest

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from winsim.fleet import Fleet
from winsim.wsman import PlaybookRun, run_playbook

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
SCENARIO = REPO / "tests" / "winsim" / "scenarios" / "mixed_fleet.yml"
TASK = "Make the host a KMS client with the GVLK of its edition"

REFUSED = {
    "kms01": "is_kms_host",
    "srv2025-dc-eval-01": "evaluation_edition",
    "ws-win10-home-01": "unsupported_edition",
}
UNREACHABLE = {"ws-win11-pro-offline-01"}
KMS_DOWN = "ws-win10-ent-branch-01"  # licensed MAK, its KMS host does not answer: the key stays
ALREADY_COMPLIANT = {"srv2019-std-01"}
TO_CONVERT = {
    "srv2012r2-std-01",
    "srv2016-dc-01",
    "srv2019-std-core-01",
    "srv2022-dc-01",
    "srv2022-azure-01",
    "srv2025-std-core-01",
    "ws-win7-ent-01",
    "ws-win10-pro-01",
    "ws-win10-pro-fr-01",
    "ws-win11-ent-01",
    "ws-win11-edu-01",
    "ws-ltsc2021-01",
}


def _audit_expectation() -> dict[str, str]:
    expected = dict.fromkeys(TO_CONVERT, "would_convert") | {KMS_DOWN: "kms_unreachable"}
    expected |= dict.fromkeys(ALREADY_COMPLIANT, "compliant")
    expected |= REFUSED | dict.fromkeys(UNREACHABLE, "unreachable")
    return expected


@pytest.fixture
def fleet() -> t.Iterator[Fleet]:
    with Fleet(SCENARIO) as served:
        yield served


def _run(fleet: Fleet, tmp_path: pathlib.Path, name: str, *args: str) -> tuple[PlaybookRun, dict[str, t.Any]]:
    """Run convert-to-kms.yml with the report written to tmp_path/name; return the run and the JSON report."""
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    report_dir = tmp_path / name
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


def _licensing(fleet: Fleet) -> dict[str, dict[str, t.Any]]:
    """Each host's licensing state without the traffic counters."""
    ignored = {"worker_executions", "writes"}
    return {name: {k: v for k, v in host.state().items() if k not in ignored} for name, host in fleet.hosts.items()}


def _task_result(run: PlaybookRun, host: str) -> dict[str, t.Any]:
    """The role's conversion task result of one host (task names carry the role's prefix)."""
    matches = [entry["result"] for entry in run.results if entry["host"] == host and entry["task"].endswith(TASK)]
    assert len(matches) == 1, f"{host}: {len(matches)} results of {TASK!r}"
    return matches[0]


def _statuses(report: dict[str, t.Any]) -> dict[str, str]:
    return {row["host"]: row["status"] for row in report["hosts"]}


def _executions(fleet: Fleet) -> dict[str, int]:
    return {name: host.worker_executions for name, host in fleet.hosts.items()}


def test_audit_reports_every_host_and_changes_nothing(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    before = _licensing(fleet)

    run, report = _run(fleet, tmp_path, "audit", "--check")

    assert _licensing(fleet) == before
    assert all(host.writes == 0 for host in fleet.hosts.values())
    assert report["mode"] == "check"
    assert _statuses(report) == _audit_expectation()
    assert _executions(fleet) == {name: 0 if name in UNREACHABLE else 1 for name in fleet.hosts}
    # The audit names what would change: a MAK host would get its edition's GVLK.
    row = next(row for row in report["hosts"] if row["host"] == "srv2022-dc-01")
    expected = gvlk_catalog.resolve(edition_id="ServerDatacenter", build=20348)
    assert (row["key_type"], row["gvlk"]) == ({"before": "mak", "after": "gvlk"}, expected.gvlk)
    # An unreachable host makes the run fail once the report is written.
    assert run.returncode == 2, run.stdout


def test_conversion_converts_exactly_the_hosts_that_should_change(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    before = _licensing(fleet)

    run, report = _run(fleet, tmp_path, "convert")

    statuses = _statuses(report)
    assert {host for host, status in statuses.items() if status == "converted"} == TO_CONVERT
    assert statuses[KMS_DOWN] == "kms_unreachable"
    kept = next(row for row in report["hosts"] if row["host"] == KMS_DOWN)
    assert "kms01.corp.example.com" in kept["message"] and "port 1688" in kept["message"], kept
    assert "timed out" in kept["message"] and "on_kms_unreachable: convert" in kept["message"], kept
    assert {host: statuses[host] for host in REFUSED} == REFUSED
    assert {host: statuses[host] for host in ALREADY_COMPLIANT | UNREACHABLE} == {
        **dict.fromkeys(ALREADY_COMPLIANT, "compliant"),
        **dict.fromkeys(UNREACHABLE, "unreachable"),
    }
    after = _licensing(fleet)
    for name in TO_CONVERT:
        spec = fleet.hosts[name].spec
        key = gvlk_catalog.resolve(edition_id=spec.edition_id, build=spec.build).gvlk
        assert (after[name]["key_type"], after[name]["partial_product_key"]) == ("gvlk", key[-5:]), name
        assert after[name]["license_status"] == "licensed", name
    # The licensed host whose KMS host does not answer keeps its MAK and its activation.
    assert (after[KMS_DOWN]["key_type"], after[KMS_DOWN]["license_status"]) == ("mak", "licensed")
    assert fleet.hosts[KMS_DOWN].writes == 0 and fleet.hosts[KMS_DOWN].worker_executions == 1
    for name in set(REFUSED) | ALREADY_COMPLIANT | UNREACHABLE | {KMS_DOWN}:
        assert after[name] == before[name], f"{name} must not change"
    assert run.returncode == 2  # the host kept for its KMS route and the unreachable host need attention


def test_second_run_changes_nothing_and_costs_one_worker_execution(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    _run(fleet, tmp_path, "convert")
    state = _licensing(fleet)
    executions = _executions(fleet)

    run, report = _run(fleet, tmp_path, "again")

    settled = TO_CONVERT | ALREADY_COMPLIANT
    assert {
        row["host"]: (row["status"], row["changed"]) for row in report["hosts"] if row["host"] in settled
    } == dict.fromkeys(settled, ("compliant", False))
    for name in settled | set(REFUSED):
        assert fleet.hosts[name].worker_executions - executions[name] == 1, name
        assert _task_result(run, name)["changed"] is False
    assert {name: state[name] for name in settled} == {name: _licensing(fleet)[name] for name in settled}


def test_report_files_match_the_host_results(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    run, report = _run(fleet, tmp_path, "convert")

    for row in report["hosts"]:
        result = _task_result(run, row["host"])
        if row["host"] in UNREACHABLE:
            assert result.get("unreachable") is True
            continue
        assert row["status"] == result["status"]
        assert row["changed"] == result["changed"]
        assert row["key_type"] == result["key_type"]
        assert row["partial_product_key"] == result["partial_product_key"]
        assert row["license_status"] == result["license_status"]
        assert row["gvlk"] == result["gvlk"]
    with open(tmp_path / "convert" / "kms_audit.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["host"], r["status"], r["key_type_before"], r["key_type_after"]) for r in rows] == [
        (h["host"], h["status"], h["key_type"]["before"] or "", h["key_type"]["after"] or "") for h in report["hosts"]
    ]
    assert report["summary"] == {
        status: list(_statuses(report).values()).count(status) for status in set(_statuses(report).values())
    }


BATCH_SCENARIO = {
    "defaults": {"kms": {"dns": "kms01.corp.example.com", "reachable": True}},
    "hosts": [
        {"name": "a-kms-host-1", "edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"},
        {"name": "b-kms-host-2", "edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"},
        {"name": "c-mak-1", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"},
        {
            "name": "d-mak-2",
            "edition_id": "ServerStandard",
            "build": 17763,
            "key_type": "mak",
            "faults": [{"transport": "slow", "seconds": 1, "times": 2}],
        },
    ],
}


def test_a_failed_batch_does_not_stop_the_other_hosts(tmp_path: pathlib.Path) -> None:
    with Fleet(BATCH_SCENARIO) as fleet:
        run, report = _run(fleet, tmp_path, "batches", "-e", "kms_client_serial=2")

    assert _statuses(report) == {
        "a-kms-host-1": "is_kms_host",
        "b-kms-host-2": "is_kms_host",
        "c-mak-1": "converted",
        "d-mak-2": "converted",
    }
    assert run.returncode == 0, run.stdout  # refusals are reported, not run failures, by default


def test_limit_reports_the_limited_hosts(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    run, report = _run(fleet, tmp_path, "limited", "--limit", "srv2022-dc-01,ws-win10-pro-01")

    assert _statuses(report) == {"srv2022-dc-01": "converted", "ws-win10-pro-01": "converted"}
    assert _executions(fleet)["srv2016-dc-01"] == 0
    assert run.returncode == 0, run.stdout
