"""The Galaxy artifact: what `ansible-galaxy collection build` ships, and that the installed copy works."""

from __future__ import annotations

import csv
import json
import os
import pathlib
import subprocess
import sys
import tarfile

import pytest

from winsim.fleet import Fleet

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
KEY_TABLE = ROOT / "tests" / "unit" / "fixtures" / "windows_editions_gvlk.csv"

# Development material that must stay out of the artifact.
NOT_SHIPPED = (
    "tests/",
    "tools/",
    "extensions/",
    ".ci/",
    ".collections/",
    ".venv/",
    ".nox/",
    "build/",
    "Makefile",
    "noxfile.py",
    "pyproject.toml",
    "requirements-dev.txt",
    "constraints.txt",
    ".gitignore",
    ".ansible-lint",
    "convert-to-kms.yml",
    "ansible.cfg",
    "docs/quality_gates.md",
)
# Directories whose every file is part of the collection's content.
SHIPPED_TREES = ("plugins", "roles", "playbooks", "meta")
# Files the collection cannot work without.
REQUIRED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "meta/runtime.yml",
    "changelogs/changelog.yaml",
    "plugins/modules/kms_client_key.ps1",
    "plugins/modules/kms_client_key.yml",
    "plugins/action/kms_client_key.py",
    "plugins/module_utils/gvlk_catalog.py",
    "plugins/filter/gvlk.py",
    "playbooks/convert_to_kms.yml",
    "playbooks/vars/audit_gate.yml",
)


def _run(
    *args: str | pathlib.Path, cwd: pathlib.Path, collections: pathlib.Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run an ansible command from the test's virtualenv, seeing only ``collections`` (if given)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_") and key != "PYTHONPATH"}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCAL_TEMP=str(cwd / ".tmp"))
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections) if collections else str(cwd / "no-collections")
    command = [str(BIN / str(args[0])), *map(str, args[1:])]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("artifact")


@pytest.fixture(scope="module")
def tarball(work: pathlib.Path) -> pathlib.Path:
    result = _run("ansible-galaxy", "collection", "build", "--output-path", work / "dist", ROOT, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = (work / "dist").glob("volume_activation-kms-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def members(tarball: pathlib.Path) -> set[str]:
    with tarfile.open(tarball) as archive:
        return {member.name for member in archive.getmembers() if member.isfile()}


@pytest.fixture(scope="module")
def installed(work: pathlib.Path, tarball: pathlib.Path) -> pathlib.Path:
    """A fresh collections path holding only the collection installed from the tarball."""
    collections = work / "installed"
    result = _run(
        "ansible-galaxy",
        "collection",
        "install",
        "--offline",
        tarball,
        "-p",
        collections,
        cwd=work,
        collections=collections,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (collections / "ansible_collections" / "volume_activation" / "kms" / "MANIFEST.json").is_file()
    return collections


def _content_files() -> set[str]:
    """The checkout's files under the shipped trees (what git tracks or would track)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *SHIPPED_TREES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return {path for path in listed if (ROOT / path).is_file()}


def test_artifact_leaves_out_development_material(members: set[str]) -> None:
    leaked = sorted(
        name for name in members if name.startswith(NOT_SHIPPED) or "__pycache__" in name or name.endswith(".pyc")
    )
    assert leaked == []


def test_artifact_ships_the_collection_content(members: set[str]) -> None:
    missing = sorted((_content_files() | set(REQUIRED)) - members)
    assert missing == []


def test_manifest_names_the_collection(tarball: pathlib.Path) -> None:
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))  # type: ignore[arg-type]
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("volume_activation", "kms")
    assert tarball.name == f"volume_activation-kms-{info['version']}.tar.gz"


def test_installed_copy_documents_the_module(work: pathlib.Path, installed: pathlib.Path) -> None:
    result = _run(
        "ansible-doc", "--json", "-t", "module", "volume_activation.kms.kms_client_key", cwd=work, collections=installed
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)["volume_activation.kms.kms_client_key"]["doc"]
    assert pathlib.Path(doc["filename"]).resolve().is_relative_to(installed.resolve())
    assert doc["options"]


def _reference_rows(edition_id: str) -> list[dict[str, str]]:
    with KEY_TABLE.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["edition_id"] == edition_id and row["gvlk"]]


def test_installed_copy_runs_the_gvlk_filter(work: pathlib.Path, installed: pathlib.Path) -> None:
    cases = [
        (row["edition_id"], int(row["builds"].split(";")[0]), row["gvlk"])
        for row in _reference_rows("ServerDatacenter")[:2] + _reference_rows("Professional")[:1]
    ]
    out = work / "keys"
    out.mkdir()
    playbook = work / "gvlk.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars": {"cases": [{"edition_id": e, "build": b} for e, b, _key in cases]},
                    "tasks": [
                        {
                            "name": "Resolve each edition through the installed filter",
                            "ansible.builtin.copy": {
                                "dest": f"{out}/{{{{ ansible_loop.index0 }}}}.txt",
                                "content": "{{ item.edition_id | volume_activation.kms.gvlk(build=item.build) }}",
                                "mode": "0644",
                            },
                            "loop": "{{ cases }}",
                            "loop_control": {"extended": True},
                        }
                    ],
                }
            ]
        ),
        encoding="utf-8",
    )
    result = _run(
        "ansible-playbook",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        playbook,
        cwd=work,
        collections=installed,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    keys = [(out / f"{index}.txt").read_text(encoding="utf-8") for index in range(len(cases))]
    assert keys == [key for _edition, _build, key in cases]


def test_checkout_is_not_on_the_installed_copy_path(work: pathlib.Path) -> None:
    """Without the installed collections path the filter is unknown: the tests above used the artifact."""
    result = _run("ansible-doc", "-t", "filter", "volume_activation.kms.gvlk", cwd=work)
    assert result.returncode != 0


def test_installed_copy_runs_the_playbook(work: pathlib.Path, installed: pathlib.Path) -> None:
    """`ansible-playbook volume_activation.kms.convert_to_kms -i inventory` from the installed artifact, as README says."""
    scenario = {
        "defaults": {"kms": {"dns": "kms01.corp.example.com", "reachable": True}},
        "hosts": [{"name": "srv-mak-1", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"}],
    }
    reports = work / "galaxy-reports"
    with Fleet(scenario) as fleet:
        inventory = fleet.write_inventory(work / "fleet-inventory.yml")
        result = _run(
            "ansible-playbook",
            "volume_activation.kms.convert_to_kms",
            "-i",
            inventory,
            "--check",
            "-e",
            f"kms_client_report_dest={reports}",
            cwd=work,
            collections=installed,
        )
        executions = fleet.hosts["srv-mak-1"].worker_executions
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((reports / "kms_audit.json").read_text(encoding="utf-8"))
    assert [(row["host"], row["status"]) for row in report["hosts"]] == [("srv-mak-1", "would_convert")]
    assert executions == 1
