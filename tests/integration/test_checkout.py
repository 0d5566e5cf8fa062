"""The README's fleet command works in a fresh checkout, as written: the repository's ansible.cfg finds the collection.

The checkout is what a clone holds (the files git tracks, and new files it does not ignore), with the collection laid
out by the Makefile's own rule; ansible-playbook runs in it with the virtualenv's bin on PATH, as an activated
virtualenv has it, and without ANSIBLE_COLLECTIONS_PATH, ANSIBLE_CONFIG or PYTHONPATH in the environment.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import typing as t

import pytest

from winsim.fleet import Fleet

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
COLLECTION = ".collections/ansible_collections/volume_activation/kms"
# One host the audit would convert: a Windows Server 2022 Datacenter holding a MAK.
SCENARIO = {
    "defaults": {"kms": {"dns": "kms01.corp.example.com", "reachable": True}},
    "hosts": [
        {
            "name": "srv2022-dc-01",
            "edition_id": "ServerDatacenter",
            "build": 20348,
            "os_sku": 8,
            "caption": "Microsoft Windows Server 2022 Datacenter",
            "installation_type": "Server",
            "key_type": "mak",
        }
    ],
}


def _checkout(dest: pathlib.Path) -> pathlib.Path:
    """The files a clone of this repository holds, copied to ``dest``, and the collection as `make collection`
    lays it out there."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name, follow_symlinks=False)
    subprocess.run(["make", "--no-print-directory", COLLECTION], cwd=dest, capture_output=True, check=True)
    return dest


def _activated(home: pathlib.Path) -> dict[str, str]:
    """The environment of a shell with the virtualenv activated, and no Ansible or Python path setting of its own
    (the test run's PYTHONPATH names .collections, which Ansible would find through it)."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("ANSIBLE_") and name != "PYTHONPATH"
    }
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_HOME"] = str(home)  # keeps the run's temporary files out of the user's home
    return env


@pytest.fixture
def checkout(tmp_path: pathlib.Path) -> pathlib.Path:
    return _checkout(tmp_path / "kms")


def test_the_readme_fleet_command_finds_the_collection_in_a_fresh_checkout(
    checkout: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    readme = (checkout / "README.md").read_text(encoding="utf-8")
    command = "ansible-playbook -i inventory.yml convert-to-kms.yml --check"
    assert command in readme and ". .venv/bin/activate" in readme
    with Fleet(SCENARIO) as fleet:
        fleet.write_inventory(checkout / "inventory.yml")
        run = subprocess.run(
            command.split(),
            cwd=checkout,
            env=_activated(tmp_path / "ansible-home"),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    report: dict[str, t.Any] = json.loads((checkout / "kms_reports" / "kms_audit.json").read_text(encoding="utf-8"))
    assert report["mode"] == "check" and report["summary"] == {"would_convert": 1}, output
    # The checkout's ansible.cfg keeps facts under ansible_facts, so ansible-core warns of no templated task args.
    assert "[WARNING]" not in output, output


def test_ansible_doc_finds_the_role_in_a_fresh_checkout(checkout: pathlib.Path, tmp_path: pathlib.Path) -> None:
    run = subprocess.run(
        ["ansible-doc", "-t", "role", "volume_activation.kms.kms_client"],
        cwd=checkout,
        env=_activated(tmp_path / "ansible-home"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0 and "kms_client_kms_host" in run.stdout, run.stderr
