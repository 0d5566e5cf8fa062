"""kms_client_key against documented Windows behaviours: slmgr's activation order, ExtendedGrace, add-ons,
product-level KMS settings and classes that lack a property on older releases."""

from __future__ import annotations

from typing import Any

from unit.utils.action_harness import KMS, gvlk_for, make_host, run_action, spec

GVLK = gvlk_for("ServerDatacenter", 20348)
OTHER_KMS = "kms-retired.corp.example.com"


def actions(calls: list[dict[str, Any]]) -> list[str]:
    return [s["action"] for s in calls[-1].get("steps", [])]


def test_activation_is_followed_by_refresh_license_status_as_slmgr_ato_does() -> None:
    calls: list[dict[str, Any]] = []
    result = run_action(make_host(spec(key_type="gvlk", license_status="oob_grace", kms={"dns": KMS})), {}, calls=calls)
    assert result["status"] == "reconfigured"
    assert actions(calls) == ["activate", "refresh_license_status"]


def test_extended_grace_counts_as_activated() -> None:
    calls: list[dict[str, Any]] = []
    host = make_host(spec(key_type="gvlk", license_status="extended_grace"))
    result = run_action(host, {}, calls=calls)
    assert result["status"] == "compliant" and result["changed"] is False
    assert [c["operation"] for c in calls] == ["probe"] and host.writes == 0


def test_an_esu_addon_listed_first_is_not_taken_for_the_windows_product() -> None:
    addons = [{"license_family": "Server-ESU-Year1", "partial_key": "Q7V2D"}]
    host = make_host(spec(key_type="mak", partial_key="3V66T", addons=addons))
    result = run_action(host, {"kms_host": KMS})
    assert result["status"] == "converted", result["msg"]
    assert result["partial_product_key"] == {"before": "3V66T", "after": GVLK[-5:]}
    assert host.state()["partial_product_key"] == GVLK[-5:]


def test_a_product_level_kms_host_other_than_the_asked_one_is_cleared() -> None:
    kms = {"dns": KMS, "machine": KMS, "product_machine": OTHER_KMS, "product_port": 1700}
    host = make_host(spec(key_type="gvlk", license_status="licensed", partial_key=GVLK[-5:], kms=kms))
    audit = run_action(host, {"kms_host": KMS}, check_mode=True)
    assert audit["status"] == "would_reconfigure" and OTHER_KMS in audit["msg"]
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_host": KMS}, calls=calls)
    assert result["status"] == "reconfigured", result["msg"]
    assert actions(calls) == ["clear_product_kms_machine"]
    assert host.state()["product_kms"] == {"machine": None, "port": 1700}
    assert run_action(host, {"kms_host": KMS})["status"] == "compliant"


def test_dns_discovery_clears_product_level_settings_too() -> None:
    kms = {"dns": KMS, "product_machine": OTHER_KMS, "product_port": 1700}
    host = make_host(spec(key_type="gvlk", license_status="licensed", partial_key=GVLK[-5:], kms=kms))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_discovery": "dns"}, calls=calls)
    assert result["status"] == "reconfigured", result["msg"]
    assert actions(calls) == ["clear_product_kms_machine", "clear_product_kms_port"]
    assert host.state()["product_kms"] == {"machine": None, "port": 0}


def test_a_product_level_host_left_in_place_fails_the_verification() -> None:
    class KeepsProductHost:
        """A worker whose product-level clear reports success and changes nothing."""

        def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
            answer = host.run_worker(
                {**module_args, "steps": [s for s in module_args.get("steps", []) if "product" not in s["action"]]}
            )
            if module_args["operation"] == "apply":
                answer["steps"].insert(0, {"action": "clear_product_kms_machine", "hresult": 0, "message": ""})
            return answer

    kms = {"dns": KMS, "machine": KMS, "product_machine": OTHER_KMS}
    host = make_host(spec(key_type="gvlk", license_status="licensed", partial_key=GVLK[-5:], kms=kms))
    result = run_action(KeepsProductHost(), {"kms_host": KMS})
    assert result["status"] == "failed" and OTHER_KMS in result["msg"]


def test_a_lookup_domain_on_a_windows_without_support_is_refused_before_any_write() -> None:
    host = make_host({"name": "w7", "edition_id": "Enterprise", "build": 7601, "key_type": "mak", "kms": {"dns": KMS}})
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_lookup_domain": "corp.example.com"}, calls=calls)
    assert result["status"] == "failed" and result["failed"] is True
    assert "no KMS lookup-domain support" in result["msg"]
    assert [c["operation"] for c in calls] == ["probe"] and host.writes == 0
