"""The gvlk filter through the ansible and ansible-doc command lines: templating and its errors, as a user sees them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from unit.utils.reference import ROOT, keyed_rows

pytestmark = [pytest.mark.integration, pytest.mark.matrix]

BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_LOCALHOST_WARNING": "0",
    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
}


def csv_key(edition_id: str, build: int) -> str:
    (key,) = {r.gvlk for r in keyed_rows() if edition_id in r.edition_ids and build in r.builds}
    return key


def test_through_ansible():
    result = subprocess.run(
        [
            str(BIN / "ansible"),
            "localhost",
            "-m",
            "debug",
            "-a",
            "msg={{ 'ServerDatacenter' | volume_activation.kms.gvlk(build=20348) }}",
        ],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'"msg": "{csv_key("ServerDatacenter", 20348)}"' in result.stdout


def test_failure_through_ansible():
    result = subprocess.run(
        [
            str(BIN / "ansible"),
            "localhost",
            "-m",
            "debug",
            "-a",
            "msg={{ 'ServerStandardEval' | volume_activation.kms.gvlk(build=17763) }}",
        ],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "evaluation edition" in result.stdout + result.stderr


def test_ansible_doc():
    result = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "filter", "volume_activation.kms.gvlk"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "KMS client setup key" in result.stdout and "installation_type" in result.stdout
