"""kms_client_key on Windows Server evaluation editions: the host's target editions decide, convert_evaluation
changes the edition with DISM and a restart, and every stage that fails is reported with what is known."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.volume_activation.kms.plugins.action import kms_client_key
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STATUS_GUIDE, Status
from tests.unit.utils.action_harness import gvlk_for, make_host, run_action, spec

CONVERT = {"convert_evaluation": True}
FAST = {"conversion_seconds": 0, "restart_seconds": 0.2}


def evaluation(edition_id: str = "ServerStandardEval", **extra: Any) -> dict[str, Any]:
    fields = {"key_type": "eval", "license_status": "licensed", "installation_type": "Server", "servicing": FAST}
    return spec(edition_id=edition_id, **{**fields, **extra})


def dism_calls(host: Any) -> list[tuple[str, str]]:
    return list(host.servicing_calls)


def operations(calls: list[dict[str, Any]]) -> list[str]:
    """Each worker execution: probe, or the apply's step actions."""
    return ["probe" if call["operation"] == "probe" else "+".join(s["action"] for s in call["steps"]) for call in calls]


def test_without_the_option_the_refusal_names_what_the_host_offers() -> None:
    host = make_host(evaluation())
    calls: list[dict[str, Any]] = []
    result = run_action(host, {}, calls=calls)
    assert (result["status"], result["failed"], result["changed"]) == ("evaluation_edition", True, False)
    assert "DISM lists the editions it can become: ServerStandard, ServerDatacenter." in result["msg"]
    assert f"/Set-Edition:ServerStandard /ProductKey:{gvlk_for('ServerStandard', 20348)}" in result["msg"]
    assert operations(calls) == ["probe"] and calls[0]["target_editions"] is True
    assert dism_calls(host) == [("target_editions", "ServerStandardEval")] and host.writes == 0


def test_dism_is_not_asked_on_an_edition_that_is_no_evaluation() -> None:
    host = make_host(spec())
    result = run_action(host, {"kms_host": "kms01.corp.example.com"})
    assert result["status"] == "converted"
    assert dism_calls(host) == []


def test_check_mode_shows_the_target_edition_the_key_and_the_restart() -> None:
    host = make_host(evaluation())
    result = run_action(host, CONVERT, check_mode=True, diff=True)
    key = gvlk_for("ServerStandard", 20348)
    assert (result["status"], result["changed"], result["failed"]) == ("would_convert", True, False)
    assert [step["action"] for step in result["steps"]] == [
        "set_edition",
        "reboot",
        "activate",
        "refresh_license_status",
    ]
    assert result["steps"][0] == {
        "action": "set_edition",
        "edition": "ServerStandard",
        "partial_product_key": key[-5:],
        "source": "catalog",
    }
    assert result["gvlk"] == key  # Microsoft's public key, in full
    assert "restart the host" in result["msg"] and "(within reboot_timeout, 1800 s)" in result["msg"]
    assert (result["diff"]["before"]["edition"], result["diff"]["after"]["edition"]) == (
        "ServerStandardEval",
        "ServerStandard",
    )
    assert result["diff"]["after"]["key_type"] == "gvlk"
    assert host.writes == 0 and host.boots == 0


def test_the_option_changes_the_edition_restarts_and_converts() -> None:
    host = make_host(evaluation("ServerDatacenterEval"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, CONVERT, calls=calls)
    assert (result["status"], result["changed"], result["failed"]) == ("converted", True, False), result["msg"]
    assert result["edition_change"] == {"before": "ServerDatacenterEval", "after": "ServerDatacenter"}
    assert result["key_type"] == {"before": "eval", "after": "gvlk"}
    assert result["license_status"] == {"before": "licensed", "after": "licensed"}
    assert [s["action"] for s in result["steps"]] == ["set_edition", "reboot", "activate", "refresh_license_status"]
    assert result["ansible_facts"]["kms_client"]["edition_change"] == result["edition_change"]
    done = operations(calls)
    # The probe, the change, the restart, a look until it is back, the probe of the host as it came back, its steps.
    assert done[:3] == ["probe", "set_edition", "reboot"] and done[-2:] == ["probe", "activate+refresh_license_status"]
    assert set(done[3:-2]) <= {"probe"}
    assert dism_calls(host) == [
        ("target_editions", "ServerDatacenterEval"),
        ("set_edition", "ServerDatacenter"),
    ]
    assert host.boots == 1 and host.state()["edition_id"] == "ServerDatacenter"


def test_a_server_core_evaluation_is_told_by_its_installation_type_and_offered_datacenter_core_only() -> None:
    host = make_host(evaluation(installation_type="Server Core"))
    refused = run_action(host, CONVERT)
    assert refused["status"] == "evaluation_edition"
    assert (
        "ServerStandardEvalCor" in refused["msg"] and "DISM offers ServerDatacenterCor, not Standard" in refused["msg"]
    )
    assert "ServerStandardCor" not in refused["msg"]
    converted = run_action(host, {**CONVERT, "evaluation_target": "datacenter"})
    assert converted["status"] == "converted", converted["msg"]
    assert converted["edition_change"] == {"before": "ServerStandardEvalCor", "after": "ServerDatacenterCor"}
    assert host.state()["edition_id"] == "ServerDatacenter"  # the registry, without DISM's Cor


@pytest.mark.parametrize(
    ("extra", "args", "said"),
    [
        ({"domain_joined": True, "domain_controller": True}, {}, "it is a domain controller (ProductType 2"),
        ({"edition_id": "ServerDatacenterEval"}, {"evaluation_target": "standard"}, "converts only to Datacenter"),
        ({"servicing": {**FAST, "targets": ["ServerDatacenterCor"]}}, {}, "would switch Desktop Experience"),
        ({"servicing": {**FAST, "targets": ["ServerDatacenter"]}}, {}, "DISM offers ServerDatacenter, not Standard"),
        ({"servicing": {**FAST, "targets": []}}, {}, "DISM lists no edition it can become"),
    ],
    ids=["domain-controller", "datacenter-to-standard", "core-switch", "target-not-offered", "no-target"],
)
def test_refused_whatever_the_option_says_with_the_documented_path(extra, args, said) -> None:
    host = make_host({**evaluation(), **extra})
    result = run_action(host, {**CONVERT, **args})
    assert (result["status"], result["failed"], result["changed"]) == ("evaluation_edition", True, False)
    assert said in result["msg"] and "No edition change is planned" in result["msg"]
    assert [call for call, _edition in dism_calls(host)] == ["target_editions"] and host.writes == 0
    # What to do, as the report prints it for every evaluation_edition host: setting the option is no advice to a
    # run that set it; the message's path is.
    todo = STATUS_GUIDE[Status.EVALUATION_EDITION].todo
    assert todo.startswith("follow the path the message names") and "convert_evaluation) when it is off" in todo


def test_a_licensed_evaluation_no_route_will_activate_keeps_its_edition() -> None:
    host = make_host(evaluation(kms={"dns": "kms01.corp.example.com", "reachable": False}))
    result = run_action(host, {**CONVERT, "tcp_timeout": 1})
    assert result["status"] == "kms_unreachable" and result["failed"] is True
    assert [call for call, _edition in dism_calls(host)] == ["target_editions"] and host.boots == 0


def test_a_failed_edition_change_is_reported_and_the_host_not_restarted() -> None:
    # DISM exits with 50 (ERROR_NOT_SUPPORTED): the step's HRESULT is HRESULT_FROM_WIN32(50).
    host = make_host(evaluation(faults=[{"operation": "set_edition", "hresult": 50}]))
    result = run_action(host, CONVERT)
    assert (result["status"], result["failed"], result["changed"]) == ("failed", True, False)
    assert "(DISM /Set-Edition) failed with 0x80070032" in result["msg"] and "was not restarted" in result["msg"]
    assert [s["action"] for s in result["steps"]] == ["set_edition"]
    assert host.boots == 0 and not any(name.endswith(".Reboot") for name, _args in host.cim_calls)


def test_a_failed_restart_says_the_change_is_staged() -> None:
    # Win32_OperatingSystem.Reboot() returns 1314 (ERROR_PRIVILEGE_NOT_HELD) without the shutdown privilege.
    host = make_host(evaluation(faults=[{"operation": "reboot", "hresult": 1314}]))
    result = run_action(host, CONVERT)
    assert (result["status"], result["failed"], result["changed"]) == ("failed", True, True)
    assert "is staged" in result["msg"] and "failed with 0x80070522" in result["msg"]
    assert [s["action"] for s in result["steps"]] == ["set_edition", "reboot"]
    assert host.boots == 0


class VirtualClock:
    """The action plugin's ``time``: sleeping moves the clock on at once, so a reboot_timeout passes in no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_host_that_does_not_come_back_is_reboot_pending_with_what_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    monkeypatch.setattr(kms_client_key, "time", clock)
    host = make_host(evaluation(servicing={**FAST, "comes_back": False}))
    result = run_action(host, {**CONVERT, "reboot_timeout": 10})
    assert (result["status"], result["failed"], result["changed"]) == ("reboot_pending", True, True)
    assert "has not come back within reboot_timeout (10 s)" in result["msg"]
    assert result["edition_change"] == {"before": "ServerStandardEval", "after": None}
    assert result["key_type"] == {"before": "eval", "after": None}
    assert result["steps"][-1]["action"] == "reboot" and result["steps"][-1]["hresult"] is None
    # The host was looked at until reboot_timeout had passed, and not after.
    assert clock.slept and 10 <= clock.now < 10 + kms_client_key.RESTART_POLL_DELAY


def test_options_are_checked_before_the_host_is_contacted() -> None:
    host = make_host(evaluation())
    result = run_action(host, {**CONVERT, "reboot_timeout": 5, "evaluation_target": "enterprise"})
    assert result["failed"] is True and host.worker_executions == 0
    assert "evaluation_target" in result["msg"]
