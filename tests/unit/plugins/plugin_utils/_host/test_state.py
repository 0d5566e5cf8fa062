"""The controller-side pieces of kms_client_key on hand-made probe data shaped as docs/worker_contract.md."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible.utils.unsafe_proxy import AnsibleUnsafeText

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _hresults, _key_type, _options
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import (
    ProbeError,
    json_type,
    parse_probe,
    select_primary,
)

WINDOWS = "55c92734-d682-4d71-983e-d6ec3f16059f"
OFFICE = "0ff1ce15-a989-479d-af46-f275c6370663"


def product(**overrides: Any) -> dict[str, Any]:
    row = {
        "ID": "id-1",
        "Name": "Windows(R), ServerStandard edition",
        "Description": "Windows(R) Operating System, VOLUME_MAK channel",
        "ApplicationID": WINDOWS,
        "LicenseFamily": "ServerStandard",
        "PartialProductKey": "3V66T",
        "ProductKeyChannel": "Volume:MAK",
        "LicenseStatus": 1,
        "LicenseStatusReason": 0,
        "GracePeriodRemaining": 0,
        "LicenseIsAddon": False,
        "KeyManagementServiceMachine": "",
        "KeyManagementServicePort": 0,
        "DiscoveredKeyManagementServiceMachineName": "",
        "DiscoveredKeyManagementServiceMachinePort": 0,
    }
    row.update(overrides)
    return row


def probe(products: list[dict[str, Any]], **service: Any) -> dict[str, Any]:
    svc = {
        "Version": "10.0.17763.1",
        "KeyManagementServiceMachine": "",
        "KeyManagementServicePort": 1688,
        "KeyManagementServiceLookupDomain": "",
        "DiscoveredKeyManagementServiceMachineName": "",
        "DiscoveredKeyManagementServiceMachinePort": 0,
        "IsKeyManagementServiceMachine": 0,
        "KeyManagementServiceCurrentCount": 4294967295,
        "KeyManagementServiceTotalRequests": 0,
    }
    svc.update(service)
    return {
        "os": {
            "Caption": "Microsoft Windows Server 2019 Standard",
            "Version": "10.0.17763",
            "BuildNumber": "17763",
            "OperatingSystemSKU": 7,
            "ProductType": 3,
        },
        "registry": {
            "EditionID": "ServerStandard",
            "ProductName": "Windows Server 2019 Standard",
            "InstallationType": "Server",
            "CurrentBuild": "17763",
            "UBR": 1,
            "DisplayVersion": None,
        },
        "service": svc,
        "products": products,
    }


# ------------------------------------------------------------------------------------- key types


@pytest.mark.parametrize(
    "description,channel,expected",
    [
        ("Windows(R) Operating System, VOLUME_KMSCLIENT channel", "Volume:GVLK", "gvlk"),
        ("Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel", "Volume:CSVLK", "csvlk"),
        ("Windows(R) Operating System, VOLUME_KMS_W10 channel", None, "csvlk"),
        ("Windows(R) Operating System, VOLUME_MAK channel", "Volume:MAK", "mak"),
        ("Windows(R) Operating System, RETAIL channel", "Retail", "retail"),
        ("Windows(R) Operating System, OEM_DM channel", "OEM:DM", "oem"),
        ("Windows(R) Operating System, OEM_SLP channel", "OEM:SLP", "oem"),
        ("Windows(R) Operating System, OEM_COA_NSLP channel", "OEM:NONSLP", "oem"),
        ("Windows(R) Operating System, TIMEBASED_EVAL channel", "Retail:TB:Eval", "eval"),
        ("Windows(R) Operating System, VIRTUAL_MACHINE_ACTIVATION channel", "VT:IA", "avma"),
        ("Windows(R) 7, VOLUME_KMSCLIENT channel", None, "gvlk"),  # Windows 7: no ProductKeyChannel
        ("Windows(R) Operating System", "OEM:COA", "oem"),  # description says nothing: channel
        ("Windows(R) Operating System", "Volume:CSVLK", "csvlk"),
        ("Windows(R) Operating System", "Retail:TB:Eval", "eval"),
        ("Windows(R) Operating System", None, "unknown"),
        ("Windows(R) Operating System", "Something:New", "unknown"),
    ],
)
def test_classify(description: str, channel: str | None, expected: str) -> None:
    assert _key_type.classify(description, channel) == expected


def test_classify_without_product_is_none() -> None:
    assert _key_type.classify(None, None, has_product=False) == "none"


# ------------------------------------------------------------------------------------ host state


def test_primary_product_is_the_windows_one_with_a_key_and_not_an_addon() -> None:
    rows = [
        product(ApplicationID=OFFICE, Description="Office 19, VOLUME_KMSCLIENT channel"),
        product(ID="addon", LicenseIsAddon=True, Description="Windows(R) Operating System, RETAIL channel"),
        product(ID="nokey", PartialProductKey=None),
        product(ID="primary", ApplicationID="{" + WINDOWS.upper() + "}"),
    ]
    assert select_primary(rows)["ID"] == "primary"
    state = parse_probe(probe(rows))
    assert state.key_type == "mak" and state.partial_product_key == "3V66T"


def test_windows_7_nulls_and_no_key() -> None:
    state = parse_probe(
        probe([product(ProductKeyChannel=None, LicenseIsAddon=None, Description="Windows(R) 7, RETAIL channel")])
    )
    assert state.key_type == "retail"
    empty = parse_probe(probe([], KeyManagementServicePort=0))
    assert empty.key_type == "none" and empty.product is None and empty.license_status_name == "unlicensed"
    assert empty.kms.port is None and empty.kms.effective_port == 1688
    assert empty.lookup_edition_id == "ServerStandard" and empty.build == 17763


def test_license_family_wins_over_registry_edition_id() -> None:
    data = probe([product(LicenseFamily="ServerDatacenter")])
    assert parse_probe(data).lookup_edition_id == "ServerDatacenter"


def test_key_type_disagreement_is_noticed() -> None:
    state = parse_probe(probe([product(ProductKeyChannel="Retail")]))
    assert state.key_type == "mak" and state.key_type_disagreement


def test_license_status_outside_the_known_values_is_named_not_guessed() -> None:
    state = parse_probe(probe([product(LicenseStatus=7)]))
    assert state.license_status_name == "unknown(7)" and not state.is_licensed


@pytest.mark.parametrize("broken", [None, [], {"os": [], "products": []}, {"products": {}}])
def test_malformed_probe_is_rejected(broken: Any) -> None:
    with pytest.raises(ProbeError):
        parse_probe(copy.deepcopy(broken))


# --------------------------------------------------------------------------------------- options


def _valid(key: str) -> bool:
    return key == "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5"


def test_defaults() -> None:
    options = _options.build_options({}, _valid)
    assert options.convert_from == ("retail", "oem", "mak", "none")  # AVMA guests are opted into
    assert options.on_kms_unreachable == "keep"
    assert options.activate is True and options.on_unsupported == "fail" and options.kms_discovery == "unchanged"


def test_override_lookup_prefers_the_build_form_and_ignores_case() -> None:
    options = _options.build_options(
        {"gvlk_overrides": {"core": "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5", "Core@19045": " good1-good2-good3-good4-good5 "}},
        _valid,
    )
    assert options.override_for("Core", 19045) == ("Core@19045", "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5")
    assert options.override_for("CORE", 26100) == ("core", "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5")
    assert options.override_for("Professional", 19045) is None


def test_every_bad_option_is_named_in_one_error() -> None:
    with pytest.raises(_options.OptionError) as caught:
        _options.build_options(
            {
                "kms_host": "kms01..corp",
                "kms_port": 70000,
                "convert_from": ["mak", "csvlk"],
                "gvlk_overrides": {"Core": "NOT-A-KEY"},
                "tcp_timeout": 500,
            },
            _valid,
        )
    message = str(caught.value)
    for fragment in (
        "kms_host 'kms01..corp'",
        "kms_port 70000",
        "'csvlk'",
        "gvlk_overrides['Core']",
        "tcp_timeout 500",
    ):
        assert fragment in message
    assert "NOT-A-KEY" not in message


def test_duplicate_override_names_are_refused() -> None:
    with pytest.raises(_options.OptionError, match="twice"):
        _options.build_options(
            {"gvlk_overrides": {"Core": "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5", "CORE": "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5"}},
            _valid,
        )


@pytest.mark.parametrize(
    "name,ok",
    [
        ("kms01", True),
        ("kms-01.corp.example.com", True),
        ("kms01.corp.example.com.", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-kms", False),
        ("kms-", False),
        ("kms_01", False),
        ("1.2.3", False),
        ("", False),
        (".".join(["abcdefgh"] * 29), False),
    ],
)
def test_dns_names(name: str, ok: bool) -> None:
    assert _options.is_dns_name(name) is ok


# -------------------------------------------------------------------------------------- HRESULTs

REQUIRED = [
    0xC004F074,
    0x8007232B,
    0xC004F038,
    0xC004F06C,
    0xC004F042,
    0xC004F015,
    0xC004F050,
    0xC004F069,
    0x80070005,
    0xC004F035,
    0xC004F039,
    0xC004F041,
    0xC004F056,
    0x8007274C,
    0x8007274D,
]


@pytest.mark.parametrize("code", REQUIRED, ids=hex)
def test_required_hresults_have_symbol_cause_and_remedy(code: int) -> None:
    info = _hresults.lookup(code)
    assert info.symbol != "unknown" and info.cause and info.remedy and info.meaning
    assert info.hex == f"0x{code:08X}"


def test_hresult_normalisation_and_unknown() -> None:
    assert _hresults.normalize(-1073418124) == 0xC004F074
    assert _hresults.normalize("0xc004f074") == 0xC004F074
    assert _hresults.normalize("3221549172") == 0xC004F074
    assert _hresults.normalize(None) is None
    unknown = _hresults.lookup(0x8BADF00D)
    assert unknown.symbol == "unknown" and "0x8BADF00D" in _hresults.describe(0x8BADF00D)


def test_describe_prefers_the_hosts_text() -> None:
    text = _hresults.describe(0xC004F074, "Le service de licences logicielles a signalé ...")
    assert text.startswith("0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE): Le service") and "Fix:" in text


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (AnsibleUnsafeText("False"), "string"),  # what ansible-core 2.16 and 2.17 hand the action plugin
        ("False", "string"),
        (True, "boolean"),
        (1.5, "number"),
        ({"a": 1}, "object"),
        ([1], "array"),
        (None, "null"),
    ],
)
def test_probe_errors_name_json_types_whatever_the_python_class(value: Any, named: str) -> None:
    assert json_type(value) == named
