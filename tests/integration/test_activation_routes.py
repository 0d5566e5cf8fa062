"""convert-to-kms.yml end to end on tools/winsim/scenarios/activation_routes.yml: an ADBA forest with no KMS host,
activation-type settings, KMS hosts below and at their thresholds, and two clones sharing a machine ID.

One fleet for the module: the audit, the conversion and the audit after it run once each, in that order, and the
tests read their reports and the fleet's state.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from winsim.fleet import Fleet
from winsim.wsman import PlaybookRun, run_reporting

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
SCENARIO = REPO / "tools" / "winsim" / "scenarios" / "activation_routes.yml"
ADBA = {"adba-mak-licensed", "adba-retail", "adba-gvlk-grace"}
RESTRICTED = {"act-type-ad-only", "act-type-token-only"}
FRESH = {"fresh-server-1", "fresh-server-2"}
BUSY = {"busy-client-1", "busy-client-2", "busy-client-3"}
RUNS = (("audit", ("--check",)), ("convert", ()), ("audit-after", ("--check",)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[Fleet, dict[str, tuple[PlaybookRun, dict]]]]:
    work = tmp_path_factory.mktemp("routes")
    with Fleet(SCENARIO) as fleet:
        inventory = fleet.write_inventory(work / "inventory.yml")
        done = {
            name: run_reporting(PLAYBOOK, inventory, work / name, *args, collections_paths=[REPO / ".collections"])
            for name, args in RUNS
        }
        yield fleet, done


def statuses(report: dict) -> dict[str, str]:
    return {row["host"]: row["status"] for row in report["hosts"]}


def rows(report: dict) -> dict[str, dict]:
    return {row["host"]: row for row in report["hosts"]}


def test_the_adba_forest_converts_and_activates_with_no_kms_host(runs) -> None:
    fleet, done = runs
    audit, convert, after = (done[name][1] for name, _args in RUNS)
    assert {host: statuses(audit)[host] for host in ADBA} == {
        "adba-mak-licensed": "would_convert",
        "adba-retail": "would_convert",
        "adba-gvlk-grace": "would_reconfigure",
    }
    assert {host: statuses(convert)[host] for host in ADBA} == {
        "adba-mak-licensed": "converted",
        "adba-retail": "converted",
        "adba-gvlk-grace": "reconfigured",
    }
    for host in ADBA:
        assert rows(convert)[host]["activation_route"] == "adba"
        assert statuses(after)[host] == "compliant"
        state = fleet.hosts[host].state()
        assert (state["key_type"], state["license_status"]) == ("gvlk", "licensed")
        assert fleet.hosts[host].activated_against is None  # no KMS host was contacted


def test_restricted_hosts_keep_their_key_in_every_run(runs) -> None:
    fleet, done = runs
    for name, _args in RUNS:
        assert {host: statuses(done[name][1])[host] for host in RESTRICTED} == dict.fromkeys(
            RESTRICTED, "activation_type_restricted"
        )
    for host in RESTRICTED:
        assert (fleet.hosts[host].state()["key_type"], fleet.hosts[host].writes) == ("mak", 0)
    assert all(done[name][0].returncode == 2 for name, _args in RUNS)  # they need attention


def test_the_fresh_kms_host_activates_its_second_server_and_the_report_predicted_it(runs) -> None:
    _fleet, done = runs
    audit, convert, after = (done[name][1] for name, _args in RUNS)
    (predicted,) = audit["findings"]["kms_hosts"]
    assert predicted == {
        "host": "kms-fresh",
        "count": 3,
        "clients_in_run": 2,
        "reaches": 5,
        "servers_activate": True,
        "clients_activate": False,
    }
    assert sorted(statuses(convert)[host] for host in FRESH) == ["activation_pending", "converted"]
    pending = next(host for host in FRESH if statuses(convert)[host] == "activation_pending")
    assert rows(convert)[pending]["activation"]["hresult"] == "0xC004F038"
    assert convert["findings"]["activation_errors"] == [
        {"hresult": "0xC004F038", "symbol": "SL_E_VL_NOT_ENOUGH_COUNT", "hosts": [pending]}
    ]
    assert "this host will activate when the count reaches 5" in rows(convert)[pending]["message"]
    assert statuses(after)[pending] == "would_reconfigure"  # the count is 5 now: the next run activates it
    assert rows(after)["kms-fresh"]["kms_count"] == 5


def test_the_busy_kms_host_activates_every_client(runs) -> None:
    _fleet, done = runs
    assert {host: statuses(done["convert"][1])[host] for host in BUSY} == dict.fromkeys(BUSY, "converted")


def test_the_clones_are_named_in_the_findings(runs) -> None:
    _fleet, done = runs
    report_dir_markdown = [line for line in done["audit"][0].stdout.splitlines() if "ClientMachineID" in line]
    assert report_dir_markdown, "the end-of-run table names the shared machine ID"
    assert done["audit"][1]["findings"]["duplicate_machine_ids"] == [
        {"client_machine_id": "0b7e4a3c-8d2f-4e61-9a5b-3c2d1e0f9a87", "hosts": ["clone-a", "clone-b"]}
    ]
