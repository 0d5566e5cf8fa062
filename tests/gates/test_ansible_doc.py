"""ansible-doc finds and renders the documentation of every plugin and role the collection ships."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLLECTION = "volume_activation.kms"
ANSIBLE_DOC = str(pathlib.Path(sys.executable).parent / "ansible-doc")
# Plugin directories whose files are not plugins of their own (documented through the modules,
# or libraries).
NOT_DOCUMENTED = {"action", "module_utils", "plugin_utils", "modules"}
# The filters the playbook convert_to_kms runs while Ansible templates its plays: documented as internal to it.
PLAYBOOK_GATES = ("kms_client_target", "kms_client_checked", "kms_client_audit_gate")
INTERNAL = "internal: used by the convert_to_kms playbook; not for use in other playbooks"


def _ansible_doc(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_NOCOLOR="1")
    return subprocess.run([ANSIBLE_DOC, *args], capture_output=True, text=True, env=env, check=False, timeout=300)


def _on_disk() -> set[tuple[str, str]]:
    """(type, FQCN) of every plugin and role present in the checkout."""
    fqcn = f"{COLLECTION}.{{}}".format
    found = {
        ("module", fqcn(path.stem)) for path in (ROOT / "plugins/modules").glob("*") if path.suffix in (".py", ".ps1")
    }
    for directory in (ROOT / "plugins").iterdir():
        if directory.is_dir() and directory.name not in NOT_DOCUMENTED:
            found |= {
                (directory.name, fqcn(path.stem)) for path in directory.glob("*.py") if not path.stem.startswith("_")
            }
    found |= {("role", fqcn(path.parent.parent.name)) for path in (ROOT / "roles").glob("*/meta/argument_specs.yml")}
    return found


@pytest.fixture(scope="module")
def metadata() -> dict[str, dict[str, dict]]:
    """ansible-doc's metadata dump of the collection: {type: {FQCN: entry}}, the collection's entries only."""
    result = _ansible_doc("--metadata-dump", "--no-fail-on-errors", COLLECTION)
    assert result.returncode == 0, result.stderr
    dump = json.loads(result.stdout)["all"]
    return {
        plugin_type: {name: entry for name, entry in entries.items() if name.startswith(COLLECTION + ".")}
        for plugin_type, entries in dump.items()
    }


def test_every_plugin_and_role_on_disk_is_documented(metadata: dict[str, dict[str, dict]]) -> None:
    listed = {(plugin_type, name) for plugin_type, entries in metadata.items() for name in entries}
    assert _on_disk() <= listed


def test_no_documentation_has_errors(metadata: dict[str, dict[str, dict]]) -> None:
    errors = {
        name: entry["error"] for entries in metadata.values() for name, entry in entries.items() if "error" in entry
    }
    assert errors == {}


@pytest.mark.parametrize("plugin_type, name", sorted(_on_disk()))
def test_ansible_doc_renders(plugin_type: str, name: str) -> None:
    result = _ansible_doc("-t", plugin_type, name)
    assert result.returncode == 0, result.stderr
    assert "[WARNING]" not in result.stderr and "[ERROR]" not in result.stderr, result.stderr
    assert name in result.stdout
    assert "EXAMPLES" in result.stdout or plugin_type == "role"


@pytest.mark.parametrize("name", PLAYBOOK_GATES)
def test_the_playbooks_gate_filters_say_they_are_internal(name: str) -> None:
    result = _ansible_doc("-t", "filter", f"{COLLECTION}.{name}")
    assert result.returncode == 0, result.stderr
    assert INTERNAL in " ".join(result.stdout.lower().split())


def test_the_role_documentation_shows_every_variable_of_its_argument_specs() -> None:
    specs = yaml.safe_load((ROOT / "roles/kms_client/meta/argument_specs.yml").read_text(encoding="utf-8"))
    variables = {name for entry in specs["argument_specs"].values() for name in entry["options"]}
    result = _ansible_doc("-t", "role", f"{COLLECTION}.kms_client")
    assert result.returncode == 0, result.stderr
    assert {"kms_client_serial", "kms_client_target", "kms_client_audit_gate"} <= variables
    assert {name for name in variables if name not in result.stdout} == set()
