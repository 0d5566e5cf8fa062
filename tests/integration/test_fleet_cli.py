"""`python -m winsim` (what `make fleet` runs): serves a scenario until interrupted, writes a normal Ansible
inventory, and the hosts' final state on exit."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(REPO / "tools"), str(REPO / ".collections")]),
    "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
    "ANSIBLE_NOCOLOR": "1",
}
SCENARIO = {
    "defaults": {"kms": {"dns": "kms01.corp.example.com"}},
    "hosts": [
        {"name": "srv2022-dc-01", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"},
        {
            "name": "ws-offline",
            "edition_id": "Professional",
            "build": 22631,
            "key_type": "oem",
            "faults": [{"transport": "refused"}],
        },
    ],
}


def _start(tmp_path: pathlib.Path, scenario: dict) -> tuple[subprocess.Popen[str], pathlib.Path, pathlib.Path]:
    scenario_file = tmp_path / "scenario.yml"
    scenario_file.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    inventory, state = tmp_path / "inventory.yml", tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "winsim",
            "--scenario",
            str(scenario_file),
            "--inventory",
            str(inventory),
            "--state",
            str(state),
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, inventory, state


def _wait_for(path: pathlib.Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the fleet did not write {path.name}: {process.communicate()}")
        time.sleep(0.05)


def test_fleet_serves_until_interrupted_and_records_state(tmp_path: pathlib.Path) -> None:
    process, inventory, state = _start(tmp_path, SCENARIO)
    try:
        _wait_for(inventory, process)
        hosts = yaml.safe_load(inventory.read_text(encoding="utf-8"))["all"]["children"]["windows"]["hosts"]
        assert set(hosts) == {"srv2022-dc-01", "ws-offline"}
        for variables in hosts.values():
            assert variables["ansible_connection"] == "winrm"
            assert variables["ansible_host"] == "127.0.0.1"
            assert (variables["ansible_winrm_transport"], variables["ansible_winrm_scheme"]) == ("basic", "http")
        audit = subprocess.run(
            [
                str(pathlib.Path(sys.executable).parent / "ansible"),
                "srv2022-dc-01",
                "-i",
                str(inventory),
                "-m",
                "volume_activation.kms.kms_client_key",
                "--check",
            ],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr
        assert '"status": "would_convert"' in audit.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    recorded = json.loads(state.read_text(encoding="utf-8"))["hosts"]
    assert recorded["srv2022-dc-01"]["worker_executions"] == 1
    assert recorded["srv2022-dc-01"]["state"]["key_type"] == "mak"  # check mode wrote nothing
    assert recorded["srv2022-dc-01"]["state"]["writes"] == 0
    assert recorded["ws-offline"]["worker_executions"] == 0


def test_fleet_rejects_a_bad_scenario_with_the_host_and_field(tmp_path: pathlib.Path) -> None:
    bad = {"hosts": [{"name": "srv-x", "edition_id": "ServerStandard", "build": 20348, "key_type": "volume"}]}
    process, inventory, _state = _start(tmp_path, bad)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 2
    assert "srv-x" in stderr and "key_type" in stderr
    assert not inventory.exists()
