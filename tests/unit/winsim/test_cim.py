"""The CIM level of the simulator: WQL, typed instances, paths, methods and their errors (winsim.licensing.cim)."""

from __future__ import annotations

import pytest

from winsim.engine import CimError
from winsim.licensing import WindowsHost
from winsim.licensing.cim import WBEM_E_INVALID_CLASS, WBEM_E_INVALID_METHOD, WBEM_E_INVALID_QUERY, WBEM_E_NOT_FOUND

SERVER = {"name": "srv01", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"}
APP = "55c92734-d682-4d71-983e-d6ec3f16059f"


@pytest.fixture
def host() -> WindowsHost:
    return WindowsHost.from_spec(SERVER)


def test_a_property_list_returns_those_properties_typed_and_a_path_only_with_the_key(host: WindowsHost) -> None:
    ((path, values),) = host.query(
        "SELECT LicenseStatus, LicenseIsAddon FROM SoftwareLicensingProduct WHERE PartialProductKey IS NOT NULL"
    )
    assert path is None
    assert values == {"LicenseStatus": ("uint32", 1), "LicenseIsAddon": ("boolean", False)}
    ((keyed, _values),) = host.query("SELECT ID FROM SoftwareLicensingProduct WHERE PartialProductKey IS NOT NULL")
    assert keyed is not None and keyed.startswith('SoftwareLicensingProduct.ID="')
    ((star, every),) = host.query("select * from softwarelicensingservice")
    assert star is not None and star.startswith('SoftwareLicensingService.Version="')
    assert every["KeyManagementServiceCurrentCount"] == ("uint32", 0xFFFFFFFF)


def test_string_comparisons_ignore_case_and_null_equals_nothing(host: WindowsHost) -> None:
    upper = host.query(f"SELECT ID FROM SoftwareLicensingProduct WHERE ApplicationID = '{APP.upper()}'")
    assert len(upper) == len(host.query("SELECT ID FROM SoftwareLicensingProduct")) > 1
    assert host.query("SELECT ID FROM SoftwareLicensingProduct WHERE PartialProductKey = NULL") == []
    keyed = host.query(
        "SELECT ID FROM SoftwareLicensingProduct WHERE NOT (PartialProductKey IS NULL) AND "
        "(LicenseIsAddon = FALSE OR LicenseIsAddon = TRUE)"
    )
    assert len(keyed) == 1


@pytest.mark.parametrize(
    ("wql", "code"),
    [
        ("SELECT Nothing FROM SoftwareLicensingProduct", WBEM_E_INVALID_QUERY),
        ("SELECT ID FROM SoftwareLicensingProduct WHERE Nothing = 1", WBEM_E_INVALID_QUERY),
        ("SELECT ID FROM SoftwareLicensingProduct WHERE", WBEM_E_INVALID_QUERY),
        ("SELECT ID, FROM SoftwareLicensingProduct", WBEM_E_INVALID_QUERY),
        ("SELECT ID FROM NoSuchClass", WBEM_E_INVALID_CLASS),
        ("DELETE FROM SoftwareLicensingProduct", WBEM_E_INVALID_QUERY),
    ],
)
def test_wmi_errors(host: WindowsHost, wql: str, code: int) -> None:
    with pytest.raises(CimError) as raised:
        host.query(wql)
    assert raised.value.hresult == code


def test_a_release_declares_only_its_properties() -> None:
    vista = WindowsHost.from_spec(
        {"name": "vista", "edition_id": "Business", "build": 6002, "key_type": "mak", "caption": "Vista", "os_sku": 6}
    )
    assert "ProductKeyChannel" not in vista.class_properties("SoftwareLicensingProduct")
    assert "LicenseIsAddon" in vista.class_properties("SoftwareLicensingProduct")
    with pytest.raises(CimError) as raised:
        vista.query("SELECT ProductKeyChannel FROM SoftwareLicensingProduct")
    assert raised.value.hresult == WBEM_E_INVALID_QUERY


def test_methods_by_path_and_their_errors(host: WindowsHost) -> None:
    ((service, _values),) = host.query("SELECT Version FROM SoftwareLicensingService")
    assert host.invoke(service, "SetKeyManagementServicePort", {"PortNumber": 1700}) == {"ReturnValue": ("uint32", 0)}
    with pytest.raises(CimError) as invalid:
        host.invoke(service, "SetKeyManagementServicePort", {"PortNumber": 0})
    assert (invalid.value.hresult, invalid.value.message) == (
        0x80070057,
        "Value does not fall within the expected range.",
    )
    with pytest.raises(CimError) as method:
        host.invoke(service, "Rearm", {})
    assert method.value.hresult == WBEM_E_INVALID_METHOD
    with pytest.raises(CimError) as missing:
        host.invoke('SoftwareLicensingProduct.ID="no-such-product"', "Activate", {})
    assert missing.value.hresult == WBEM_E_NOT_FOUND


def test_licensing_errors_carry_no_text(host: WindowsHost) -> None:
    ((service, _values),) = host.query("SELECT Version FROM SoftwareLicensingService")
    with pytest.raises(CimError) as raised:
        host.invoke(service, "InstallProductKey", {"ProductKey": "BCDFG-HJKMP-QRTVW-XY234-6789B"})
    assert (raised.value.hresult, raised.value.message) == (0xC004F050, "")


def test_the_registry_answers_by_value_type(host: WindowsHost) -> None:
    key = {"hDefKey": 0x80000002, "sSubKeyName": r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"}
    listing = host.invoke("StdRegProv", "EnumValues", key)
    names = dict(zip(listing["sNames"][1], listing["Types"][1], strict=True))
    assert (names["EditionID"], names["UBR"], names["DigitalProductId"], names["InstallTime"]) == (1, 4, 3, 11)
    assert host.invoke("StdRegProv", "GetDWORDValue", {**key, "sValueName": "UBR"})["uValue"] == ("uint32", 0)
    assert host.invoke("StdRegProv", "GetDWORDValue", {**key, "sValueName": "EditionID"})["ReturnValue"][1] != 0
    assert host.invoke("StdRegProv", "GetStringValue", {**key, "sValueName": "Nothing"})["ReturnValue"] == ("uint32", 2)
    other = host.invoke("StdRegProv", "EnumValues", {**key, "sSubKeyName": "SOFTWARE"})
    assert other["ReturnValue"] == ("uint32", 2)
