"""kms_client_key: conversion, check mode, overrides and every published edition."""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest
from unit.utils.action_harness import (
    KMS,
    REFERENCE_CSV,
    executions,
    gvlk_for,
    make_host,
    make_key,
    run_action,
    spec,
)


def test_mak_host_is_converted_activated_and_verified() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_host": KMS}, calls=calls)
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "converted" and result["changed"] is True and result["failed"] is False
    assert [c["operation"] for c in calls] == ["probe", "apply"]
    assert [s["action"] for s in calls[1]["steps"]] == [
        "install_product_key",
        "refresh_license_status",
        "set_kms_machine",
        "activate",
        "refresh_license_status",
    ]
    assert calls[1]["steps"][0]["product_key"] == gvlk
    assert calls[0]["kms_route"] == {
        "machine": KMS,
        "port": None,
        "lookup_domain": None,
        "use_configured": True,
        "timeout_ms": 3000,
    }
    assert result["kms_route"]["reachable"] is True and result["kms_route"]["machine"] == KMS
    assert result["key_type"] == {"before": "mak", "after": "gvlk"}
    assert result["partial_product_key"] == {"before": "3V66T", "after": gvlk[-5:]}
    assert result["license_status"] == {"before": "licensed", "after": "licensed"}
    assert result["gvlk"] == gvlk
    assert result["kms"]["machine"] == KMS
    assert result["activation"] == {
        "attempted": True,
        "hresult": "0x00000000",
        "symbol": "S_OK",
        "message": "Activated; license status licensed.",
    }
    assert [s["hresult"] for s in result["steps"]] == ["0x00000000"] * 5
    assert result["edition"]["id"] == "ServerDatacenter" and result["edition"]["build"] == 20348
    facts = result["ansible_facts"]["kms_client"]
    assert facts["key_type"] == {"before": "mak", "after": "gvlk"}
    assert facts["partial_product_key"]["after"] == gvlk[-5:]
    assert facts["license_status"]["after"] == "licensed" and facts["status"] == "converted"
    assert facts["kms"]["machine"] == KMS and facts["mode"] == "apply" and facts["changed"] is True


def test_second_run_is_compliant_with_one_worker_execution() -> None:
    host = make_host(spec(key_type="retail"))
    first = run_action(host, {"kms_host": KMS})
    assert first["changed"] is True
    calls: list[dict[str, Any]] = []
    second = run_action(host, {"kms_host": KMS}, calls=calls)
    assert second["status"] == "compliant" and second["changed"] is False and second["failed"] is False
    assert [c["operation"] for c in calls] == ["probe"]
    assert second["steps"] == []


def test_grace_remaining_and_the_activation_route_are_what_the_host_reads() -> None:
    host = make_host(spec(key_type="mak"))
    audit = run_action(host, {"kms_host": KMS}, check_mode=True)
    assert audit["grace_period_remaining"] == 0  # an activated MAK does not expire
    converted = run_action(host, {"kms_host": KMS})
    validity = host.product.grace
    assert validity > 0 and converted["grace_period_remaining"] == validity
    assert converted["ansible_facts"]["kms_client"]["grace_period_remaining"] == validity
    # A host with nothing to change reports how Windows says it was activated.
    again = run_action(host, {"kms_host": KMS})
    assert (again["status"], again["activation_route"], again["grace_period_remaining"]) == (
        "compliant",
        "kms",
        validity,
    )


def test_activated_mak_host_is_not_compliant() -> None:
    host = make_host(spec(key_type="mak", license_status="licensed"))
    result = run_action(host, {}, check_mode=True)
    assert result["status"] == "would_convert" and result["changed"] is True


def test_gvlk_of_another_edition_is_replaced() -> None:
    standard = gvlk_for("ServerStandard", 20348)
    host = make_host(spec(key_type="gvlk", partial_key=standard[-5:], kms={"dns": KMS}))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {}, calls=calls)
    assert result["status"] == "converted"
    assert result["partial_product_key"]["after"] == gvlk_for("ServerDatacenter", 20348)[-5:]
    assert result["kms_route"]["srv"]["outcome"] == "found"  # DNS discovery: the SRV record was tested


def test_kms_settings_alone_are_a_change() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host = make_host(spec(key_type="gvlk", partial_key=gvlk[-5:], kms={"machine": "old.corp.example.com"}))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_host": f"{KMS}:1700", "kms_lookup_domain": "corp.example.com"}, calls=calls)
    assert result["status"] == "reconfigured" and result["changed"] is True
    assert calls[1]["steps"] == [
        {"action": "set_kms_machine", "machine": KMS},
        {"action": "set_kms_port", "port": 1700},
        {"action": "set_kms_lookup_domain", "domain": "corp.example.com"},
    ]
    assert result["kms"]["machine"] == KMS and result["kms"]["port"] == 1700
    assert (
        run_action(host, {"kms_host": KMS, "kms_port": 1700, "kms_lookup_domain": "CORP.example.com."})["status"]
        == "compliant"
    )


def test_dns_discovery_clears_a_configured_kms_host() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host = make_host(spec(key_type="gvlk", partial_key=gvlk[-5:], kms={"machine": KMS, "port": 1700, "dns": KMS}))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_discovery": "dns"}, calls=calls)
    assert calls[1]["steps"] == [{"action": "clear_kms_machine"}, {"action": "clear_kms_port"}]
    assert result["status"] == "reconfigured" and result["kms"]["machine"] is None
    assert run_action(host, {"kms_discovery": "dns"})["status"] == "compliant"


def test_unlicensed_kms_client_needs_activation_only_when_asked() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host_spec = spec(key_type="gvlk", partial_key=gvlk[-5:], license_status="oob_grace", kms={"dns": KMS})
    assert run_action(make_host(host_spec), {"activate": False})["status"] == "compliant"
    calls: list[dict[str, Any]] = []
    result = run_action(make_host(host_spec), {}, calls=calls)
    assert calls[1]["steps"] == [{"action": "activate"}, {"action": "refresh_license_status"}]
    assert result["status"] == "reconfigured"
    assert result["license_status"] == {"before": "oob_grace", "after": "licensed"}


def test_conversion_without_activation_leaves_license_status_to_windows() -> None:
    host = make_host(spec(key_type="oem"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"activate": False}, calls=calls)
    assert [s["action"] for s in calls[1]["steps"]] == ["install_product_key", "refresh_license_status"]
    assert result["status"] == "converted" and result["activation"]["attempted"] is False


@pytest.mark.parametrize("key_type", ["mak", "retail", "oem", "none"])
def test_default_convert_from_key_types_are_converted(key_type: str) -> None:
    result = run_action(make_host(spec(key_type=key_type)), {"kms_host": KMS})
    assert result["status"] == "converted" and result["key_type"] == {"before": key_type, "after": "gvlk"}


def test_key_type_outside_convert_from_is_skipped() -> None:
    host = make_host(spec(key_type="retail", partial_key="BCDFG"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"convert_from": ["mak"]}, calls=calls)
    assert result["status"] == "skipped" and result["failed"] is False and result["changed"] is False
    assert result["skip_reason"] == "key_type_not_allowed"
    assert "retail" in result["msg"] and "convert_from" in result["msg"]
    assert len(calls) == 1


# ----------------------------------------------------------------------------------------- check mode


def test_check_mode_probes_once_writes_nothing_and_predicts() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_host": KMS}, check_mode=True, diff=True, calls=calls)
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert [c["operation"] for c in calls] == ["probe"]
    assert host.writes == 0 and host.worker_executions == 1
    assert result["status"] == "would_convert" and result["changed"] is True and result["failed"] is False
    assert result["steps"][0] == {
        "action": "install_product_key",
        "partial_product_key": gvlk[-5:],
        "source": "catalog",
    }
    assert [s["action"] for s in result["steps"]][2:] == ["set_kms_machine", "activate", "refresh_license_status"]
    assert result["diff"] == {
        "before": {
            "edition": "ServerDatacenter",
            "key_type": "mak",
            "partial_product_key": "3V66T",
            "license_status": "licensed",
            "kms_machine": None,
            "kms_port": 1688,
            "kms_lookup_domain": None,
            "activation_type": 0,
        },
        "after": {
            "edition": "ServerDatacenter",
            "key_type": "gvlk",
            "partial_product_key": gvlk[-5:],
            "license_status": "licensed",
            "kms_machine": KMS,
            "kms_port": 1688,
            "kms_lookup_domain": None,
            "activation_type": 0,
        },
    }
    assert result["activation"]["attempted"] is False
    # The fact records the audit's prediction, as the result does.
    assert result["ansible_facts"]["kms_client"]["key_type"] == {"before": "mak", "after": "gvlk"}
    assert result["ansible_facts"]["kms_client"]["mode"] == "check"
    assert "Would install" in result["msg"]


def test_check_mode_on_compliant_host_reports_no_change() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host = make_host(spec(key_type="gvlk", partial_key=gvlk[-5:]))
    result = run_action(host, {}, check_mode=True, diff=True)
    assert result["status"] == "compliant" and result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


def test_no_diff_without_diff_mode() -> None:
    assert "diff" not in run_action(make_host(spec()), {}, check_mode=True)


# ------------------------------------------------------------------------------------------- refusals


def test_override_converts_an_unpublished_edition_and_never_shows_the_key() -> None:
    secret = make_key(1)
    host = make_host(
        spec(
            edition_id="Core",
            build=19045,
            os_sku=101,
            key_type="oem",
            partial_key="F6YP2",
            caption="Microsoft Windows 10 Home",
            installation_type="Client",
            accepts_keys=[secret],
            kms={"dns": KMS},
        )
    )
    calls: list[dict[str, Any]] = []
    args = {"gvlk_overrides": {"Core@19045": secret}}
    checked = run_action(host, args, check_mode=True, diff=True)
    result = run_action(host, args, diff=True, calls=calls)
    assert calls[1]["steps"][0]["product_key"] == secret
    assert result["status"] == "converted" and result["gvlk"] == secret[-5:]
    assert result["partial_product_key"]["after"] == secret[-5:]
    for shown in (checked, result, run_action(host, args)):
        text = json.dumps(shown)
        assert secret not in text and secret.replace("-", "") not in text and secret[:-5] not in text


def test_override_for_a_wrong_key_fails_install_with_mapped_hresult() -> None:
    secret = make_key(2)
    host = make_host(
        spec(
            edition_id="Core",
            build=19045,
            os_sku=101,
            key_type="oem",
            caption="Microsoft Windows 10 Home",
            installation_type="Client",
        )
    )
    result = run_action(host, {"gvlk_overrides": {"Core": secret}})
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert "0xC004F050 (SL_E_INVALID_PRODUCT_KEY)" in result["msg"]
    assert result["key_type"]["after"] == "oem"
    assert secret not in json.dumps(result)


def test_invalid_override_key_is_not_echoed() -> None:
    host = make_host(spec())
    bad = make_key(3)[:-1] + ("B" if make_key(3)[-1] != "B" else "C")
    result = run_action(host, {"gvlk_overrides": {"Core": bad}})
    assert result["status"] == "failed" and "gvlk_overrides['Core']" in result["msg"]
    assert bad not in json.dumps(result) and executions(host) == 0


# ------------------------------------------------------------------------------------------ HRESULTs


def test_override_replaces_the_catalog_key_of_a_known_edition() -> None:
    secret = make_key(2)
    host = make_host(spec(key_type="mak", partial_key="3V66T", accepts_keys=[secret]))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_host": KMS, "gvlk_overrides": {"ServerDatacenter": secret}}, calls=calls)
    assert calls[1]["steps"][0]["product_key"] == secret != gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "converted" and result["gvlk"] == secret[-5:]
    assert result["edition"]["name"] == "Windows Server 2022 Datacenter"
    assert f"(partial key {secret[-5:]}, from override)" in result["msg"]
    assert secret not in json.dumps(result)


def test_override_converts_an_edition_the_catalog_cannot_identify() -> None:
    secret = make_key(3)
    host = make_host(
        spec(
            edition_id="ServerFrobnicator",
            build=30000,
            os_sku=9999,
            accepts_keys=[secret],
            caption="Microsoft Windows Server Frobnicator",
            kms={"dns": KMS},
        )
    )
    result = run_action(host, {"gvlk_overrides": {"ServerFrobnicator@30000": secret}})
    assert result["status"] == "converted" and result["failed"] is False
    assert result["edition"]["id"] == "ServerFrobnicator" and result["gvlk"] == secret[-5:]
    assert result["key_type"] == {"before": "mak", "after": "gvlk"}
    assert result["partial_product_key"]["after"] == secret[-5:]
    assert secret not in json.dumps(result)


# ------------------------------------------------------------------------------------ option checks


def reference_key(edition_id: str, build: int) -> str:
    """The GVLK Microsoft publishes for this EditionID and build, read from the reference table."""
    with REFERENCE_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ids = [i.strip() for i in row["edition_id"].split(";")]
            builds = [b.strip() for b in row["builds"].split(";")]
            if row["gvlk"] and edition_id in ids and str(build) in builds:
                return row["gvlk"]
    raise AssertionError(f"no reference key for {edition_id} at {build}")


KEYED_EDITIONS = [
    ("ServerStandard", 6002, {}),
    ("ServerEnterprise", 7601, {}),
    ("ServerDatacenter", 9200, {}),
    ("ServerStandard", 9600, {}),
    ("ServerStandard", 14393, {}),
    ("ServerDatacenter", 17763, {}),
    ("ServerStandardACor", 17763, {}),
    ("ServerDatacenterACor", 16299, {}),
    ("ServerStandard", 20348, {}),
    ("ServerStandard", 20348, {"installation_type": "Server Core", "os_sku": 7}),
    ("ServerTurbine", 20348, {}),
    ("ServerTurbine", 26100, {}),
    ("ServerDatacenter", 26100, {}),
    ("Professional", 7601, {}),
    ("Enterprise", 9200, {}),
    ("Professional", 9600, {}),
    ("Professional", 19045, {}),
    ("Professional", 22631, {"product_name": "Windows 10 Pro"}),
    ("Enterprise", 26100, {}),
    ("Education", 22621, {}),
    ("EnterpriseS", 10240, {}),
    ("EnterpriseS", 14393, {}),
    ("EnterpriseS", 17763, {}),
    ("EnterpriseS", 19044, {}),
    ("EnterpriseS", 26100, {}),
    ("Core", 9200, {}),
    ("CoreSingleLanguage", 9200, {}),
]


@pytest.mark.parametrize("edition_id,build,extra", KEYED_EDITIONS, ids=[f"{e}@{b}" for e, b, _extra in KEYED_EDITIONS])
def test_every_published_edition_converts_to_its_reference_key(
    edition_id: str, build: int, extra: dict[str, Any]
) -> None:
    host = make_host(spec(edition_id, build, "retail", kms={"dns": KMS}, **extra))
    key = reference_key(edition_id, build)
    result = run_action(host, {})
    assert result["status"] == "converted", result["msg"]
    assert result["gvlk"] == key and result["partial_product_key"]["after"] == key[-5:]
    assert result["edition"]["id"] == edition_id and result["edition"]["build"] == build
    calls: list[dict[str, Any]] = []
    assert run_action(host, {}, calls=calls)["status"] == "compliant" and len(calls) == 1


@pytest.mark.parametrize(
    "key_type,expected",
    [
        ("gvlk", "compliant"),
        ("mak", "would_convert"),
        ("retail", "would_convert"),
        ("oem", "would_convert"),
        ("avma", "skipped"),
        ("none", "would_convert"),
        ("csvlk", "is_kms_host"),
    ],
)
def test_hosts_of_every_key_type(key_type: str, expected: str) -> None:
    extra = {"partial_key": gvlk_for("ServerDatacenter", 20348)[-5:]} if key_type == "gvlk" else {}
    result = run_action(make_host(spec(key_type=key_type, **extra)), {}, check_mode=True)
    assert result["status"] == expected and result["key_type"]["before"] == key_type
    assert result["ansible_facts"]["kms_client"]["key_type"]["before"] == key_type


def test_a_host_whose_key_was_right_is_reconfigured_not_converted() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host = make_host(spec(key_type="gvlk", partial_key=gvlk[-5:], license_status="oob_grace"))
    assert run_action(host, {}, check_mode=True)["status"] == "would_reconfigure"
    result = run_action(host, {})
    assert (result["status"], result["changed"]) == ("reconfigured", True)
    assert result["key_type"] == {"before": "gvlk", "after": "gvlk"} and "activate" in result["msg"]
    mak = make_host(spec(key_type="mak"))
    assert run_action(mak, {"kms_host": KMS}, check_mode=True)["status"] == "would_convert"
    assert run_action(mak, {"kms_host": KMS})["status"] == "converted"
