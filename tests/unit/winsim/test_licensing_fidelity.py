"""Documented Windows behaviours the licensing model reproduces (sources in winsim.licensing.host)."""

from __future__ import annotations

import pytest

from winsim import hresult_codes as hr
from winsim.licensing import WindowsHost
from winsim.scenario import ScenarioError

from .test_licensing import SRV2022_DC, apply, gvlk, host

WIN10_ENT = gvlk("Windows 10 Enterprise")
WIN10_PRO = gvlk("Windows 10 Pro")
ESU = [{"license_family": "Server-ESU-Year1", "partial_key": "Q7V2D"}]


def keyed(out: dict) -> list[dict]:
    return out["probe"]["products"]


def test_unset_kms_settings_are_null_and_port_zero_on_service_and_product():
    out = host().run_worker({"operation": "probe"})
    service, (row,) = out["probe"]["service"], keyed(out)
    assert (service["KeyManagementServiceMachine"], service["KeyManagementServicePort"]) == (None, 0)
    assert service["KeyManagementServiceLookupDomain"] is None
    assert (
        service["DiscoveredKeyManagementServiceMachineName"],
        service["DiscoveredKeyManagementServiceMachinePort"],
    ) == (
        None,
        0,
    )
    assert (row["KeyManagementServiceMachine"], row["KeyManagementServicePort"]) == (None, 0)


def test_a_configured_kms_host_is_not_recorded_as_discovered():
    h = host(key_type="gvlk", license_status="licensed", kms={"machine": "kms9.example.com", "dns": "kms01"})
    service = h.run_worker({"operation": "probe"})["probe"]["service"]
    assert service["KeyManagementServiceMachine"] == "kms9.example.com"
    assert service["DiscoveredKeyManagementServiceMachineName"] is None


def test_license_is_addon_exists_on_windows_7_and_vista():
    for build, edition in ((7601, "Enterprise"), (6002, "ServerStandard")):
        spec = {"name": "old", "edition_id": edition, "build": build, "key_type": "mak", "os_sku": 4, "caption": "x"}
        (row,) = keyed(WindowsHost.from_spec(spec).run_worker({"operation": "probe"}))
        assert row["LicenseIsAddon"] is False and row["ProductKeyChannel"] is None


def test_vista_lacks_the_product_level_and_discovered_kms_properties():
    spec = {"name": "v", "edition_id": "ServerStandard", "build": 6002, "key_type": "mak", "os_sku": 7, "caption": "x"}
    probe = WindowsHost.from_spec(spec).run_worker({"operation": "probe"})["probe"]
    (row,) = probe["products"]
    assert row["KeyManagementServiceMachine"] is None and row["KeyManagementServicePort"] is None
    assert probe["service"]["DiscoveredKeyManagementServiceMachinePort"] is None


def test_esu_addons_are_listed_first_and_activation_targets_the_primary_product():
    h = host(addons=ESU)
    out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    addon, primary = keyed(out)
    assert addon["LicenseIsAddon"] is True and addon["ApplicationID"] == primary["ApplicationID"]
    assert addon["PartialProductKey"] == "Q7V2D" and addon["LicenseFamily"] == "Server-ESU-Year1"
    assert primary["LicenseIsAddon"] is False and primary["PartialProductKey"] == SRV2022_DC[-5:]
    assert [s["hresult"] for s in out["steps"]] == [0, 0] and primary["LicenseStatus"] == 1


def test_an_addon_needs_a_family_and_a_partial_key():
    with pytest.raises(ScenarioError, match=r"addons\[0\]\.partial_key"):
        host(addons=[{"license_family": "Server-ESU-Year1"}])


def test_product_level_kms_host_wins_over_the_service_wide_one():
    h = host(
        kms={"machine": "kms-service.example.com", "product_machine": "kms-product.example.com", "product_port": 1700}
    )
    out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC})
    # A new key is a new product (its own activation ID): the product-level settings stay on the old one.
    assert (keyed(out)[0]["KeyManagementServiceMachine"], keyed(out)[0]["KeyManagementServicePort"]) == (None, 0)
    h = host(
        key_type="gvlk",
        license_status="oob_grace",
        kms={"machine": "kms-service.example.com", "product_machine": "kms-product.example.com", "product_port": 1700},
    )
    (row,) = keyed(h.run_worker({"operation": "probe"}))
    assert (row["KeyManagementServiceMachine"], row["KeyManagementServicePort"]) == ("kms-product.example.com", 1700)
    assert apply(h, {"action": "activate"})["steps"][0]["hresult"] == 0
    assert h.activated_against == ("kms-product.example.com", 1700)
    out = apply(
        h, {"action": "clear_product_kms_machine"}, {"action": "clear_product_kms_port"}, {"action": "activate"}
    )
    assert [s["hresult"] for s in out["steps"]] == [0, 0, 0]
    assert h.activated_against == ("kms-service.example.com", 1688)
    assert h.state()["product_kms"] == {"machine": None, "port": 0}


def test_clearing_product_kms_without_a_key_is_pkey_not_installed():
    step = apply(host(key_type="none"), {"action": "clear_product_kms_machine"})["steps"][0]
    assert step["hresult"] == hr.SL_E_PKEY_NOT_INSTALLED


def test_a_gvlk_of_an_upgrade_edition_changes_a_windows_10_pro_edition():
    pro = {"name": "pro", "edition_id": "Professional", "build": 19045, "key_type": "retail"}
    h = WindowsHost.from_spec(pro)
    out = apply(h, {"action": "install_product_key", "product_key": WIN10_ENT})
    (row,) = keyed(out)
    assert out["steps"][0]["hresult"] == 0
    assert (out["probe"]["registry"]["EditionID"], row["LicenseFamily"]) == ("Enterprise", "Enterprise")
    assert out["probe"]["os"]["Caption"] == "Microsoft Windows 10 Enterprise"
    assert out["probe"]["os"]["OperatingSystemSKU"] == 4 and row["Name"] == "Windows(R), Enterprise edition"
    # Enterprise does not go back to Pro with a key, nor does Windows 8.1 Pro change edition.
    assert apply(h, {"action": "install_product_key", "product_key": WIN10_PRO})["steps"][0]["hresult"] == (
        hr.SL_E_INVALID_PRODUCT_KEY
    )
    old = WindowsHost.from_spec({**pro, "build": 9600})
    assert apply(old, {"action": "install_product_key", "product_key": WIN10_ENT})["steps"][0]["hresult"] == (
        hr.SL_E_INVALID_PRODUCT_KEY
    )


def test_activation_seconds_are_bounded():
    with pytest.raises(ScenarioError, match="activation_seconds"):
        host(activation_seconds=60)
    slow = host(activation_seconds=0.01, key_type="gvlk", license_status="oob_grace")
    assert apply(slow, {"action": "activate"})["steps"][0]["hresult"] == 0


def test_licensing_errors_carry_no_text():
    out = apply(host(kms={}), {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    assert out["steps"][1] == {"action": "activate", "hresult": hr.DNS_ERROR_RCODE_NAME_ERROR, "message": ""}
