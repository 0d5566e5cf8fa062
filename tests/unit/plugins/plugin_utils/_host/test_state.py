"""The probe read into a host state, on hand-made probe data shaped as docs/worker_contract.md."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible.utils.unsafe_proxy import AnsibleUnsafeText

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


def test_a_host_that_is_no_kms_host_reports_every_counter_as_minus_one() -> None:
    """A real Windows 10 host that is no KMS host lists KeyManagementServiceCurrentCount and the request counters as
    4294967295 (-1 through the uint32): no counter may read as a KMS host signal."""
    state = parse_probe(
        probe([product()], KeyManagementServiceCurrentCount=4294967295, KeyManagementServiceTotalRequests=4294967295)
    )
    assert state.kms_host_signal is None
    serving = parse_probe(probe([product()], KeyManagementServiceCurrentCount=7, KeyManagementServiceTotalRequests=12))
    assert serving.kms_host_signal == "7 active KMS clients, 12 KMS requests received"
