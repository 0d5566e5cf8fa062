"""kms_client_key: HRESULTs, worker failures, unusable probes and warnings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ansible.errors import AnsibleConnectionFailure
from unit.utils.action_harness import (
    KMS,
    gvlk_for,
    make_host,
    run_action,
    spec,
)

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _hresults
from winsim.licensing import WindowsHost

# 0xC004F038 (the KMS host's count is too low) is no failure: activation_pending, tested below.
ACTIVATION_HRESULTS = [
    0xC004F074,
    0x8007232B,
    0xC004F06C,
    0xC004F042,
    0xC004F015,
    0xC004F039,
    0xC004F041,
    0xC004F056,
    0xC004F035,
    0x80070005,
    0xC004F025,
    0x8007251D,
    0x8007007B,
]


@pytest.mark.parametrize("code", ACTIVATION_HRESULTS, ids=hex)
def test_activation_failure_is_mapped_and_conversion_kept(code: int) -> None:
    host = make_host(spec(key_type="mak", faults=[{"operation": "activate", "hresult": code, "times": 1}]))
    result = run_action(host, {"kms_host": KMS})
    info = _hresults.lookup(code)
    assert info.symbol != "unknown"
    assert result["status"] == "activation_failed" and result["failed"] is True and result["changed"] is True
    assert result["activation"]["attempted"] is True
    assert (
        result["activation"]["hresult"] == _hresults.format_hresult(code)
        and result["activation"]["symbol"] == info.symbol
    )
    assert info.remedy in result["msg"] and _hresults.format_hresult(code) in result["msg"]
    assert result["key_type"]["after"] == "gvlk" and "kept" in result["msg"]
    assert result["steps"][-1]["action"] == "activate" and result["steps"][-1]["symbol"] == info.symbol


@pytest.mark.parametrize("code", [0xC004F050, 0xC004F069, 0x80070005, 0xC004F025], ids=hex)
def test_install_failure_is_failed_with_mapped_hresult(code: int) -> None:
    host = make_host(spec(key_type="retail", faults=[{"operation": "install_product_key", "hresult": code}]))
    result = run_action(host, {})
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert f"{_hresults.format_hresult(code)} ({_hresults.lookup(code).symbol})" in result["msg"]
    assert result["key_type"]["after"] == "retail" and result["activation"]["attempted"] is False
    # the state read back, and what to do
    assert "Nothing changed: the host still holds its retail key (partial key " in result["msg"]
    assert "license status licensed). Fix the cause and run this task again." in result["msg"]


def test_activation_failure_says_the_license_status_read_back_and_what_to_do() -> None:
    host = make_host(spec(key_type="mak", faults=[{"operation": "activate", "hresult": 0xC004F06C}]))
    result = run_action(host, {"kms_host": KMS})
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert (
        f"The KMS client key (partial key {gvlk[-5:]}) is installed and kept; the host is no longer activated "
        in (result["msg"])
    )
    assert "(license status oob_grace). Run this task again once the cause is fixed" in result["msg"]


@pytest.mark.parametrize(
    ("edition_id", "build", "threshold", "family"),
    [("ServerDatacenter", 20348, 5, "servers"), ("Enterprise", 19045, 25, "client editions")],
)
def test_a_kms_count_below_the_threshold_is_a_pending_activation_not_a_failure(
    edition_id: str, build: int, threshold: int, family: str
) -> None:
    """0xC004F038: the KMS host counts too few machines; the host retries by itself every two hours."""
    host = make_host(
        spec(
            key_type="mak",
            edition_id=edition_id,
            build=build,
            faults=[{"operation": "activate", "hresult": 0xC004F038}],
        )
    )
    result = run_action(host, {"kms_host": KMS})
    assert (result["status"], result["failed"], result["changed"]) == ("activation_pending", False, True)
    assert result["activation"]["hresult"] == "0xC004F038" and result["key_type"]["after"] == "gvlk"
    assert f"this host will activate when the count reaches {threshold} (the threshold of {family})" in result["msg"]
    assert "It retries every 2 hours by itself." in result["msg"]


def test_a_failed_product_level_step_says_what_the_host_holds_now() -> None:
    """No new key: the product-level KMS host was cleared, its port not; the message says so, as read back."""
    host = make_host(
        spec(
            key_type="gvlk",
            license_status="oob_grace",
            kms={"dns": KMS, "product_machine": "kms-retired.example.com", "product_port": 1700},
            faults=[{"operation": "clear_product_kms_port", "hresult": 0xC004F025}],
        )
    )
    result = run_action(host, {"kms_discovery": "dns"})
    assert result["status"] == "failed" and result["changed"] is True
    assert "The host now holds its gvlk key (partial key " in result["msg"]
    assert "product-level KMS host none, port 1700. Fix the cause and run this task again" in result["msg"]


def test_unknown_hresult_is_shown_in_hex() -> None:
    host = make_host(spec(key_type="mak", faults=[{"operation": "activate", "hresult": 0xC004F0AA}]))
    result = run_action(host, {"kms_host": KMS})
    assert result["activation"]["hresult"] == "0xC004F0AA" and result["activation"]["symbol"] == "unknown"
    assert "0xC004F0AA" in result["msg"]


@pytest.mark.parametrize("failure", ["refused", "timed_out"])
def test_licensed_host_keeps_its_key_when_the_named_kms_host_does_not_answer(failure: str) -> None:
    network = {
        "addresses": {KMS: ["10.0.0.10", "2001:db8::10"]},
        "unreachable": {"10.0.0.10": failure, "2001:db8::10": failure},
    }
    host = make_host(spec(key_type="mak", partial_key="3V66T", network=network))
    calls: list[dict[str, Any]] = []
    # One-second waits: the engine's sockets wait for real on a listener that never answers.
    result = run_action(host, {"kms_host": KMS, "tcp_timeout": 1}, calls=calls)
    assert result["status"] == "kms_unreachable" and result["failed"] is True and result["changed"] is False
    assert [c["operation"] for c in calls] == ["probe"] and host.writes == 0 and host.worker_executions == 1
    assert host.state()["key_type"] == "mak" and host.state()["license_status"] == "licensed"
    assert KMS in result["msg"] and "port 1688" in result["msg"] and "on_kms_unreachable: convert" in result["msg"]
    assert failure.replace("_", " ") in result["msg"] and "2001:db8::10" in result["msg"]
    attempts = result["kms_route"]["attempts"]
    assert [(a["address"], a["family"], a["outcome"]) for a in attempts] == [
        ("10.0.0.10", "ipv4", failure),
        ("2001:db8::10", "ipv6", failure),
    ]


def test_an_ipv6_only_kms_host_that_answers_is_a_working_route() -> None:
    host = make_host(spec(key_type="mak", network={"addresses": {KMS: ["2001:db8::10"]}}))
    result = run_action(host, {"kms_host": KMS})
    assert result["status"] == "converted" and result["kms_route"]["attempts"][0]["family"] == "ipv6"


def test_kms_host_name_not_found_keeps_the_key_and_says_so() -> None:
    host = make_host(spec(key_type="mak", network={"addresses": {KMS: []}}))
    result = run_action(host, {"kms_host": KMS})
    assert result["status"] == "kms_unreachable" and "name not found" in result["msg"]
    assert result["kms_route"]["attempts"] == [
        {
            "name": KMS,
            "address": None,
            "family": None,
            "port": 1688,
            "outcome": "name_not_found",
            "message": "No such host is known",
        }
    ]


def test_no_srv_record_keeps_the_key_of_a_licensed_host() -> None:
    host = make_host(spec(key_type="mak", kms={}, network={"srv": {}}))
    result = run_action(host, {})
    assert result["status"] == "kms_unreachable" and host.writes == 0
    assert "_vlmcs._tcp.corp.example.com" in result["msg"] and result["kms_route"]["srv"]["outcome"] == "name_not_found"


def test_srv_records_of_the_lookup_domain_are_tested_and_what_they_name() -> None:
    network = {"srv": {"branch.example.com": [{"target": "kms02.branch.example.com", "port": 1700}]}}
    host = make_host(spec(key_type="mak", kms={}, network=network))
    result = run_action(host, {"kms_lookup_domain": "branch.example.com"})
    assert result["status"] == "converted"
    assert result["kms_route"]["srv"]["targets"] == [{"name": "kms02.branch.example.com", "port": 1700}]
    assert result["kms_route"]["attempts"][0]["port"] == 1700


def test_on_kms_unreachable_convert_replaces_the_key_anyway() -> None:
    host = make_host(spec(key_type="mak", kms={"dns": KMS, "reachable": False}))
    result = run_action(host, {"on_kms_unreachable": "convert", "tcp_timeout": 1})
    assert result["status"] == "activation_failed" and result["key_type"]["after"] == "gvlk"
    assert result["activation"]["attempted"] is False and "did not answer" in result["activation"]["message"]


def test_unlicensed_host_is_converted_without_a_route_and_activation_is_not_tried() -> None:
    host = make_host(spec(key_type="retail", license_status="notification", kms={"dns": KMS, "reachable": False}))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"tcp_timeout": 1}, calls=calls)
    assert result["status"] == "activation_failed" and result["key_type"]["after"] == "gvlk"
    assert "activate" not in [s["action"] for s in calls[1]["steps"]]
    assert "Activation was not tried" in result["msg"] and result["activation"]["attempted"] is False


def test_check_mode_predicts_kms_unreachable_with_one_read_only_execution() -> None:
    host = make_host(spec(key_type="mak", kms={"dns": KMS, "reachable": False}))
    result = run_action(host, {"tcp_timeout": 1}, check_mode=True)
    assert result["status"] == "kms_unreachable" and host.worker_executions == 1 and host.writes == 0


def test_an_unreadable_route_answer_keeps_the_key() -> None:
    host = make_host(spec(key_type="mak"))

    class Garbled:
        worker_executions = 0

        def run_worker(self, args: dict[str, Any]) -> dict[str, Any]:
            answer = host.run_worker(args)
            answer["kms_route"] = {"attempts": [{"name": KMS, "port": 1688, "outcome": "maybe"}]}
            return answer

    result = run_action(Garbled(), {})
    assert result["status"] == "kms_unreachable" and "could not be tested" in result["msg"] and host.writes == 0


# ----------------------------------------------------------------------------- worker and connection


def test_probe_failure_is_failed_with_the_worker_message() -> None:
    host = make_host(spec(faults=[{"operation": "probe", "hresult": 0x80041003}]))
    result = run_action(host, {})
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert "Access denied" in result["msg"] and "probe" in result["msg"]


def test_connection_errors_propagate() -> None:
    class Unreachable:
        def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
            raise AnsibleConnectionFailure("winrm: connection refused")

    with pytest.raises(AnsibleConnectionFailure):
        run_action(Unreachable(), {})


def test_step_success_with_a_state_that_does_not_match_is_failed() -> None:
    class Liar:
        """Reports every step as done but changes nothing."""

        def __init__(self, host: WindowsHost) -> None:
            self.host = host

        def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
            out = self.host.run_worker({k: v for k, v in module_args.items() if k != "steps"} | {"operation": "probe"})
            if module_args["operation"] == "apply":
                out["steps"] = [{"action": s["action"], "hresult": 0, "message": ""} for s in module_args["steps"]]
            return out

    result = run_action(Liar(make_host(spec(key_type="mak"))), {"kms_host": KMS})
    assert result["status"] == "failed" and "does not match" in result["msg"]


class Rewritten:
    """A modelled host whose worker answers pass through ``rewrite(operation, answer)``: the shapes a real
    worker returns when something goes wrong outside the steps."""

    def __init__(self, host: WindowsHost, rewrite: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
        self.host, self.rewrite = host, rewrite

    def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
        return self.rewrite(module_args["operation"], self.host.run_worker(module_args))


def unwrap_products(answer: dict[str, Any]) -> dict[str, Any]:
    """ConvertTo-Json turns a one-element array not wrapped in @() into the bare object."""
    (only,) = answer["probe"]["products"]
    answer["probe"]["products"] = only
    return answer


def planned_words(gvlk: str) -> list[str]:
    """What the failure message says was planned for the MAK ServerDatacenter host with kms_host KMS."""
    return [
        "Planned: install the KMS client key of Windows Server 2022 Datacenter "
        f"(partial key {gvlk[-5:]}, from catalog) replacing the mak key 3V66T",
        f"set the KMS host to {KMS} (was DNS discovery)",
        "activate (license status was licensed)",
    ]


def test_unusable_probe_is_failed_and_nothing_is_applied() -> None:
    host = make_host(spec(key_type="mak"))
    calls: list[dict[str, Any]] = []
    result = run_action(Rewritten(host, lambda op, answer: unwrap_products(answer)), {"kms_host": KMS}, calls=calls)
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert result["msg"] == "The worker's probe is not usable: probe.products is object, expected a list"
    assert [c["operation"] for c in calls] == ["probe"] and host.writes == 0


def test_worker_failure_before_any_step_keeps_the_target_and_names_the_plan() -> None:
    class CrashesOnApply:
        """Probes as the model does; the apply request fails before any step runs."""

        def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
            if module_args["operation"] == "apply":
                return {"changed": False, "failed": True, "msg": "Cannot load CIM session: RPC server unavailable"}
            return host.run_worker(module_args)

    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    result = run_action(CrashesOnApply(), {"kms_host": KMS})
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "failed" and result["failed"] is True and "unreachable" not in result
    assert result["msg"].startswith(
        "The worker failed during apply: Cannot load CIM session: RPC server unavailable. "
        "The host was read again: nothing changed. Run this task again. Planned: "
    )
    assert all(words in result["msg"] for words in planned_words(gvlk)), result["msg"]
    assert result["edition"]["id"] == "ServerDatacenter" and result["edition"]["build"] == 20348
    assert result["gvlk"] == gvlk
    assert result["changed"] is False and result["steps"] == [] and host.writes == 0


def test_worker_failure_after_the_steps_ran_reads_the_host_again_and_reports_it_converted() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    probe_error = "volume_activation.kms.kms_client_key cannot read SoftwareLicensingService (0x80041003): denied"

    def probe_fails_after_apply(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "probe":
            return answer
        return {"changed": False, "failed": True, "msg": probe_error, "steps": answer["steps"]}

    calls: list[dict[str, Any]] = []
    result = run_action(Rewritten(host, probe_fails_after_apply), {"kms_host": KMS}, calls=calls)
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert [c["operation"] for c in calls] == ["probe", "apply", "probe"]
    assert result["status"] == "converted" and result["failed"] is False
    assert result["msg"].startswith(
        f"The worker failed during apply: {probe_error}. The host was read again: it reports what was planned."
    )
    assert result["changed"] is True and host.writes > 0
    assert result["partial_product_key"] == {"before": "3V66T", "after": gvlk[-5:]}
    assert [(s["action"], s["hresult"]) for s in result["steps"]] == [
        (a, "0x00000000")
        for a in (
            "install_product_key",
            "refresh_license_status",
            "set_kms_machine",
            "activate",
            "refresh_license_status",
        )
    ]
    assert result["edition"]["id"] == "ServerDatacenter" and result["gvlk"] == gvlk


def test_unusable_probe_after_apply_reads_the_host_again() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    worker_warning = "SoftwareLicensingService answered slowly"

    def broken_probe_after_apply(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        answer["warnings"] = [worker_warning]
        return unwrap_products(answer) if operation == "apply" else answer

    calls: list[dict[str, Any]] = []
    result = run_action(Rewritten(host, broken_probe_after_apply), {"kms_host": KMS}, calls=calls)
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert [c["operation"] for c in calls] == ["probe", "apply", "probe"]
    assert result["msg"].startswith(
        "The steps ran but the worker's reply afterwards is not usable: "
        "probe.products is object, expected a list. The host was read again: it reports what was planned."
    )
    assert result["status"] == "converted" and result["changed"] is True and host.writes > 0
    assert result["edition"]["id"] == "ServerDatacenter" and result["gvlk"] == gvlk
    assert result["warnings"] == [worker_warning]


@pytest.mark.parametrize("operation", ["probe", "apply"])
def test_worker_failure_that_says_unreachable_is_reported_unreachable(operation: str) -> None:
    host = make_host(spec(key_type="mak"))
    lost = {"unreachable": True, "msg": "winrm: the connection to host1 was reset"}

    def lost_at(op: str, answer: dict[str, Any]) -> dict[str, Any]:
        return lost if op == operation else answer

    result = run_action(Rewritten(host, lost_at), {"kms_host": KMS})
    assert result["msg"].startswith(f"The worker failed during {operation}: winrm: the connection to host1 was reset")
    if operation == "apply":  # the steps ran on the host; read again, it is converted
        assert result["status"] == "converted" and result["changed"] is True and "unreachable" not in result
        assert result["edition"]["id"] == "ServerDatacenter" and result["gvlk"] == gvlk_for("ServerDatacenter", 20348)
    else:
        assert result["unreachable"] is True and result["failed"] is True and result["status"] == "failed"
        assert result["changed"] is False and result["edition"] is None and result["gvlk"] is None


@pytest.mark.parametrize("check_mode", [False, True])
def test_worker_warnings_are_passed_through(check_mode: bool) -> None:
    host = make_host(spec(key_type="mak"))
    said = "Get-CimInstance SoftwareLicensingProduct took 41 s"

    def with_warnings(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        answer["warnings"] = [said, 42, None] if operation == "probe" else ["only the probe's are kept"]
        return answer

    result = run_action(Rewritten(host, with_warnings), {"kms_host": KMS}, check_mode=check_mode)
    assert result["status"] == ("would_convert" if check_mode else "converted") and result["failed"] is False
    assert result["warnings"] == [said]


def test_description_and_channel_disagreement_is_warned_and_description_wins() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))

    def retail_channel(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "probe":
            answer["probe"]["products"][0]["ProductKeyChannel"] = "Retail"
        return answer

    result = run_action(Rewritten(host, retail_channel), {"kms_host": KMS})
    assert result["status"] == "converted" and result["key_type"] == {"before": "mak", "after": "gvlk"}
    assert result["warnings"] == [
        "Description 'Windows(R) Operating System, VOLUME_MAK channel' and ProductKeyChannel 'Retail' name "
        "different key types; using the description (mak) as slmgr does."
    ]
    assert "warnings" not in run_action(host, {"kms_host": KMS})


def test_worker_that_stops_early_without_an_error_is_failed_as_incomplete() -> None:
    class StopsAfterTwo:
        """Runs only the first two steps it is given and reports no error."""

        def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
            if module_args["operation"] == "apply":
                module_args = {**module_args, "steps": module_args["steps"][:2]}
            return host.run_worker(module_args)

    host = make_host(spec(key_type="mak"))
    result = run_action(StopsAfterTwo(), {"kms_host": KMS})
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is True
    assert result["msg"] == (
        "The worker ran ['install_product_key', 'refresh_license_status'] of the planned steps "
        "['install_product_key', 'refresh_license_status', 'set_kms_machine', 'activate', "
        "'refresh_license_status'] "
        "and reported no error; the result is incomplete."
    )
    assert [s["action"] for s in result["steps"]] == ["install_product_key", "refresh_license_status"]
    assert result["activation"]["attempted"] is False


def test_activate_success_without_a_licensed_status_is_activation_failed() -> None:
    def still_notification(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "apply":
            answer["probe"]["products"][0]["LicenseStatus"] = 5
        return answer

    host = make_host(spec(key_type="mak"))
    result = run_action(Rewritten(host, still_notification), {"kms_host": KMS})
    message = "Activate() returned success but the license status is notification."
    assert result["status"] == "activation_failed" and result["failed"] is True and result["changed"] is True
    assert result["msg"] == message and result["activation"]["message"] == message
    assert result["activation"]["attempted"] is True and result["activation"]["hresult"] == "0x00000000"
    assert result["license_status"] == {"before": "licensed", "after": "notification"}


def test_kms_port_and_lookup_domain_that_did_not_stick_are_named() -> None:
    def settings_lost(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "apply":
            answer["probe"]["service"].update(KeyManagementServicePort=0, KeyManagementServiceLookupDomain="")
        return answer

    host = make_host(spec(key_type="gvlk"))
    args = {"kms_host": KMS, "kms_port": 1700, "kms_lookup_domain": "corp.example.com", "activate": False}
    calls: list[dict[str, Any]] = []
    result = run_action(Rewritten(host, settings_lost), args, calls=calls)
    assert {"action": "set_kms_port", "port": 1700} in calls[1]["steps"]
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is True
    assert result["msg"] == (
        "The steps reported success but the host state does not match: KMS port is 1688, "
        "expected 1700; KMS lookup domain is not set, expected corp.example.com."
    )
