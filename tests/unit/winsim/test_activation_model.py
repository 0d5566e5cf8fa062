"""The simulator's activation model: AD activation objects, activation-type settings, KMS counts per distinct
machine ID with the 5/25 thresholds, and what Win32_ComputerSystem and the machine ID read."""

from __future__ import annotations

from typing import Any

import pytest

from winsim.licensing import WindowsHost, load_scenario
from winsim.licensing.kms import KmsHosts
from winsim.scenario import KmsHostSpec, ScenarioError

FOREST = {"forest": {"activation_objects": [{"name": "AO", "partial_key": "WX4NM", "editions": ["ServerDatacenter"]}]}}
SERVER = {
    "name": "s1",
    "edition_id": "ServerDatacenter",
    "build": 20348,
    "key_type": "gvlk",
    "license_status": "oob_grace",
    "kms": {"dns": "kms01.corp.example.com"},
}


def activate(host: WindowsHost) -> int:
    answer = host.run_worker({"operation": "apply", "steps": [{"action": "activate"}]})
    return int(answer["steps"][0]["hresult"])


def product(host: WindowsHost, *names: str) -> dict[str, Any]:
    query = f"SELECT {', '.join(names)} FROM SoftwareLicensingProduct WHERE PartialProductKey IS NOT NULL"
    return {name: value for name, (_kind, value) in host.query(query)[0][1].items()}


def test_thresholds_count_distinct_machines_up_to_fifty() -> None:
    hosts = KmsHosts([KmsHostSpec("kms", 3)])
    assert hosts.request("kms", "a", server=True) is False  # 4
    assert hosts.request("kms", "a", server=True) is False  # the same machine counts once
    assert hosts.request("KMS.", "b", server=True) is True  # 5: servers activate
    assert hosts.request("kms", "c", server=False) is False  # clients need 25
    many = KmsHosts([KmsHostSpec("kms", 48)])
    for machine in "xyzw":
        many.request("kms", machine, server=False)
    assert many.served_by("nobody") is None and KmsHosts().request("any", "a", server=False) is True
    assert min(50, 48 + 4) == 50 and many._hosts["kms"].count == 50  # the 50 most recent contacts


def test_a_domain_member_activates_from_its_forests_object_without_a_kms_host() -> None:
    host = WindowsHost.from_spec({**SERVER, "domain_joined": True, "network": {**FOREST, "srv": {}}})
    assert activate(host) == 0 and host.activated_against is None
    assert product(host, "VLActivationType", "ADActivationObjectName") == {
        "VLActivationType": 1,
        "ADActivationObjectName": "AO",
    }


@pytest.mark.parametrize(
    ("setting", "code", "activated_by"),
    [({"product": 2}, 0, 2), ({"product": 1}, 0, 1), ({"service": 3}, 0xC004F074, None)],
)
def test_the_activation_type_decides_the_route(setting: dict[str, int], code: int, activated_by: int | None) -> None:
    host = WindowsHost.from_spec({**SERVER, "domain_joined": True, "network": FOREST, "activation_type": setting})
    assert activate(host) == code
    assert product(host, "VLActivationType")["VLActivationType"] == activated_by


def test_the_product_reports_the_service_wide_setting_unless_it_has_its_own() -> None:
    host = WindowsHost.from_spec({**SERVER, "activation_type": {"service": 3}})
    assert product(host, "VLActivationTypeEnabled") == {"VLActivationTypeEnabled": 3}
    host.run_worker({"operation": "apply", "steps": [{"action": "clear_vl_activation_type"}]})
    assert product(host, "VLActivationTypeEnabled") == {"VLActivationTypeEnabled": None}


def test_an_ad_only_host_without_an_object_fails_with_no_kms_contacted() -> None:
    host = WindowsHost.from_spec({**SERVER, "activation_type": {"product": 1}})
    assert activate(host) == 0xC004F074 and host.activated_against is None


def test_a_kms_count_below_the_threshold_is_0xc004f038_and_the_license_stays() -> None:
    scenario = {
        "kms_hosts": {"kms01.corp.example.com": {"count": 0, "host": "kms01"}},
        "hosts": [
            {**SERVER, "kms": {"machine": "kms01.corp.example.com"}},
            {"name": "kms01", "edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"},
        ],
    }
    client, kms01 = load_scenario(scenario)
    assert activate(client) == 0xC004F038 and client.state()["license_status"] == "oob_grace"
    counters = kms01.query("SELECT KeyManagementServiceCurrentCount FROM SoftwareLicensingService")[0][1]
    assert counters["KeyManagementServiceCurrentCount"] == ("uint32", 1)


def test_computer_system_and_machine_id() -> None:
    member = WindowsHost.from_spec({**SERVER, "domain_joined": True})
    ((_path, row),) = member.query("SELECT PartOfDomain, Domain, DomainRole FROM Win32_ComputerSystem")
    assert row == {
        "PartOfDomain": ("boolean", True),
        "Domain": ("string", "corp.example.com"),
        "DomainRole": ("uint16", 3),
    }
    retail = WindowsHost.from_spec({**SERVER, "key_type": "retail", "license_status": "licensed"})
    assert retail.query("SELECT ClientMachineID FROM SoftwareLicensingService")[0][1]["ClientMachineID"] == (
        "string",
        "",
    )


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("client_machine_id", "not-a-guid", "must be a GUID"),
        ("activation_type", {"product": 4}, "must be one of: 0, 1, 2, 3"),
        ("domain_joined", "yes", "must be one of: True, False"),
    ],
)
def test_scenario_fields_are_checked(field: str, value: Any, problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem):
        WindowsHost.from_spec({**SERVER, field: value})
