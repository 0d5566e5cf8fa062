"""The ansible-test integration target tests/integration/targets/kms_client_key_evaluation/, run with
ansible-playbook against simulated evaluation hosts: the same tasks `ansible-test windows-integration` runs on a
real Windows Server evaluation VM."""

from __future__ import annotations

import pathlib

import pytest

from winsim.fleet import Fleet
from winsim.wsman import run_playbook

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGET = REPO / "tests" / "integration" / "targets" / "kms_client_key_evaluation"
SCENARIO = {
    "defaults": {
        "kms": {"dns": "kms01.corp.example.com"},
        "build": 20348,
        "key_type": "eval",
        "license_status": "licensed",
        "servicing": {"conversion_seconds": 0.5, "restart_seconds": 1},
    },
    "hosts": [
        {"name": "eval-std", "edition_id": "ServerStandardEval", "installation_type": "Server"},
        {
            "name": "eval-std-core",
            "edition_id": "ServerStandardEval",
            "installation_type": "Server Core",
            "host_vars": {"kms_client_key_eval_target": "datacenter"},
        },
    ],
}


def test_target_passes_against_simulated_evaluation_hosts(tmp_path: pathlib.Path) -> None:
    playbook = tmp_path / "target.yml"
    playbook.write_text(f"- hosts: all\n  gather_facts: false\n  roles:\n    - role: {TARGET}\n", encoding="utf-8")
    with Fleet(SCENARIO) as fleet:
        inventory = fleet.write_inventory(tmp_path / "inventory.yml")
        run = run_playbook(playbook, inventory, collections_paths=[REPO / ".collections"])
        states = {name: host.state() for name, host in fleet.hosts.items()}
        boots = {name: host.boots for name, host in fleet.hosts.items()}
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert {name: (s["edition_id"], s["key_type"]) for name, s in states.items()} == {
        "eval-std": ("ServerStandard", "gvlk"),
        "eval-std-core": ("ServerDatacenter", "gvlk"),
    }
    assert boots == {"eval-std": 1, "eval-std-core": 1}
    failed = [r["task"] for r in run.results if r["status"] == "failed"]
    assert len(failed) == len(SCENARIO["hosts"]), failed  # the refusal without the option (ignored), per host
