"""convert-to-kms.yml end to end: real ansible-playbook, the real winrm connection plugin and pywinrm, against
the simulated mixed fleet (tools/winsim/scenarios/mixed_fleet.yml) served in this process.

The expected statuses below are what an administrator expects of each host of the scenario; the fleet's
licensing models are inspected directly to prove what changed on the hosts and what did not.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import pathlib
import re
import sqlite3
import typing as t

import pytest

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from winsim.fleet import Fleet
from winsim.wsman import PlaybookRun, run_reporting

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
SCENARIO = REPO / "tools" / "winsim" / "scenarios" / "mixed_fleet.yml"
TASK = "Make the host a KMS client with the GVLK of its edition"

REFUSED = {
    "kms01": "is_kms_host",
    "srv2025-dc-eval-01": "evaluation_edition",
    "ws-win10-home-01": "unsupported_edition",
}
UNREACHABLE = {"ws-win11-pro-offline-01"}
KMS_DOWN = "ws-win10-ent-branch-01"  # licensed MAK, its KMS host does not answer: the key stays
ALREADY_COMPLIANT = {"srv2019-std-01"}
TO_ACTIVATE = {"srv2022-azure-01"}  # holds its GVLK, in the grace period: the key stays, the host is activated
TO_CONVERT = {
    "srv2012r2-std-01",
    "srv2016-dc-01",
    "srv2019-std-core-01",
    "srv2022-dc-01",
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
    expected |= dict.fromkeys(TO_ACTIVATE, "would_reconfigure")
    expected |= dict.fromkeys(ALREADY_COMPLIANT, "compliant")
    expected |= REFUSED | dict.fromkeys(UNREACHABLE, "unreachable")
    return expected


def _run(fleet: Fleet, tmp_path: pathlib.Path, name: str, *args: str) -> tuple[PlaybookRun, dict[str, t.Any]]:
    """Run convert-to-kms.yml with the report written to tmp_path/name; return the run and the JSON report."""
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    return run_reporting(PLAYBOOK, inventory, tmp_path / name, *args, collections_paths=[REPO / ".collections"])


def _licensing(fleet: Fleet) -> dict[str, dict[str, t.Any]]:
    """Each host's licensing state without the traffic counters."""
    ignored = {"worker_executions", "writes"}
    return {name: {k: v for k, v in host.state().items() if k not in ignored} for name, host in fleet.hosts.items()}


def _executions(fleet: Fleet) -> dict[str, int]:
    return {name: host.worker_executions for name, host in fleet.hosts.items()}


@dataclasses.dataclass(frozen=True)
class Stage:
    """One run of the playbook on the journey's fleet, with what the fleet held and counted before and after it."""

    run: PlaybookRun
    report: dict[str, t.Any]
    directory: pathlib.Path
    before: dict[str, dict[str, t.Any]]
    after: dict[str, dict[str, t.Any]]
    executions: dict[str, int]  # worker executions of each host during this run
    writes: dict[str, int]  # licensing writes of each host during this run


@dataclasses.dataclass(frozen=True)
class Journey:
    """The administrator's path on one fleet: audit, convert, run again."""

    fleet: Fleet
    audit: Stage
    convert: Stage
    again: Stage


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Journey]:
    tmp_path = tmp_path_factory.mktemp("journey")
    with Fleet(SCENARIO) as fleet:

        def stage(name: str, *args: str) -> Stage:
            before, executions, writes = (
                _licensing(fleet),
                _executions(fleet),
                {n: h.writes for n, h in fleet.hosts.items()},
            )
            run, report = _run(fleet, tmp_path, name, *args)
            return Stage(
                run,
                report,
                tmp_path / name,
                before,
                _licensing(fleet),
                {name: count - executions[name] for name, count in _executions(fleet).items()},
                {name: host.writes - writes[name] for name, host in fleet.hosts.items()},
            )

        yield Journey(fleet, stage("audit", "--check"), stage("convert"), stage("again"))


@pytest.fixture
def fleet() -> t.Iterator[Fleet]:
    """A fleet of its own, for runs that must start from the scenario's state."""
    with Fleet(SCENARIO) as served:
        yield served


@pytest.fixture(scope="module")
def audit_fleet() -> t.Iterator[Fleet]:
    """A fleet only audited (check mode), shared by the audits that vary an option."""
    with Fleet(SCENARIO) as served:
        yield served


def _task_result(run: PlaybookRun, host: str) -> dict[str, t.Any]:
    """The role's conversion task result of one host (task names carry the role's prefix)."""
    matches = [entry["result"] for entry in run.results if entry["host"] == host and entry["task"].endswith(TASK)]
    assert len(matches) == 1, f"{host}: {len(matches)} results of {TASK!r}"
    return matches[0]


def _statuses(report: dict[str, t.Any]) -> dict[str, str]:
    return {row["host"]: row["status"] for row in report["hosts"]}


@pytest.mark.matrix
def test_audit_reports_every_host_and_changes_nothing(journey: Journey) -> None:
    run, report = journey.audit.run, journey.audit.report

    assert journey.audit.after == journey.audit.before
    assert set(journey.audit.writes.values()) == {0}
    assert report["mode"] == "check"
    assert _statuses(report) == _audit_expectation()
    assert journey.audit.executions == {name: 0 if name in UNREACHABLE else 1 for name in journey.fleet.hosts}
    # The audit names what would change: a MAK host would get its edition's GVLK.
    row = next(row for row in report["hosts"] if row["host"] == "srv2022-dc-01")
    expected = gvlk_catalog.resolve(edition_id="ServerDatacenter", build=20348)
    assert (row["key_type"], row["gvlk"]) == ({"before": "mak", "after": "gvlk"}, expected.gvlk)
    # An unreachable host makes the run fail once the report is written: Ansible's code for it.
    assert run.returncode == 4, run.stdout


@pytest.mark.matrix
def test_conversion_converts_exactly_the_hosts_that_should_change(journey: Journey) -> None:
    run, report, fleet = journey.convert.run, journey.convert.report, journey.fleet
    before, after = journey.convert.before, journey.convert.after

    statuses = _statuses(report)
    assert {host for host, status in statuses.items() if status == "converted"} == TO_CONVERT
    assert {host for host, status in statuses.items() if status == "reconfigured"} == TO_ACTIVATE
    assert statuses[KMS_DOWN] == "kms_unreachable"
    kept = next(row for row in report["hosts"] if row["host"] == KMS_DOWN)
    assert "kms01.corp.example.com" in kept["message"] and "port 1688" in kept["message"], kept
    assert "timed out" in kept["message"] and "on_kms_unreachable: convert" in kept["message"], kept
    assert {host: statuses[host] for host in REFUSED} == REFUSED
    assert {host: statuses[host] for host in ALREADY_COMPLIANT | UNREACHABLE} == {
        **dict.fromkeys(ALREADY_COMPLIANT, "compliant"),
        **dict.fromkeys(UNREACHABLE, "unreachable"),
    }
    for name in TO_CONVERT | TO_ACTIVATE:
        spec = fleet.hosts[name].spec
        key = gvlk_catalog.resolve(edition_id=spec.edition_id, build=spec.build).gvlk
        assert (after[name]["key_type"], after[name]["partial_product_key"]) == ("gvlk", key[-5:]), name
        assert after[name]["license_status"] == "licensed", name
    # The licensed host whose KMS host does not answer keeps its MAK and its activation.
    assert (after[KMS_DOWN]["key_type"], after[KMS_DOWN]["license_status"]) == ("mak", "licensed")
    assert (journey.convert.writes[KMS_DOWN], journey.convert.executions[KMS_DOWN]) == (0, 1)
    for name in set(REFUSED) | ALREADY_COMPLIANT | UNREACHABLE | {KMS_DOWN}:
        assert after[name] == before[name], f"{name} must not change"
    # The host kept for its KMS route and the unreachable host fail the run: Ansible's code for an unreachable host.
    assert run.returncode == 4
    # The last message counts the hosts that need attention as the printed table does, then those failing the run.
    assert f"Needs attention: {len(ATTENTION)} hosts" in _printed_table(run)
    assert f"Needs attention: {len(ATTENTION)} hosts, of which 2 fail the run (1 kms_unreachable, 1 unreachable:" in (
        run.stdout
    ), run.stdout


def test_second_run_changes_nothing_and_costs_one_worker_execution(journey: Journey) -> None:
    run, report = journey.again.run, journey.again.report

    settled = TO_CONVERT | TO_ACTIVATE | ALREADY_COMPLIANT
    assert {
        row["host"]: (row["status"], row["changed"]) for row in report["hosts"] if row["host"] in settled
    } == dict.fromkeys(settled, ("compliant", False))
    for name in settled | set(REFUSED):
        assert journey.again.executions[name] == 1, name
        assert _task_result(run, name)["changed"] is False
    assert {name: journey.again.before[name] for name in settled} == {
        name: journey.again.after[name] for name in settled
    }


def test_report_files_match_the_host_results(journey: Journey) -> None:
    run, report = journey.convert.run, journey.convert.report

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
    with open(journey.convert.directory / "kms_audit.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_host = {h["host"]: h for h in report["hosts"]}
    order = report["attention"] + [h for h in by_host if h not in report["attention"]]  # attention first
    assert [(r["host"], r["status"], r["key_type_before"], r["key_type_after"]) for r in rows] == [
        (h, by_host[h]["status"], by_host[h]["key_type"]["before"] or "", by_host[h]["key_type"]["after"] or "")
        for h in order
    ]
    assert report["summary"] == {
        status: list(_statuses(report).values()).count(status) for status in set(_statuses(report).values())
    }


def test_a_limited_run_updates_its_hosts_in_the_fleet_report_and_drops_none(
    fleet: Fleet, tmp_path: pathlib.Path
) -> None:
    _run(fleet, tmp_path, "fleet", "--check")
    host = "srv2022-dc-01"

    run, report = _run(fleet, tmp_path, "fleet", "--limit", host, "-e", "kms_client_report_title=Branch-42")

    assert _statuses(report) == _audit_expectation() | {host: "converted"}
    assert report["title"] == "Branch-42" and report["headline"]["kms_clients"] == 3
    assert {row["host"] for row in report["hosts"] if row["in_run"]} == {host}
    assert report["fleet"] == {"hosts": len(fleet.hosts), "in_run": 1, "earlier": len(fleet.hosts) - 1}
    assert all(row["source"] == "record" and row["age_days"] == 0 for row in report["hosts"] if not row["in_run"])
    # The run is judged by its own host: the unreachable host of the audit does not fail it.
    assert run.returncode == 0, run.stdout + run.stderr
    assert "kms audit (apply): 1 host: 1 converted" in run.stdout
    with sqlite3.connect(tmp_path / "fleet" / "kms_fleet.sqlite") as db:
        runs = db.execute("SELECT id, mode FROM runs ORDER BY id").fetchall()
        limited = db.execute("SELECT host, status FROM observations WHERE run = 2").fetchall()
    assert runs == [(1, "check"), (2, "apply")] and limited == [(host, "converted")]


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


SHOW_TABLE = "Show the summary and where the report is"
ATTENTION = {KMS_DOWN: "kms_unreachable", **REFUSED, **dict.fromkeys(UNREACHABLE, "unreachable")}


RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def _recap(run: PlaybookRun) -> dict[str, tuple[int, int]]:
    """The PLAY RECAP: each host's ``(unreachable, failed)`` counts."""
    recap = run.stdout.split("PLAY RECAP", 1)[1]
    return {host: (int(unreachable), int(failed)) for host, _ok, _changed, unreachable, failed in RECAP.findall(recap)}


def _task_lines(run: PlaybookRun, task: str) -> list[str]:
    """The lines the default callback printed under ``task``'s banner, up to the next banner."""
    section = run.stdout.split(f"TASK [{task}]", 1)[1].split("\n", 1)[1]
    return section.split("\nTASK [", 1)[0].split("\nPLAY ", 1)[0].splitlines()


@pytest.mark.matrix
def test_the_console_prints_a_line_per_host_and_the_recap_counts_each_host_where_its_outcome_belongs(
    journey: Journey,
) -> None:
    run = journey.convert.run
    fleet = set(journey.fleet.hosts)

    lines = _task_lines(run, f"volume_activation.kms.kms_client : {TASK}")
    said = {host: [line for line in lines if f"[{host}]" in line] for host in fleet}
    # One line per host: an outcome (kms_unreachable, a refusal) is ok, not an Ansible error; only the host the run
    # could not reach is UNREACHABLE (ansible-core 2.19 adds its own error block before that line).
    assert {host: len(found) for host, found in said.items()} == dict.fromkeys(fleet, 1), lines
    assert said[KMS_DOWN] == [f"ok: [{KMS_DOWN}]"] and "FAILED!" not in "\n".join(lines)
    assert all(said[host][0].startswith(f"fatal: [{host}]: UNREACHABLE! =>") for host in UNREACHABLE)
    # The recap: the host whose status fails the run is failed, the unreachable one unreachable, no other host either.
    assert _recap(run) == {
        **dict.fromkeys(fleet, (0, 0)),
        KMS_DOWN: (0, 1),
        **dict.fromkeys(UNREACHABLE, (1, 0)),
    }


def _printed_table(run: PlaybookRun) -> list[str]:
    """The lines the report's display task printed, checked to be in the default callback's output one per line."""
    (entry,) = [entry for entry in run.results if entry["task"].endswith(SHOW_TABLE)]
    lines = entry["result"]["msg"]
    assert isinstance(lines, list), lines
    for line in lines:  # the default callback prints a list as a JSON array, one item per line
        assert f"        {json.dumps(line, ensure_ascii=False)}" in run.stdout, line
    return lines


def test_the_audit_prints_the_hosts_that_need_attention_first_and_what_to_do(journey: Journey) -> None:
    run, report = journey.audit.run, journey.audit.report

    lines = _printed_table(run)
    assert lines[0].startswith("kms audit (check): 18 hosts:") and str(journey.audit.directory) in lines[0]
    assert lines[1] == f"Needs attention: {len(ATTENTION)} hosts"
    listed = {
        line.split()[0]: line.split()[1] for line in lines if line.startswith("  ") and not line.startswith("   ")
    }
    assert {host: listed[host] for host in ATTENTION} == ATTENTION
    assert {host: listed[host] for host in TO_CONVERT} == dict.fromkeys(TO_CONVERT, "would_convert")
    assert {host: listed[host] for host in TO_ACTIVATE} == dict.fromkeys(TO_ACTIVATE, "would_reconfigure")
    assert not ALREADY_COMPLIANT & set(listed)  # compliant hosts are counted, not listed
    assert "Compliant: 1 host (nothing to do)" in lines
    attention_end = lines.index(f"Would change: {len(TO_CONVERT) + len(TO_ACTIVATE)} hosts")
    assert {line.split()[0] for line in lines[2:attention_end] if line.startswith("  ") and line[2] != " "} == {
        "host",
        *ATTENTION,
    }
    # Key type before -> after and what to do, from the status vocabulary.
    row = next(line for line in lines if line.startswith("  srv2022-dc-01 "))
    assert "mak \N{RIGHTWARDS ARROW} gvlk" in row and row.endswith("run without --check to convert it")
    # The unreachable host's line says what to check for WinRM, its message line the error and the hint.
    offline = next(i for i, line in enumerate(lines) if line.startswith("  ws-win11-pro-offline-01 "))
    assert "WinRM listener" in lines[offline] and "the WinRM connection failed (" in lines[offline + 1]
    assert report["attention"] == [host for host in report["attention"] if host in ATTENTION]
    assert set(report["attention"]) == set(ATTENTION)


def test_report_files_start_with_the_hosts_that_need_attention_and_a_legend(journey: Journey) -> None:
    report, directory = journey.audit.report, journey.audit.directory
    markdown = (directory / "kms_audit.md").read_text(encoding="utf-8")
    html = (directory / "kms_audit.html").read_text(encoding="utf-8")
    assert markdown.index("## Needs attention") < markdown.index("## Summary") < markdown.index("## Hosts")
    assert markdown.index("## Hosts") < markdown.index("## Legend")
    assert html.index("<h2>Needs attention (5)</h2>") < html.index("<h2>Summary</h2>") < html.index("<h2>Legend</h2>")
    assert set(report["legend"]) == set(report["summary"])
    assert "leave it out of the target group" in report["legend"]["is_kms_host"]["todo"]
    assert "leave it out of the target group" in markdown and "leave it out of the target group" in html
    with open(directory / "kms_audit.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["host"] for row in rows[: len(ATTENTION)]] == report["attention"]
    assert {row["attention"] for row in rows[len(ATTENTION) :]} == {"false"}
    # Refused hosts carry their edition's name, as the catalog names it.
    editions = {row["host"]: row["edition"] for row in rows}
    assert editions["ws-win10-home-01"] == "Windows 10 Home"
    assert editions["kms01"] and editions["srv2025-dc-eval-01"], editions
    # The KMS host a host last activated against has its own columns.
    assert {"kms_discovered_machine", "kms_discovered_port"} <= set(rows[0])


def test_the_report_names_gvlk_overrides_that_matched_no_host(audit_fleet: Fleet, tmp_path: pathlib.Path) -> None:
    key = gvlk_catalog.resolve(edition_id="ServerStandard", build=17763).gvlk
    overrides = {"ServerStandard@17763": key, "ServerStandrd": key, "ServerStandard@14393": key}
    run, report = _run(
        audit_fleet, tmp_path, "audit", "--check", "-e", json.dumps({"kms_client_gvlk_overrides": overrides})
    )

    assert report["gvlk_overrides"]["unmatched"] == ["ServerStandard@14393", "ServerStandrd"]
    assert report["gvlk_overrides"]["used"] == ["ServerStandard@17763"]
    assert "GVLK overrides that matched no host: ServerStandard@14393, ServerStandrd" in _printed_table(run)
    markdown = (tmp_path / "audit" / "kms_audit.md").read_text(encoding="utf-8")
    assert "## GVLK overrides that matched no host" in markdown and "`ServerStandrd`" in markdown


def test_the_winrm_hint_is_in_every_format_also_from_cached_facts(audit_fleet: Fleet, tmp_path: pathlib.Path) -> None:
    run, report = _run(audit_fleet, tmp_path, "facts", "--check", "-e", "kms_client_report_results_from=facts")

    (host,) = UNREACHABLE
    row = next(row for row in report["hosts"] if row["host"] == host)
    assert row["status"] == "unreachable" and row["message"].startswith("the WinRM connection failed ("), row
    assert "winrm quickconfig" in row["message"]
    directory = tmp_path / "facts"
    for name in ("kms_audit.md", "kms_audit.html", "kms_audit.csv"):
        assert "winrm quickconfig" in (directory / name).read_text(encoding="utf-8"), name
    assert any("winrm quickconfig" in line for line in _printed_table(run))
