"""The gvlk filter: its Python function, and through the ansible and ansible-doc command lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from unit.utils.reference import ROOT, keyed_rows

from ansible_collections.volume_activation.kms.plugins.filter.gvlk import FilterModule, gvlk

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


def test_registered():
    assert FilterModule().filters() == {"gvlk": gvlk}


@pytest.mark.parametrize(
    ("args", "kwargs", "edition_id", "build"),
    [
        (("ServerDatacenter",), {"build": 20348}, "ServerDatacenter", 20348),
        (
            ("ServerStandard",),
            {"build": "10.0.17763.5458", "os_sku": 7, "installation_type": "Server Core"},
            "ServerStandard",
            17763,
        ),
        ((None,), {"os_sku": 48, "build": 22631}, "Professional", 22631),
        (("",), {"caption": "Microsoft Windows 10 Enterprise", "build": 19045}, "Enterprise", 19045),
    ],
)
def test_key(args, kwargs, edition_id, build):
    assert gvlk(*args, **kwargs) == csv_key(edition_id, build)


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        (("ServerDatacenterEval",), {"build": 20348}, "DISM /online /Set-Edition:ServerDatacenter"),
        (("Core",), {"build": 19045}, "Home editions have no volume license key"),
        (("ServerDatacenter",), {"build": 20349}, "build 20349 is not a build the catalog knows"),
        (("ServerDatacenter",), {"build": 20348, "os_sku": 7}, "OperatingSystemSKU 7"),
        ((None,), {"caption": "Microsoft Windows 10 Professionnel", "build": 19045}, "Professionnel"),
    ],
)
def test_error_carries_the_catalog_message(args, kwargs, fragment):
    with pytest.raises(AnsibleFilterError, match="gvlk: ") as caught:
        gvlk(*args, **kwargs)
    assert fragment in str(caught.value)


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
