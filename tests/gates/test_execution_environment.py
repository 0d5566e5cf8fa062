"""The execution environment: `ansible-builder create` makes a build context (no container runtime) from the
example definition, and the context's own introspection finds the collection's requirements in the artifact.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
EXAMPLE = ROOT / "docs" / "execution-environment.yml"


def _run(*args: str | pathlib.Path, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    # Without PYTHONPATH: it holds this checkout's collection, which ansible-galaxy would take as installed.
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_") and key != "PYTHONPATH"}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(cwd / "no-collections"))
    command = [str(args[0]), *map(str, args[1:])]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("ee")


@pytest.fixture(scope="module")
def context(work: pathlib.Path) -> pathlib.Path:
    """`ansible-builder create` of the example definition, as a user runs it."""
    result = _run(BIN / "ansible-builder", "create", "-f", EXAMPLE, "-c", work / "context", cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    return work / "context"


@pytest.fixture(scope="module")
def installed(work: pathlib.Path) -> pathlib.Path:
    """The collection built and installed from its artifact, as the context's galaxy stage installs it."""
    built = _run(BIN / "ansible-galaxy", "collection", "build", "--output-path", work / "dist", ROOT, cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    (tarball,) = (work / "dist").glob("volume_activation-kms-*.tar.gz")
    collections = work / "collections"
    result = _run(BIN / "ansible-galaxy", "collection", "install", "--offline", tarball, "-p", collections, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        collections / "ansible_collections" / "volume_activation" / "kms" / "meta" / "execution-environment.yml"
    ).is_file()
    return collections


def test_context_installs_the_collection(context: pathlib.Path) -> None:
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in requirements["collections"]] == ["volume_activation.kms"]
    containerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect.py introspect" in containerfile


def test_context_finds_the_collection_requirements(context: pathlib.Path, installed: pathlib.Path) -> None:
    """The introspection step of the build, run on the installed artifact, lists pywinrm, pypsrp and Kerberos."""
    pip, bindep = context / "requirements.txt", context / "bindep.txt"
    result = _run(
        sys.executable,
        context / "_build" / "scripts" / "introspect.py",
        "introspect",
        installed,
        f"--write-pip={pip}",
        f"--write-bindep={bindep}",
        cwd=context,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    python = [line for line in pip.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert {line.split("[")[0].split(">")[0].split()[0] for line in python if line} == {"pywinrm", "pypsrp"}
    assert all(line.endswith("# from collection volume_activation.kms") for line in python if line)
    system = bindep.read_text(encoding="utf-8")
    assert "krb5-workstation [platform:rpm]" in system and "krb5-user [platform:dpkg]" in system
