"""Activation routes through the action plugin: Active Directory-based activation, activation-type settings and the
KMS count threshold, against hosts of the simulator whose engine reads the forest and the settings."""

from __future__ import annotations

from typing import Any

import pytest
from unit.utils.action_harness import make_host, run_action, spec

from winsim.licensing import load_scenario

FOREST = {
    "srv": {},  # no _vlmcs._tcp record: no KMS host to discover
    "forest": {
        "activation_objects": [
            {"name": "Forest 2022", "partial_key": "WX4NM", "editions": ["ServerDatacenter", "Professional"]}
        ]
    },
}


def adba(**extra: Any) -> dict[str, Any]:
    return spec(domain_joined=True, network=FOREST, **extra)


# -- Active Directory-based activation -------------------------------------------------------------


def test_a_licensed_mak_host_of_an_adba_forest_without_a_kms_host_is_converted_and_activated() -> None:
    host = make_host(adba())
    audit = run_action(host, {}, check_mode=True)
    assert audit["status"] == "would_convert" and audit["activation_route"] == "adba"
    assert "'Forest 2022' (CSVLK partial key WX4NM)" in audit["msg"]
    result = run_action(host, {})
    assert (result["status"], result["license_status"]["after"], result["activation_route"]) == (
        "converted",
        "licensed",
        "adba",
    )
    assert result["ad_activation"]["outcome"] == "found" and result["kms_route"]["srv"]["outcome"] == "name_not_found"
    product = host.query(
        "SELECT ADActivationObjectName, VLActivationType FROM SoftwareLicensingProduct "
        "WHERE PartialProductKey IS NOT NULL"
    )[0][1]
    assert product == {"ADActivationObjectName": ("string", "Forest 2022"), "VLActivationType": ("uint32", 1)}


def test_a_retail_host_in_grace_of_an_adba_forest_is_converted_with_activation() -> None:
    host = make_host(adba(edition_id="Professional", build=19045, key_type="retail", license_status="oob_grace"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {}, calls=calls)
    assert "activate" in [step["action"] for step in calls[1]["steps"]]
    assert (result["status"], result["license_status"]["after"]) == ("converted", "licensed")


def test_a_gvlk_host_in_grace_of_an_adba_forest_gets_its_activate_call() -> None:
    host = make_host(adba(key_type="gvlk", license_status="oob_grace"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {}, calls=calls)
    assert [step["action"] for step in calls[1]["steps"]] == ["activate", "refresh_license_status"]
    assert (result["status"], result["license_status"]["after"]) == ("reconfigured", "licensed")


def test_a_forest_that_cannot_be_read_is_no_route_and_the_message_says_why() -> None:
    unreadable = {**FOREST, "forest": {"error": "0x80072020"}}
    host = make_host(spec(domain_joined=True, network=unreadable))
    result = run_action(host, {}, check_mode=True)
    assert result["status"] == "kms_unreachable" and host.writes == 0
    assert (
        "its forest's activation objects could not be read (0x80072020: An operations error occurred.)"
        in (result["msg"])
    )


def test_windows_7_cannot_use_adba_and_activation_routes_can_leave_it_out() -> None:
    old = make_host(adba(edition_id="Enterprise", build=7601))
    assert run_action(old, {}, check_mode=True)["status"] == "kms_unreachable"
    assert (
        "Windows build 7601 cannot use Active Directory-based activation" in run_action(old, {}, check_mode=True)["msg"]
    )
    kms_only = make_host(adba())
    result = run_action(kms_only, {"activation_routes": ["kms"]}, check_mode=True)
    assert result["status"] == "kms_unreachable" and result["ad_activation"] is None


# -- activation-type settings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"product": 1}, "Active Directory activation only (VLActivationTypeEnabled 1, set with slmgr /act-type 1)"),
        ({"service": 3}, "token-based activation only (VLActivationTypeEnabled 3, set with slmgr /act-type 3)"),
    ],
)
def test_a_setting_that_rules_out_the_working_kms_route_keeps_the_key(setting: dict[str, int], named: str) -> None:
    host = make_host(spec(activation_type=setting))
    for check_mode in (True, False):
        result = run_action(host, {}, check_mode=check_mode)
        assert result["status"] == "activation_type_restricted" and result["failed"] is True
        assert named in result["msg"] and "'slmgr /act-type 0' (any route)" in result["msg"]
        assert "on_activation_type: clear" in result["msg"]
    assert host.writes == 0 and host.state()["key_type"] == "mak"


def test_clearing_the_setting_is_a_planned_visible_step() -> None:
    host = make_host(spec(activation_type={"product": 1, "service": 1}))
    audit = run_action(host, {"on_activation_type": "clear"}, check_mode=True, diff=True)
    assert [s["action"] for s in audit["steps"]][:2] == ["clear_vl_activation_type", "clear_product_vl_activation_type"]
    assert "clear the service-wide activation type setting (slmgr /act-type 0)" in audit["msg"]
    assert (audit["diff"]["before"]["activation_type"], audit["diff"]["after"]["activation_type"]) == (1, 0)
    result = run_action(host, {"on_activation_type": "clear"})
    assert (result["status"], result["license_status"]["after"], result["activation_route"]) == (
        "converted",
        "licensed",
        "kms",
    )


# -- the KMS count threshold --------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "hosts", "status"), [(1, 3, "kms_count_short"), (2, 3, "would_convert")])
def test_a_known_count_that_cannot_reach_the_server_threshold_keeps_a_licensed_key(
    count: int, hosts: int, status: str
) -> None:
    host = make_host(spec())
    result = run_action(
        host,
        {"kms_count": count},
        check_mode=True,
        task_vars={"ansible_play_hosts_all": [f"h{i}" for i in range(hosts)]},
    )
    assert result["status"] == status
    if status == "kms_count_short":
        expected = (
            f"the KMS host counts {count} machines (kms_count); with the {hosts} hosts of this run it reaches at "
            "most 4, and it activates servers from 5"
        )
        assert expected in result["msg"]


def test_client_editions_need_25_and_an_unlicensed_host_is_converted_all_the_same() -> None:
    plays = {"ansible_play_hosts_all": [f"h{i}" for i in range(4)]}
    client = make_host(spec(edition_id="Enterprise", build=19045))
    assert run_action(client, {"kms_count": 20}, check_mode=True, task_vars=plays)["status"] == "kms_count_short"
    unlicensed = make_host(spec(edition_id="Enterprise", build=19045, key_type="none"))
    assert run_action(unlicensed, {"kms_count": 20}, check_mode=True, task_vars=plays)["status"] == "would_convert"


def test_a_kms_host_counted_below_the_threshold_makes_activation_pending() -> None:
    """The simulator's KMS host counts distinct machine IDs: 3 known, a server asking brings it to 4 (below 5)."""
    scenario = {
        "kms_hosts": {"kms-fresh.corp.example.com": {"count": 3}},
        "hosts": [
            spec(name="s1", kms={"machine": "kms-fresh.corp.example.com"}),
            spec(name="s2", kms={"machine": "kms-fresh.corp.example.com"}),
        ],
    }
    first, second = load_scenario(scenario)
    pending = run_action(first, {})
    assert (pending["status"], pending["activation"]["hresult"]) == ("activation_pending", "0xC004F038")
    assert "this host will activate when the count reaches 5" in pending["msg"]
    assert run_action(second, {})["status"] == "converted"  # the count is 5 now
    assert run_action(first, {})["status"] == "reconfigured"  # the retry activates


def test_a_kms_hosts_probe_reports_its_count() -> None:
    scenario = {
        "kms_hosts": {"kms01.corp.example.com": {"count": 7, "host": "kms01"}},
        "hosts": [spec(name="kms01", edition_id="ServerStandard", key_type="csvlk")],
    }
    (kms01,) = load_scenario(scenario)
    result = run_action(kms01, {}, check_mode=True)
    assert (result["status"], result["kms_count"]) == ("is_kms_host", 7)
    assert "7 active KMS clients" in result["msg"]


def test_the_client_machine_id_is_reported() -> None:
    host = make_host(spec(key_type="gvlk", client_machine_id="0B7E4A3C-8D2F-4E61-9A5B-3C2D1E0F9A87"))
    result = run_action(host, {}, check_mode=True)
    assert result["client_machine_id"] == "0b7e4a3c-8d2f-4e61-9a5b-3c2d1e0f9a87"
    assert result["ansible_facts"]["kms_client"]["client_machine_id"] == result["client_machine_id"]
