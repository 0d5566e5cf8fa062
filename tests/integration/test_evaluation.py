"""convert-to-kms.yml end to end on tools/winsim/scenarios/evaluation.yml: Windows Server evaluations converted with
DISM and a restart when kms_client_convert_evaluation is on, refused as before without it.

One fleet for the module; the runs go in order: a conversion without the option, an audit and a conversion with it,
and the same conversion again. The tests read their reports and the fleet's state.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import resolve
from winsim.fleet import Fleet
from winsim.wsman import PlaybookRun, run_reporting

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
SCENARIO = REPO / "tools" / "winsim" / "scenarios" / "evaluation.yml"
OPTION = ("-e", "kms_client_convert_evaluation=true")
RUNS = (("plain", ()), ("audit", ("--check", *OPTION)), ("convert", OPTION), ("again", OPTION))
# The evaluations DISM converts, and the edition each becomes (as DISM names it, as the registry reads after).
CONVERTED = {
    "eval-std-01": ("ServerStandardEval", "ServerStandard", "ServerStandard"),
    "eval-datacenter-01": ("ServerDatacenterEval", "ServerDatacenter", "ServerDatacenter"),
    "eval-std-core-01": ("ServerStandardEvalCor", "ServerDatacenterCor", "ServerDatacenter"),
}
REFUSED = {"eval-std-core-02", "eval-2016-core-01", "eval-addc-01"}
LOST = "eval-lost-01"
EVALUATIONS = {*CONVERTED, *REFUSED, LOST}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[Fleet, dict[str, tuple[PlaybookRun, dict]]]]:
    work = tmp_path_factory.mktemp("evaluation")
    with Fleet(SCENARIO) as fleet:
        inventory = fleet.write_inventory(work / "inventory.yml")
        done = {}
        for name, args in RUNS:
            before = fleet.licensing_dump()
            done[name] = run_reporting(
                PLAYBOOK, inventory, work / name, *args, collections_paths=[REPO / ".collections"]
            )
            WROTE[name] = fleet.licensing_dump() != before
        yield fleet, done


WROTE: dict[str, bool] = {}  # whether a run changed any host's licensing state


def rows(report: dict) -> dict[str, dict]:
    return {row["host"]: row for row in report["hosts"]}


def set_edition_calls(fleet: Fleet, host: str) -> list[str]:
    return [edition for call, edition in fleet.hosts[host].servicing_calls if call == "set_edition"]


def test_without_the_option_every_evaluation_is_refused_as_before(runs) -> None:
    fleet, done = runs
    # DISM was asked on the evaluations only.
    assert fleet.hosts["srv2022-std-mak-01"].servicing_calls == []
    run, report = done["plain"]
    assert {host: rows(report)[host]["status"] for host in EVALUATIONS} == dict.fromkeys(
        EVALUATIONS, "evaluation_edition"
    )
    assert rows(report)["srv2022-std-mak-01"]["status"] == "converted"
    assert run.returncode == 0  # refusals are reported, not failures
    std = rows(report)["eval-std-01"]["message"]
    gvlk = resolve(edition_id="ServerStandard", build=20348).gvlk
    assert "DISM lists the editions it can become: ServerStandard, ServerDatacenter." in std
    assert f"DISM /online /Set-Edition:ServerStandard /ProductKey:{gvlk} /AcceptEula" in std
    assert "kms_client_convert_evaluation: true" in std


def test_the_advice_follows_what_the_host_offers(runs) -> None:
    _fleet, done = runs
    report = done["plain"][1]
    # Standard Server Core evaluation: only Datacenter Server Core, never Standard Core (the old advice).
    core = rows(report)["eval-std-core-02"]["message"]
    assert "evaluation edition ServerStandardEvalCor" in core
    assert "DISM offers ServerDatacenterCor, not Standard Server Core" in core
    assert "ServerStandardCor" not in core and "kms_client_evaluation_target: datacenter" in core
    assert "DISM lists no edition it can become" in rows(report)["eval-2016-core-01"]["message"]
    dc = rows(report)["eval-addc-01"]["message"]
    assert "domain controller (ProductType 2, DomainRole 5)" in dc and "move the FSMO roles" in dc


def test_the_audit_shows_the_target_edition_the_key_and_the_restart_and_writes_nothing(runs) -> None:
    fleet, done = runs
    report = done["audit"][1]
    for host, (source, target, _registry) in CONVERTED.items():
        row = rows(report)[host]
        partial = resolve(edition_id=target, build=20348).gvlk[-5:]
        assert row["status"] == "would_convert"
        assert f"change the evaluation edition {source} to {target}" in row["message"]
        assert f"(partial key {partial})" in row["message"] and "restart the host" in row["message"]
        assert (row["key_type"], row["partial_product_key"]["after"]) == ({"before": "eval", "after": "gvlk"}, partial)
    assert rows(report)[LOST]["status"] == "would_convert"
    assert {host: rows(report)[host]["status"] for host in REFUSED} == dict.fromkeys(REFUSED, "evaluation_edition")
    assert WROTE["audit"] is False
    assert {host: fleet.hosts[host].boots for host in EVALUATIONS} == {
        host: 1 if host in CONVERTED else 0 for host in EVALUATIONS
    }  # restarted in the conversion run only


def test_the_conversion_changes_the_edition_restarts_and_activates(runs) -> None:
    fleet, done = runs
    run, report = done["convert"]
    for host, (source, target, registry) in CONVERTED.items():
        row = rows(report)[host]
        assert row["status"] == "converted", row["message"]
        assert row["edition_change"] == {"before": source, "after": target}
        assert row["changed"] is True and row["key_type"] == {"before": "eval", "after": "gvlk"}
        assert row["license_status"]["after"] == "licensed"
        state = fleet.hosts[host].state()
        assert (state["edition_id"], state["key_type"], state["license_status"]) == (registry, "gvlk", "licensed")
        assert state["partial_product_key"] == resolve(edition_id=target, build=20348).gvlk[-5:]
        assert set_edition_calls(fleet, host) == [target]  # once, in the conversion run only
        assert fleet.hosts[host].boots == 1
    assert run.returncode == 2  # the host that did not come back needs attention


def test_a_host_that_does_not_come_back_is_reported_with_what_is_known(runs) -> None:
    fleet, done = runs
    row = rows(done["convert"][1])[LOST]
    assert row["status"] == "reboot_pending" and row["changed"] is True
    assert row["edition_change"] == {"before": "ServerDatacenterEval", "after": None}
    assert "has not come back within kms_client_reboot_timeout (12 s)" in row["message"]
    assert row["key_type"] == {"before": "eval", "after": None}
    assert set_edition_calls(fleet, LOST) == ["ServerDatacenter"] and fleet.hosts[LOST].boots == 0
    # Still down in the next run: unreachable, and its row is not lost.
    assert rows(done["again"][1])[LOST]["status"] == "unreachable"


def test_refused_evaluations_are_never_touched(runs) -> None:
    fleet, done = runs
    assert {host: rows(done["convert"][1])[host]["status"] for host in REFUSED} == dict.fromkeys(
        REFUSED, "evaluation_edition"
    )
    for host in REFUSED:
        assert set_edition_calls(fleet, host) == [] and fleet.hosts[host].writes == 0
        assert fleet.hosts[host].state()["key_type"] == "eval"


def test_the_second_conversion_changes_nothing(runs) -> None:
    fleet, done = runs
    report = done["again"][1]
    for host in CONVERTED:
        assert rows(report)[host]["status"] == "compliant" and rows(report)[host]["changed"] is False
        assert fleet.hosts[host].boots == 1
