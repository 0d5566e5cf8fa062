"""The gvlk filter's Python function (tests/integration/test_gvlk_filter.py runs it through the command line)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from unit.utils.reference import keyed_rows

from ansible_collections.volume_activation.kms.plugins.filter.gvlk import FilterModule, gvlk


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
