"""The licensing model answers the worker as a Windows host would (see winsim.licensing.host)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from winsim import hresult_codes as hr
from winsim.fleet import Fleet
from winsim.licensing import WindowsHost, load_scenario
from winsim.productkey import ALPHABET
from winsim.scenario import STEP_ACTIONS

CSV = Path(__file__).resolve().parents[1] / "fixtures" / "windows_editions_gvlk.csv"
ROWS = list(csv.DictReader(CSV.open(encoding="utf-8")))


def gvlk(edition: str) -> str:
    """The published key of an edition, by its printed name in the reference table."""
    return next(r["gvlk"] for r in ROWS if r["edition"] == edition)


SRV2022_DC = gvlk("Windows Server 2022 Datacenter")
SRV2022_STD = gvlk("Windows Server 2022 Standard")
SRV2019_STD = gvlk("Windows Server 2019 Standard")
WIN7_ENT = gvlk("Windows 7 Enterprise")


def host(**overrides) -> WindowsHost:
    spec = {
        "name": "h1",
        "edition_id": "ServerDatacenter",
        "build": 20348,
        "ubr": 2113,
        "caption": "Microsoft Windows Server 2022 Datacenter",
        "key_type": "mak",
        "kms": {"dns": "kms01.corp.example.com"},
    }
    spec.update(overrides)
    return WindowsHost.from_spec(spec)


def apply(h: WindowsHost, *steps: dict) -> dict:
    return h.run_worker({"operation": "apply", "steps": list(steps)})


def primary(result: dict) -> dict:
    (product,) = result["probe"]["products"]
    return product


# -- probe shapes -----------------------------------------------------------------------------------


def test_probe_has_the_contract_shape_and_makes_no_write():
    h = host()
    out = h.run_worker({"operation": "probe"})
    assert set(out) == {"changed", "probe"} and out["changed"] is False
    probe = out["probe"]
    assert probe["os"] == {
        "Caption": "Microsoft Windows Server 2022 Datacenter",
        "Version": "10.0.20348",
        "BuildNumber": "20348",
        "OperatingSystemSKU": 8,
        "ProductType": 3,
        "LastBootUpTime": "20261130071502.000000+000",
    }
    assert probe["registry"]["EditionID"] == "ServerDatacenter"
    assert probe["registry"]["DisplayVersion"] == "21H2"
    assert probe["service"]["Version"] == "10.0.20348.2113"
    # Nothing configured: null machine and lookup domain, port 0 (slmgr shows 0 as 1688), nothing discovered.
    assert probe["service"]["KeyManagementServicePort"] == 0
    assert probe["service"]["KeyManagementServiceMachine"] is None
    assert probe["service"]["KeyManagementServiceLookupDomain"] is None
    assert probe["service"]["DiscoveredKeyManagementServiceMachineName"] is None
    row = primary(out)
    assert row["Name"] == "Windows(R), ServerDatacenter edition"
    assert row["Description"] == "Windows(R) Operating System, VOLUME_MAK channel"
    assert row["ProductKeyChannel"] == "Volume:MAK" and row["LicenseFamily"] == "ServerDatacenter"
    assert row["LicenseIsAddon"] is False and row["ApplicationID"] == "55c92734-d682-4d71-983e-d6ec3f16059f"
    assert (h.worker_executions, h.writes) == (1, 0)


def test_defaults_come_from_the_key_table():
    h = WindowsHost.from_spec({"name": "d", "edition_id": "ServerStandard", "build": 17763, "key_type": "gvlk"})
    probe = h.run_worker({"operation": "probe"})["probe"]
    assert probe["os"]["Caption"] == "Microsoft Windows Server 2019 Standard"
    assert probe["os"]["OperatingSystemSKU"] == 7
    assert probe["registry"]["InstallationType"] == "Server"
    assert primary({"probe": probe})["PartialProductKey"] == SRV2019_STD[-5:]
    assert primary({"probe": probe})["LicenseStatus"] == 1


def test_windows_11_reports_windows_10_in_product_name():
    h = WindowsHost.from_spec(
        {
            "name": "w11",
            "edition_id": "Professional",
            "build": 22631,
            "key_type": "oem",
            "caption": "Microsoft Windows 11 Pro",
        }
    )
    probe = h.run_worker({"operation": "probe"})["probe"]
    assert probe["registry"]["ProductName"] == "Windows 10 Pro"
    assert probe["os"]["ProductType"] == 1 and probe["registry"]["InstallationType"] == "Client"
    assert primary({"probe": probe})["ProductKeyChannel"] == "OEM:DM"


@pytest.mark.parametrize(
    ("key_type", "description", "channel"),
    [
        ("gvlk", "VOLUME_KMSCLIENT", "Volume:GVLK"),
        ("mak", "VOLUME_MAK", "Volume:MAK"),
        ("retail", "RETAIL", "Retail"),
        ("oem", "OEM_DM", "OEM:DM"),
        ("csvlk", "VOLUME_KMS_2012-R2_WIN10", "Volume:CSVLK"),
        ("avma", "VIRTUAL_MACHINE_ACTIVATION", "VT:IA"),
    ],
)
def test_channels(key_type, description, channel):
    row = primary(host(key_type=key_type).run_worker({"operation": "probe"}))
    assert row["Description"] == f"Windows(R) Operating System, {description} channel"
    assert row["ProductKeyChannel"] == channel


def test_evaluation_edition_shape():
    h = WindowsHost.from_spec(
        {
            "name": "e",
            "edition_id": "ServerDatacenterEval",
            "build": 26100,
            "os_sku": 80,
            "caption": "Microsoft Windows Server 2025 Datacenter Evaluation",
            "key_type": "eval",
        }
    )
    row = primary(h.run_worker({"operation": "probe"}))
    assert row["Name"] == "Windows(R), ServerDatacenterEval edition"
    assert "TIMEBASED_EVAL" in row["Description"] and row["ProductKeyChannel"] == "Retail:TB:Eval"
    assert row["LicenseStatus"] == 1 and row["GracePeriodRemaining"] == 259200


def test_no_key_means_no_product():
    out = host(key_type="none").run_worker({"operation": "probe"})
    assert out["probe"]["products"] == []


def test_windows_7_lacks_the_channel_column_but_has_license_is_addon():
    h = WindowsHost.from_spec({"name": "w7", "edition_id": "Enterprise", "build": 7601, "key_type": "mak"})
    probe = h.run_worker({"operation": "probe"})["probe"]
    assert probe["os"]["Caption"] == "Microsoft Windows 7 Enterprise "
    assert probe["os"]["Version"] == "6.1.7601"
    assert probe["registry"]["UBR"] is None and probe["registry"]["DisplayVersion"] is None
    row = primary({"probe": probe})
    assert row["ProductKeyChannel"] is None and row["LicenseIsAddon"] is False
    assert row["Name"] == "Windows(R) 7, Enterprise edition"
    assert row["Description"] == "Windows Operating System - Windows(R) 7, VOLUME_MAK channel"


def test_ids_and_partial_keys_are_deterministic():
    first, second = host(), host()
    assert first.run_worker({"operation": "probe"}) == second.run_worker({"operation": "probe"})
    other = primary(host(name="h2").run_worker({"operation": "probe"}))
    assert other["PartialProductKey"] != primary(first.run_worker({"operation": "probe"}))["PartialProductKey"]
    assert all(c in ALPHABET for c in other["PartialProductKey"])


# -- install_product_key ----------------------------------------------------------------------------


def test_installing_the_editions_gvlk_makes_a_kms_client_in_grace():
    h = host()
    before = primary(h.run_worker({"operation": "probe"}))
    out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC})
    assert out["steps"] == [{"action": "install_product_key", "hresult": 0, "message": ""}]
    row = primary(out)
    assert row["ProductKeyChannel"] == "Volume:GVLK" and "VOLUME_KMSCLIENT" in row["Description"]
    assert row["PartialProductKey"] == SRV2022_DC[-5:]
    assert (row["LicenseStatus"], row["GracePeriodRemaining"]) == (2, 43200)
    assert row["LicenseStatusReason"] == hr.SL_I_OOB_GRACE_PERIOD
    assert row["ID"] != before["ID"]
    assert SRV2022_DC not in repr(out)
    assert h.writes == 1


def test_reinstalling_the_same_gvlk_keeps_the_state():
    h = host(key_type="gvlk", partial_key=SRV2022_DC[-5:])
    before = primary(h.run_worker({"operation": "probe"}))
    after = primary(apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}))
    assert after == before


@pytest.mark.parametrize("key", [SRV2022_STD, SRV2019_STD, WIN7_ENT])
def test_a_gvlk_of_another_edition_or_release_is_invalid(key):
    h = host()
    out = apply(h, {"action": "install_product_key", "product_key": key})
    assert out["steps"][0]["hresult"] == 0xC004F050
    assert out["steps"][0]["message"] == ""  # WMI carries no text from the licensing service
    assert primary(out)["ProductKeyChannel"] == "Volume:MAK" and h.writes == 0


@pytest.mark.parametrize("key", ["", "not-a-key", SRV2022_DC[:-1] + ("B" if SRV2022_DC[-1] != "B" else "C")])
def test_malformed_keys_are_invalid(key):
    assert apply(host(), {"action": "install_product_key", "product_key": key})["steps"][0]["hresult"] == 0xC004F050


def test_missing_product_key_runs_with_an_empty_key():
    assert apply(host(), {"action": "install_product_key"})["steps"][0]["hresult"] == 0xC004F050


def test_any_gvlk_on_an_evaluation_edition_is_refused():
    h = WindowsHost.from_spec(
        {
            "name": "e",
            "edition_id": "ServerDatacenterEval",
            "build": 20348,
            "os_sku": 80,
            "caption": "Microsoft Windows Server 2022 Datacenter Evaluation",
            "key_type": "eval",
        }
    )
    for key in (SRV2022_DC, SRV2019_STD):
        step = apply(h, {"action": "install_product_key", "product_key": key})["steps"][0]
        assert step["hresult"] == 0xC004F069
        assert step["message"] == ""


def test_accepts_keys_install_as_gvlk():
    extra = gvlk("Windows Server 2019 Datacenter")
    h = WindowsHost.from_spec(
        {
            "name": "x",
            "edition_id": "ServerAzureCor",
            "build": 20348,
            "os_sku": 168,
            "caption": "Microsoft Windows Server 2022 Datacenter",
            "key_type": "mak",
            "accepts_keys": [extra],
        }
    )
    row = primary(apply(h, {"action": "install_product_key", "product_key": extra}))
    assert (row["ProductKeyChannel"], row["PartialProductKey"]) == ("Volume:GVLK", extra[-5:])


def test_a_kms_host_becomes_a_client_when_given_a_gvlk():
    h = host(key_type="csvlk")
    row = primary(apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}))
    assert row["ProductKeyChannel"] == "Volume:GVLK"


# -- KMS settings -----------------------------------------------------------------------------------


def test_kms_settings_set_and_clear():
    h = host()
    out = apply(
        h,
        {"action": "set_kms_machine", "machine": "kms02.example.com"},
        {"action": "set_kms_port", "port": 1700},
        {"action": "set_kms_lookup_domain", "domain": "example.com"},
    )
    assert [s["hresult"] for s in out["steps"]] == [0, 0, 0]
    service = out["probe"]["service"]
    assert (
        service["KeyManagementServiceMachine"],
        service["KeyManagementServicePort"],
        service["KeyManagementServiceLookupDomain"],
    ) == ("kms02.example.com", 1700, "example.com")
    out = apply(h, {"action": "clear_kms_machine"}, {"action": "clear_kms_port"}, {"action": "clear_kms_lookup_domain"})
    service = out["probe"]["service"]
    assert (
        service["KeyManagementServiceMachine"],
        service["KeyManagementServicePort"],
        service["KeyManagementServiceLookupDomain"],
    ) == (None, 0, None)
    assert h.writes == 6


# -1 is refused by the engine itself: Convert.ToUInt32 of a negative Int32 throws OverflowException (COR_E_OVERFLOW).
@pytest.mark.parametrize(("port", "code"), [(0, 0x80070057), (65536, 0x80070057), (None, 0x80070057), (-1, 0x80131516)])
def test_bad_ports(port, code):
    h = host()
    step = {"action": "set_kms_port"} if port is None else {"action": "set_kms_port", "port": port}
    assert apply(h, step)["steps"][0]["hresult"] == code and h.writes == 0


@pytest.mark.parametrize("action", ["set_kms_machine", "set_kms_lookup_domain"])
def test_empty_names_are_invalid_arguments(action):
    assert apply(host(), {"action": action})["steps"][0]["hresult"] == hr.E_INVALIDARG


def test_refresh_changes_nothing():
    h = host()
    before = h.state()
    out = apply(h, {"action": "refresh_license_status"})
    assert out["steps"][0]["hresult"] == 0 and h.writes == 0
    assert {k: v for k, v in h.state().items() if k != "worker_executions"} == {
        k: v for k, v in before.items() if k != "worker_executions"
    }


# -- kms_route ---------------------------------------------------------------------------------------


def route(h: WindowsHost, **arguments) -> dict:
    return h.run_worker({"operation": "probe", "kms_route": arguments})["kms_route"]


def test_route_tries_every_address_of_the_named_host_in_its_own_family():
    network = {"addresses": {"kms01": ["10.0.0.1", "2001:db8::1"]}, "unreachable": {"10.0.0.1": "refused"}}
    answer = route(host(network=network), machine="kms01", port=1688)
    assert [(a["address"], a["family"], a["outcome"]) for a in answer["attempts"]] == [
        ("10.0.0.1", "ipv4", "refused"),
        ("2001:db8::1", "ipv6", "connected"),
    ]
    assert answer["srv"] is None and answer["port"] == 1688


def test_route_of_a_name_that_does_not_resolve_and_of_a_dropped_route():
    assert (
        route(host(network={"addresses": {"gone": []}}), machine="gone")["attempts"][0]["outcome"] == "name_not_found"
    )
    down = route(host(kms={"reachable": False}), machine="kms01", timeout_ms=10)
    assert [a["outcome"] for a in down["attempts"]] == ["timed_out"]


def test_route_by_srv_uses_the_lookup_domain_then_the_host_domain():
    network = {"domain": "corp.example.com", "srv": {"corp.example.com": [{"target": "kms01", "port": 1688}]}}
    found = route(host(network=network), use_configured=False)
    assert found["srv"]["outcome"] == "found" and found["attempts"][0]["name"] == "kms01"
    missing = route(host(network=network), lookup_domain="other.example.com", use_configured=False)
    assert missing["srv"] == {
        "domain": "other.example.com",
        "outcome": "name_not_found",
        "targets": [],
        "message": "DNS name does not exist.",
    }
    assert missing["attempts"] == []


def test_route_uses_the_configured_kms_host_and_port_and_changes_nothing():
    h = host(kms={"machine": "kms09", "port": 1700})
    before = h.state()
    answer = route(h)
    assert (answer["machine"], answer["port"]) == ("kms09", 1700) and h.writes == 0
    assert {k: v for k, v in h.state().items() if k != "worker_executions"} == {
        k: v for k, v in before.items() if k != "worker_executions"
    }


def test_activation_follows_the_same_network_model():
    network = {"addresses": {"kms01": ["10.0.0.1"]}, "unreachable": {"10.0.0.1": "refused"}}
    h = host(key_type="retail", kms={"machine": "kms01"}, network=network)
    apply(h, {"action": "install_product_key", "product_key": SRV2022_DC})
    assert apply(h, {"action": "activate"})["steps"][0]["hresult"] == 0xC004F074


# -- activate ---------------------------------------------------------------------------------------


def test_activation_through_dns_discovery():
    h = host()
    out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    assert [s["hresult"] for s in out["steps"]] == [0, 0]
    row = primary(out)
    assert (row["LicenseStatus"], row["GracePeriodRemaining"], row["LicenseStatusReason"]) == (1, 259200, 0)
    assert (row["DiscoveredKeyManagementServiceMachineName"], row["DiscoveredKeyManagementServiceMachinePort"]) == (
        "kms01.corp.example.com",
        1688,
    )
    assert out["probe"]["service"]["DiscoveredKeyManagementServiceMachineName"] == "kms01.corp.example.com"
    assert h.writes == 2


def test_activation_uses_the_configured_machine_and_port():
    h = host(kms={})
    out = apply(
        h,
        {"action": "install_product_key", "product_key": SRV2022_DC},
        {"action": "set_kms_machine", "machine": "kms9.example.com"},
        {"action": "set_kms_port", "port": 1700},
        {"action": "activate"},
    )
    row = primary(out)
    assert row["LicenseStatus"] == 1
    # A configured KMS host is not a discovered one: the Discovered* fields stay unset.
    assert (row["DiscoveredKeyManagementServiceMachineName"], row["DiscoveredKeyManagementServiceMachinePort"]) == (
        None,
        0,
    )


def test_activation_without_a_kms_name_or_record():
    h = host(kms={})
    out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    assert out["steps"][1] == {"action": "activate", "hresult": 0x8007232B, "message": ""}
    assert primary(out)["LicenseStatus"] == 2 and h.writes == 1


def test_activation_with_an_unreachable_kms():
    h = host(kms={"dns": "kms01", "reachable": False})
    out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    assert out["steps"][1]["hresult"] == 0xC004F074
    assert out["steps"][1]["message"] == ""
    assert primary(out)["LicenseStatus"] == 2


def test_activation_without_a_key():
    out = apply(host(key_type="none"), {"action": "activate"})
    assert out["steps"][0]["hresult"] == 0xC004F014 and out["probe"]["products"] == []


@pytest.mark.parametrize(
    ("key_type", "status", "code"),
    [
        ("mak", "licensed", hr.WININET_E_NAME_NOT_RESOLVED),
        ("retail", "oob_grace", hr.WININET_E_NAME_NOT_RESOLVED),
        ("avma", "licensed", hr.SL_E_IA_PARENT_PARTITION_NOT_ACTIVATED),
    ],
)
def test_online_activation_has_no_internet(key_type, status, code):
    h = host(key_type=key_type, license_status=status)
    out = apply(h, {"action": "activate"})
    assert out["steps"][0]["hresult"] == code
    assert primary(out)["LicenseStatus"] == {"licensed": 1, "oob_grace": 2}[status] and h.writes == 0


def test_expired_evaluation_reports_its_validity_period():
    h = WindowsHost.from_spec(
        {
            "name": "e",
            "edition_id": "ServerStandardEval",
            "build": 20348,
            "os_sku": 79,
            "caption": "Microsoft Windows Server 2022 Standard Evaluation",
            "key_type": "eval",
            "license_status": "notification",
        }
    )
    row = primary(h.run_worker({"operation": "probe"}))
    assert (row["LicenseStatus"], row["LicenseStatusReason"]) == (5, 0xC004FC07)
    assert apply(h, {"action": "activate"})["steps"][0]["hresult"] == 0xC004FC07


# -- apply mechanics, faults, bad input --------------------------------------------------------------


def test_apply_stops_at_the_first_failure():
    out = apply(host(), {"action": "set_kms_port", "port": 0}, {"action": "set_kms_machine", "machine": "k"})
    assert [s["action"] for s in out["steps"]] == ["set_kms_port"]
    assert out["probe"]["service"]["KeyManagementServiceMachine"] is None


def test_step_faults_with_times():
    h = host(faults=[{"operation": "activate", "hresult": 0xC004F038, "times": 1}])
    first = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    assert first["steps"][1]["hresult"] == 0xC004F038 and primary(first)["LicenseStatus"] == 2
    assert first["steps"][1]["message"] == ""
    second = apply(h, {"action": "activate"})
    assert second["steps"][0]["hresult"] == 0 and primary(second)["LicenseStatus"] == 1


def test_fault_without_times_is_permanent_and_changes_nothing():
    h = host(faults=[{"operation": "install_product_key", "hresult": "0xC004F025"}])
    for _attempt in range(3):
        out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC})
        assert out["steps"][0]["hresult"] == 0xC004F025
    assert primary(out)["ProductKeyChannel"] == "Volume:MAK" and h.writes == 0


def test_probe_fault_fails_the_worker_after_its_steps():
    h = host(faults=[{"operation": "probe", "hresult": 0x80041003, "times": 1}])
    out = apply(h, {"action": "set_kms_machine", "machine": "kms9"})
    assert out["failed"] is True and "0x80041003" in out["msg"] and "probe" not in out
    assert out["steps"][0]["hresult"] == 0
    assert h.run_worker({"operation": "probe"})["probe"]["service"]["KeyManagementServiceMachine"] == "kms9"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"operation": "frobnicate"}, "value of operation must be one of: probe, apply"),
        ({}, "missing required arguments: operation"),
        ({"operation": "probe", "extra": 1}, "Unsupported parameters"),
        ({"operation": "apply", "steps": [{"action": "rearm"}]}, "value of action must be one of"),
        ({"operation": "apply", "steps": [{"product_key": "x"}]}, "missing required arguments: action found in steps"),
        ({"operation": "apply", "steps": [{"action": "set_kms_port", "port": "many"}]}, "unable to convert to int"),
        ({"operation": "apply", "steps": [{"action": "activate", "bogus": 1}]}, "bogus found in steps"),
        ({"operation": "apply", "steps": [], "_ansible_check_mode": True}, "refuses to apply steps in check mode"),
    ],
)
def test_bad_worker_input_fails_the_module(args, words):
    h = host()
    out = h.run_worker(args)
    assert out["failed"] is True and words in out["msg"]
    assert h.writes == 0 and h.worker_executions == 1


def test_probe_after_apply_is_what_a_fresh_probe_reads():
    h = host()
    out = apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    assert h.run_worker({"operation": "probe"})["probe"] == out["probe"]


def test_state_dump():
    h = host()
    apply(h, {"action": "install_product_key", "product_key": SRV2022_DC}, {"action": "activate"})
    h.run_worker({"operation": "probe"})
    state = h.state()
    assert state["key_type"] == "gvlk" and state["partial_product_key"] == SRV2022_DC[-5:]
    assert state["channel"] == "VOLUME_KMSCLIENT" and state["license_status"] == "licensed"
    assert state["kms"]["discovered_machine"] == "kms01.corp.example.com"
    assert (state["worker_executions"], state["writes"]) == (2, 2)


def test_mixed_fleet_scenario_loads():
    path = Path(__file__).resolve().parents[3] / "tools" / "winsim" / "scenarios" / "mixed_fleet.yml"
    hosts = load_scenario(path)
    assert len({h.name for h in hosts}) == len(hosts)
    assert all("probe" in h.run_worker({"operation": "probe"}) for h in hosts)


def test_probe_columns_are_the_contracts():
    text = (Path(__file__).resolve().parents[3] / "docs" / "worker_contract.md").read_text(encoding="utf-8")
    contract = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", text, re.S)[-1])
    probe = host().run_worker({"operation": "probe"})["probe"]
    for section in ("os", "registry", "service", "products"):
        rows = probe[section] if section == "products" else [probe[section]]
        assert all(list(row) == contract["probe"][section]["properties"] for row in rows), section
    assert list(contract["steps"]) == list(STEP_ACTIONS)


def _published_rows():
    for row in ROWS:
        parts = row["builds"].split(";")
        if row["gvlk"] and all(p.isdigit() for p in parts) and row["os_sku"].split(";")[0].isdigit():
            for edition_id in row["edition_id"].split(";"):
                yield row["gvlk"], edition_id, int(parts[-1]), row["edition"]


@pytest.mark.parametrize(("key", "edition_id", "build", "edition"), list(_published_rows()))
def test_every_published_gvlk_installs_on_its_edition(key, edition_id, build, edition):
    h = WindowsHost.from_spec(
        {
            "name": "p",
            "edition_id": edition_id,
            "build": build,
            "key_type": "retail",
            "caption": f"Microsoft {edition}",
            "os_sku": 1,
        }
    )
    out = apply(h, {"action": "install_product_key", "product_key": key})
    assert out["steps"][0]["hresult"] == 0, edition
    assert primary(out)["PartialProductKey"] == key[-5:]


def test_a_failed_step_changes_nothing_and_counts_as_a_write_call():
    h = host(faults=[{"operation": "set_kms_machine", "hresult": "0x80041003"}])
    before = h.licensing_state()
    out = apply(h, {"action": "set_kms_machine", "machine": "kms02"}, {"action": "activate"})
    assert [s["hresult"] for s in out["steps"]] == [0x80041003]  # the worker stops at the failed step
    assert h.licensing_state() == before and (h.writes, h.write_calls) == (0, 1)


def test_the_fleet_dump_is_canonical_and_changes_with_any_write():
    fleet = Fleet({"hosts": [{"name": "h1", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"}]})
    first = fleet.licensing_dump()
    fleet.hosts["h1"].run_worker({"operation": "probe"})
    assert fleet.licensing_dump() == first  # reading changes nothing, counters are not state
    apply(fleet.hosts["h1"], {"action": "set_kms_port", "port": 1700})
    assert fleet.licensing_dump() != first and b'"KeyManagementServicePort":1700' in fleet.licensing_dump()


def test_a_step_fault_can_skip_the_first_calls():
    h = host(faults=[{"operation": "refresh_license_status", "hresult": "0x80041003", "skip": 1}])
    out = apply(h, *[{"action": "refresh_license_status"}] * 3)
    assert [s["hresult"] for s in out["steps"]] == [0, 0x80041003]
