"""The ansible-test integration target tests/integration/targets/kms_client_key/, run with ansible-playbook
against simulated hosts: the same tasks `ansible-test windows-integration` runs on a real Windows VM."""

from __future__ import annotations

import pathlib

import pytest

from winsim.fleet import Fleet
from winsim.wsman import run_playbook

pytestmark = [pytest.mark.integration, pytest.mark.matrix]

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGET = REPO / "tests" / "integration" / "targets" / "kms_client_key"

# Hosts the target's defaults fit: non-evaluation editions with a published GVLK, no KMS host key.
SCENARIO = {
    "defaults": {"kms": {"dns": "kms01.corp.example.com"}},
    "hosts": [
        {"name": "srv2022-mak", "edition_id": "ServerDatacenter", "build": 20348, "ubr": 2113, "key_type": "mak"},
        {
            "name": "srv2012r2-esu",
            "edition_id": "ServerStandard",
            "build": 9600,
            "key_type": "retail",
            "addons": [{"license_family": "Server-ESU-Year1", "partial_key": "Q7V2D"}],
        },
        {
            "name": "ws-win10-gvlk",
            "edition_id": "Enterprise",
            "build": 19045,
            "key_type": "gvlk",
            "license_status": "extended_grace",
            "activation_seconds": 0.1,
        },
        {"name": "ws-win7-none", "edition_id": "Enterprise", "build": 7601, "key_type": "none"},
    ],
}


def test_target_passes_against_the_simulated_hosts(tmp_path: pathlib.Path) -> None:
    playbook = tmp_path / "target.yml"
    playbook.write_text(
        f"- hosts: all\n  gather_facts: false\n  roles:\n    - role: {TARGET}\n",
        encoding="utf-8",
    )
    with Fleet(SCENARIO) as fleet:
        inventory = fleet.write_inventory(tmp_path / "inventory.yml")
        # The simulated network has a reachable KMS host (DNS SRV), so the run also activates.
        run = run_playbook(
            playbook, inventory, "-e", "kms_client_key_test_activate=true", collections_paths=[REPO / ".collections"]
        )
        states = {name: host.state() for name, host in fleet.hosts.items()}
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert all(state["key_type"] == "gvlk" for state in states.values()), states
    assert {name: state["license_status"] for name, state in states.items()} == {
        **dict.fromkeys(states, "licensed"),
        "ws-win10-gvlk": "extended_grace",  # activated already: left alone, as slmgr counts it
    }
    failed = [r["task"] for r in run.results if r["status"] == "failed"]
    # Only the three refusals fail (ignored), on every host; the assertions all passed.
    assert len(failed) == 3 * len(SCENARIO["hosts"]), failed
    assert all(task.split(" : ")[-1].startswith("Refuse ") for task in failed), failed
