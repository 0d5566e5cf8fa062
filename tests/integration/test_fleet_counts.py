"""What each host costs, counted by the simulated fleet: worker executions, WinRS commands, HTTP requests.

Real ansible-playbook over the real winrm connection plugin against the mixed scenario. A host the plan
leaves alone costs one worker execution (the probe); a host that is changed costs two (probe, then apply
and read back), all in one shell. A CI-sized fleet proves no host and no worker execution is lost or
duplicated under forks.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest

from winsim.fleet import Fleet, repeated_scenario
from winsim.wsman import run_playbook, run_reporting

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
SCENARIO = REPO / "tools" / "winsim" / "scenarios" / "mixed_fleet.yml"
COUNTERS = ("worker_executions", "winrs_commands", "requests", "shells", "sends")
FACT_TASK = "Keep the host's outcome in the fact cache"


def _counters(fleet: Fleet) -> dict[str, dict[str, int]]:
    return {name: fleet.endpoint.stats(name) for name in fleet.hosts}


def _run(fleet: Fleet, tmp_path: pathlib.Path, name: str, *args: str) -> tuple[dict[str, tuple[int, ...]], dict]:
    """Run convert-to-kms.yml; return each host's counter increments (COUNTERS order) and the JSON report."""
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    before = _counters(fleet)
    _played, report = run_reporting(
        PLAYBOOK, inventory, tmp_path / name, *args, collections_paths=[REPO / ".collections"]
    )
    after = _counters(fleet)
    increments = {host: tuple(after[host][c] - before[host][c] for c in COUNTERS) for host in fleet.hosts}
    return increments, report


def _cost(executions: int, sends: int) -> tuple[int, ...]:
    """Counters of a host that ran the worker ``executions`` times in one shell (create, per command: Command,
    Send, Receive, Signal; delete), ``sends`` Send requests per command: the winrm plugin sends a payload in pieces
    of 200 000 bytes (its _wrapper_payload_stream), and the module's payload, the C# engine in it, is 225 kB under
    ansible-core 2.19."""
    if not executions:
        return (0, 0, 0, 0, 0)
    return (executions, executions, 2 + (3 + sends) * executions, 1, sends * executions)


def _expected(
    fleet: Fleet, applied: t.Iterable[str], increments: dict[str, tuple[int, ...]]
) -> dict[str, tuple[int, ...]]:
    refused = {name for name, binding in fleet.endpoint.bindings.items() if binding.refused}
    applied = set(applied)
    # The payload is the same for every host and execution: one number of Send requests per execution.
    (sends,) = {i[4] // i[0] for i in increments.values() if i[0]}
    assert 1 <= sends <= 2
    return {name: _cost(0 if name in refused else 2 if name in applied else 1, sends) for name in fleet.hosts}


@pytest.fixture
def fleet() -> t.Iterator[Fleet]:
    with Fleet(SCENARIO) as served:
        yield served


def test_an_audit_costs_one_worker_execution_per_host(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    increments, _report = _run(fleet, tmp_path, "audit", "--check")

    assert increments == _expected(fleet, (), increments)


def test_a_conversion_without_activation_costs_two_on_changed_hosts_and_one_elsewhere(
    fleet: Fleet, tmp_path: pathlib.Path
) -> None:
    increments, report = _run(fleet, tmp_path, "convert", "-e", "kms_client_activate=false")

    changed = {row["host"] for row in report["hosts"] if row["changed"]}
    assert changed
    assert increments == _expected(fleet, changed, increments)


def test_a_conversion_with_activation_and_a_second_run(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    increments, report = _run(fleet, tmp_path, "convert")

    statuses = {row["host"]: row["status"] for row in report["hosts"]}
    applied = {
        host for host, status in statuses.items() if status in {"converted", "reconfigured", "activation_failed"}
    }
    # A licensed host whose KMS host does not answer keeps its key (kms_unreachable): one execution, no apply.
    assert {"converted", "kms_unreachable"} <= set(statuses.values())
    assert increments == _expected(fleet, applied, increments)

    increments, report = _run(fleet, tmp_path, "again")

    # Only hosts whose activation failed (if any) are worked on again (their activation is retried).
    retried = {row["host"] for row in report["hosts"] if row["status"] == "activation_failed"}
    assert retried == {host for host, status in statuses.items() if status == "activation_failed"}
    assert increments == _expected(fleet, retried, increments)


def test_a_ci_sized_audit_reports_every_host_once_and_runs_each_worker_once(tmp_path: pathlib.Path) -> None:
    with Fleet(repeated_scenario(SCENARIO, 252)) as fleet:
        increments, report = _run(fleet, tmp_path, "audit", "--check", "--forks", "25")

    reported = [row["host"] for row in report["hosts"]]
    assert sorted(reported) == sorted(fleet.hosts)
    assert all(row["status"] for row in report["hosts"])
    assert increments == _expected(fleet, (), increments)


def test_the_outcome_is_kept_in_the_fact_cache_by_one_task_run_per_batch(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    """One run of the fact task per batch (not one worker process per host), and every host's outcome cached."""
    cache = tmp_path / "facts"
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    run = run_playbook(
        PLAYBOOK,
        inventory,
        "--check",
        "-e",
        f"kms_client_report_dest={tmp_path / 'report'}",
        "-e",
        "kms_client_serial=8",
        collections_paths=[REPO / ".collections"],
        env={"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache)},
    )
    report = json.loads((tmp_path / "report" / "kms_audit.json").read_text(encoding="utf-8"))

    fact_task = [entry for entry in run.results if entry["task"].endswith(FACT_TASK)]
    batches = [[str(item["_kms_client_batch_host"]) for item in entry["result"]["results"]] for entry in fact_task]
    hosts = sorted(fleet.hosts)
    assert len(hosts) == 18
    assert [len(batch) for batch in batches] == [8, 8, 2]
    assert sorted(host for batch in batches for host in batch) == hosts
    # One file per host, named after it (ansible-core 2.19 puts a prefix before the name and wraps the data).
    files = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in cache.iterdir()}
    cached = {}
    for host in hosts:
        (data,) = [data for name, data in files.items() if name == host or name.endswith(f"_{host}")]
        cached[host] = (
            json.loads(data["__payload__"])["kms_client"]["value"] if "__payload__" in data else data["kms_client"]
        )
    assert len(files) == len(hosts)
    assert {host: _plain(fact["status"]) for host, fact in cached.items()} == {
        row["host"]: row["status"] for row in report["hosts"]
    }
    assert {_plain(fact["mode"]) for fact in cached.values()} == {"check"}


def _plain(value: t.Any) -> t.Any:
    """A value of the jsonfile cache without ansible-core 2.19's origin tags."""
    return value["value"] if isinstance(value, dict) and "__ansible_type" in value else value
