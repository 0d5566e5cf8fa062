"""A sliced job as AWX runs it: the simulated mixed fleet split into slices (``--limit`` partitions, hosts dealt
round-robin as job slicing deals them), each slice a separate ansible-playbook run of convert-to-kms.yml with the
jsonfile fact cache, then one fleet report: from the cache by the playbook volume_activation.kms.report, or by
merging the reports the slices wrote.

One slice runs in check mode (an audit) and the others convert, so that each host's row can only be right if it
holds its own slice's result. One host is left out of every slice: it must be reported as not_run.
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
CONVERT = REPO / "convert-to-kms.yml"
REPORT = "volume_activation.kms.report"
SCENARIO = REPO / "tools" / "winsim" / "scenarios" / "mixed_fleet.yml"
TASK = "Make the host a KMS client with the GVLK of its edition"
SLICES = 3
AUDIT_SLICE = 0
NEVER_RUN = "ws-win11-edu-01"


@pytest.fixture
def fleet() -> t.Iterator[Fleet]:
    with Fleet(SCENARIO) as served:
        yield served


def _slices(fleet: Fleet) -> list[list[str]]:
    """Every host but NEVER_RUN dealt round-robin into SLICES partitions."""
    hosts = sorted(name for name in fleet.hosts if name != NEVER_RUN)
    return [hosts[index::SLICES] for index in range(SLICES)]


def _cache_env(cache: pathlib.Path) -> dict[str, str]:
    return {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache)}


def _outcome(run: PlaybookRun, host: str) -> str:
    """The status a host's conversion task ended with in its run (unreachable as the report names it)."""
    matches = [entry["result"] for entry in run.results if entry["host"] == host and entry["task"].endswith(TASK)]
    assert len(matches) == 1, f"{host}: {len(matches)} results of {TASK!r}\n{run.stdout}"
    result = matches[0]
    return "unreachable" if result.get("unreachable") else result["status"]


def _run_slices(fleet: Fleet, tmp_path: pathlib.Path, caches: list[pathlib.Path]) -> dict[str, str]:
    """Run every slice (slice i with fact cache caches[i]); return each host's outcome in its slice."""
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    outcomes: dict[str, str] = {}
    for index, hosts in enumerate(_slices(fleet)):
        mode = ["--check"] if index == AUDIT_SLICE else []
        run = run_playbook(
            CONVERT,
            inventory,
            "--limit",
            ",".join(hosts),
            "-e",
            f"kms_client_report_dest={tmp_path / f'slice{index}-play-report'}",
            *mode,
            collections_paths=[REPO / ".collections"],
            env=_cache_env(caches[index]),
        )
        ran = {entry["host"] for entry in run.results if entry["task"].endswith(TASK)}
        assert ran == set(hosts), run.stdout + run.stderr
        outcomes |= {host: _outcome(run, host) for host in hosts}
    return outcomes


def _report(
    fleet: Fleet, tmp_path: pathlib.Path, dest: pathlib.Path, cache: pathlib.Path, *extra: str
) -> dict[str, t.Any]:
    """Run the report playbook; it must connect to no host. Returns the JSON report."""
    executions = {name: host.worker_executions for name, host in fleet.hosts.items()}
    run = run_playbook(
        REPORT,
        tmp_path / "inventory.yml",
        "-e",
        json.dumps({"kms_client_report_dest": str(dest), "kms_client_report_fail_statuses": []}),
        *extra,
        collections_paths=[REPO / ".collections"],
        env=_cache_env(cache),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert {entry["host"] for entry in run.results} == {"localhost"}
    assert {name: host.worker_executions for name, host in fleet.hosts.items()} == executions
    return json.loads((dest / "kms_audit.json").read_text(encoding="utf-8"))


def _cached_fact(path: pathlib.Path) -> dict[str, t.Any]:
    """The kms_client fact of a jsonfile cache entry (ansible-core 2.19 wraps it with its data tags)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "__payload__" in data:
        data = json.loads(data["__payload__"])
    fact = data["kms_client"]
    return fact["value"] if "__ansible_type" in fact else fact


def _check_fleet_report(report: dict[str, t.Any], fleet: Fleet, outcomes: dict[str, str]) -> None:
    """One row per host of the fleet, each with its slice's outcome, the host no slice ran as not_run."""
    hosts = [row["host"] for row in report["hosts"]]
    assert sorted(hosts) == sorted(fleet.hosts) and len(hosts) == len(set(hosts))
    assert {row["host"]: row["status"] for row in report["hosts"]} == outcomes | {NEVER_RUN: "not_run"}
    assert report["mode"] == "apply"
    # The audit slice and the converting slices both left results (the test would prove nothing otherwise).
    audited = {outcomes[host] for host in _slices(fleet)[AUDIT_SLICE]}
    converted = {outcomes[host] for index, part in enumerate(_slices(fleet)) if index != AUDIT_SLICE for host in part}
    assert "would_convert" in audited and "converted" in converted and "converted" not in audited
    assert all(row["time"] for row in report["hosts"] if row["status"] != "not_run")


@pytest.mark.matrix
def test_report_from_the_fact_cache_of_every_slice(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    cache = tmp_path / "facts"
    outcomes = _run_slices(fleet, tmp_path, [cache] * SLICES)

    report = _report(fleet, tmp_path, tmp_path / "fleet-report", cache)

    _check_fleet_report(report, fleet, outcomes)
    assert {row["source"] for row in report["hosts"] if row["status"] != "not_run"} == {"facts"}
    # The cache holds the documented fact for each host that ran, partial keys only.
    host = sorted(outcomes)[0]
    (entry,) = [path for path in cache.iterdir() if path.name == host or path.name.endswith(f"_{host}")]
    cached = _cached_fact(entry)
    assert cached["version"] == 2 and cached["status"] == outcomes[host] and "msg" in cached
    assert all(len(value or "") <= 5 for value in cached["partial_product_key"].values())


def test_report_merged_from_the_slice_reports(fleet: Fleet, tmp_path: pathlib.Path) -> None:
    caches = [tmp_path / f"facts{index}" for index in range(SLICES)]
    outcomes = _run_slices(fleet, tmp_path, caches)
    slice_reports = [tmp_path / f"slice{index}" for index in range(SLICES)]
    for cache, dest in zip(caches, slice_reports, strict=True):
        partial = _report(fleet, tmp_path, dest, cache)
        assert len(partial["hosts"]) == len(fleet.hosts)  # each slice lists the others' hosts as not_run

    merge = json.dumps({"kms_client_report_merge": [str(path) for path in slice_reports]})
    report = _report(fleet, tmp_path, tmp_path / "fleet-report", tmp_path / "no-cache", "-e", merge)

    _check_fleet_report(report, fleet, outcomes)
    sources = {row["host"]: row["source"] for row in report["hosts"]}
    for index, hosts in enumerate(_slices(fleet)):
        assert {sources[host] for host in hosts} == {str(slice_reports[index] / "kms_audit.json")}
