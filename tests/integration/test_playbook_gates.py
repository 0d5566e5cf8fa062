"""convert-to-kms.yml's gates, end to end (real ansible-playbook against simulated hosts): options checked once
before any host is contacted, a target without hosts, refusals that are not failures, the batch stop, exit codes.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest
import yaml

from winsim.fleet import Fleet
from winsim.wsman import PlaybookRun, run_playbook

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
LAST_GOOD = b'{"last": "good report"}\n'
REFUSED_RUN = "Invalid options, nothing was run"

FLEET = {
    "defaults": {"kms": {"dns": "kms01.corp.example.com", "reachable": True}},
    "hosts": [
        {"name": "a-kms-host-1", "edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"},
        {"name": "b-kms-host-2", "edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"},
        {"name": "c-mak-1", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"},
        {"name": "d-mak-2", "edition_id": "ServerStandard", "build": 17763, "key_type": "mak"},
    ],
}
# The first batch of two fails to install its key; the second batch must not run once more than 50% failed.
BAD_KEY = [{"operation": "install_product_key", "hresult": "0xC004F050"}]
FAILING_FIRST = {
    "defaults": FLEET["defaults"],
    "hosts": [
        {"name": "a-fails-1", "edition_id": "ServerStandard", "build": 20348, "key_type": "mak", "faults": BAD_KEY},
        {"name": "b-fails-2", "edition_id": "ServerStandard", "build": 20348, "key_type": "mak", "faults": BAD_KEY},
        {"name": "c-mak-1", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"},
        {"name": "d-mak-2", "edition_id": "ServerStandard", "build": 17763, "key_type": "mak"},
    ],
}


def _play(
    fleet: Fleet,
    tmp_path: pathlib.Path,
    *args: str,
    host_vars: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
    groups: t.Mapping[str, t.Any] | None = None,
) -> tuple[PlaybookRun, pathlib.Path]:
    """Run convert-to-kms.yml with a last good report in place; host_vars and groups are added to the inventory."""
    path = fleet.write_inventory(tmp_path / "inventory.yml")
    inventory = yaml.safe_load(path.read_text(encoding="utf-8"))
    for host, values in (host_vars or {}).items():
        inventory["all"]["children"]["windows"]["hosts"][host].update(values)
    inventory["all"]["children"].update(groups or {})
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    report_dir = tmp_path / "reports"
    report_dir.mkdir(exist_ok=True)
    (report_dir / "kms_audit.json").write_bytes(LAST_GOOD)
    run = run_playbook(
        PLAYBOOK, path, "-e", f"kms_client_report_dest={report_dir}", *args, collections_paths=[REPO / ".collections"]
    )
    return run, report_dir / "kms_audit.json"


def _executions(fleet: Fleet) -> dict[str, int]:
    return {name: host.worker_executions for name, host in fleet.hosts.items()}


def _report(path: pathlib.Path) -> dict[str, t.Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# Refusals end to end, one per way a value reaches the run (extra vars, a play keyword, the inventory), and a report
# destination that cannot be written, found before any host is contacted. Every other bad value is refused in
# process by the same check (tests/unit/plugins/plugin_utils/_run/test_role_options.py).
BAD_INPUT = [
    ("format typo", ["-e", '{"kms_client_report_formats": ["json", "htlm"]}'], {}, ['"htlm"', "allowed: json, csv"]),
    ("serial 0", ["-e", "kms_client_serial=0"], {}, ['kms_client_serial is "0"; expected a number of hosts']),
    (
        "report dest not writable",
        ["-e", "kms_client_report_dest=/proc/kms_reports"],
        {},
        ['kms_client_report_dest is "/proc/kms_reports"; the report cannot be written there'],
    ),
    (
        "play keyword in the inventory",
        [],
        {"c-mak-1": {"kms_client_serial": 1}},
        ["kms_client_serial is 1 in the inventory, which the play keyword serial never sees", "(host c-mak-1)"],
    ),
]


@pytest.mark.parametrize(("case", "args", "host_vars", "said"), BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_stops_the_run_once_before_any_host(
    tmp_path: pathlib.Path, case: str, args: list[str], host_vars: dict[str, t.Any], said: list[str]
) -> None:
    with Fleet(FLEET) as fleet:
        run, report = _play(fleet, tmp_path, "--check", *args, host_vars=host_vars)
        executions = _executions(fleet)

    output = run.stdout + run.stderr
    assert run.returncode == 4, output
    assert executions == dict.fromkeys(executions, 0), case
    assert report.read_bytes() == LAST_GOOD
    assert output.count(REFUSED_RUN) == 1, output
    for text in said:
        assert text in output, f"{case}: {text!r} not in\n{output}"
    assert "fatal" not in output and "argument_spec" not in output, output


@pytest.mark.parametrize(
    ("args", "groups"),
    [
        (["-e", "kms_client_target=nosuchgroup"], {}),
        (["-e", "kms_client_target=empty"], {"empty": {"hosts": {}}}),
        (["--limit", "c-mak-1", "-e", "kms_client_target=windows:!c-mak-1"], {}),
    ],
    ids=["missing group", "empty group", "limit leaves none"],
)
def test_a_target_without_hosts_is_an_error(tmp_path: pathlib.Path, args: list[str], groups: dict[str, t.Any]) -> None:
    with Fleet(FLEET) as fleet:
        run, report = _play(fleet, tmp_path, *args, groups=groups)
        executions = _executions(fleet)

    assert run.returncode == 4, run.stdout + run.stderr
    assert "matches no host of the inventory" in run.stdout + run.stderr
    assert executions == dict.fromkeys(executions, 0)
    assert report.read_bytes() == LAST_GOOD


def test_refusals_are_reported_not_failures_and_do_not_stop_batches(tmp_path: pathlib.Path) -> None:
    with Fleet(FLEET) as fleet:
        run, report = _play(fleet, tmp_path, "-e", "kms_client_serial=2", "-e", "kms_client_max_fail_percentage=0")

    rows = {row["host"]: row for row in _report(report)["hosts"]}
    assert {host: row["status"] for host, row in rows.items()} == {
        "a-kms-host-1": "is_kms_host",
        "b-kms-host-2": "is_kms_host",
        "c-mak-1": "converted",
        "d-mak-2": "converted",
    }
    assert "fatal" not in run.stdout and "FAILED!" not in run.stdout, run.stdout
    # Through the role, the message shows how to leave the KMS host out of the target.
    assert "-e 'kms_client_target=windows:!a-kms-host-1'" in rows["a-kms-host-1"]["message"]
    assert run.returncode == 0, run.stdout


@pytest.mark.matrix
def test_max_fail_percentage_stops_the_play_and_the_report_says_why(tmp_path: pathlib.Path) -> None:
    with Fleet(FAILING_FIRST) as fleet:
        run, report = _play(fleet, tmp_path, "-e", "kms_client_serial=2", "-e", "kms_client_max_fail_percentage=50")
        executions = _executions(fleet)

    rows = {row["host"]: row for row in _report(report)["hosts"]}
    assert {host: row["status"] for host, row in rows.items()} == {
        "a-fails-1": "failed",
        "b-fails-2": "failed",
        "c-mak-1": "not_run",
        "d-mak-2": "not_run",
    }
    assert (executions["c-mak-1"], executions["d-mak-2"]) == (0, 0)
    for host in ("c-mak-1", "d-mak-2"):
        message = rows[host]["message"]
        assert "2 of 2 hosts failed (a-fails-1, b-fails-2)" in message, message
        assert "kms_client_max_fail_percentage 50%" in message, message
    assert run.stdout.count("Stopping the conversion: after a batch in which 2 of 2 hosts failed") == 1, run.stdout
    assert run.returncode == 2


@pytest.mark.matrix
def test_audit_gate_exit_codes(tmp_path: pathlib.Path) -> None:
    """0 without the gate, 1 when the gated audit finds hosts to convert, 4 when a host fails the run by being
    unreachable (the last play ends the run, not the gate)."""
    with Fleet(FLEET) as fleet:
        plain, _report_path = _play(fleet, tmp_path, "--check")
        gated, report = _play(fleet, tmp_path, "--check", "-e", "kms_client_audit_gate=true")
        writes = sum(host.writes for host in fleet.hosts.values())
    offline = {
        "name": "e-offline",
        "edition_id": "ServerStandard",
        "build": 20348,
        "key_type": "mak",
        "faults": [{"transport": "refused"}],
    }
    with Fleet({**FLEET, "hosts": [*FLEET["hosts"], offline]}) as fleet:
        attention, _report_path = _play(fleet, tmp_path, "--check", "-e", "kms_client_audit_gate=true")

    assert plain.returncode == 0, plain.stdout
    assert gated.returncode == 1, gated.stdout + gated.stderr
    assert "the audit found 2 host(s) to convert or reconfigure (2 would_convert)" in gated.stdout + gated.stderr
    assert _report(report)["summary"]["would_convert"] == 2 and _report(report)["mode"] == "check"
    assert attention.returncode == 4, attention.stdout + attention.stderr
    assert "Audit gate" not in attention.stdout + attention.stderr
    assert writes == 0
