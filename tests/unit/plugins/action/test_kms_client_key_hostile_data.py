"""kms_client_key: hostile probe and apply data, KMS hosts behind bad data, several primary products, lost replies."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from ansible.errors import AnsibleConnectionFailure

try:  # what ansible-core raises in a task whose timeout expires
    from ansible._internal._errors._task_timeout import TaskTimeoutError  # ansible-core 2.19
except ImportError:  # ansible-core 2.16 to 2.18
    from ansible.executor.task_executor import TaskTimeoutError
from unit.utils.action_harness import KMS, gvlk_for, make_host, make_key, run_action, spec

from ansible_collections.volume_activation.kms.plugins.action import kms_client_key
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import host_row
from winsim.licensing import WindowsHost

Rewrite = Callable[[str, dict[str, Any]], dict[str, Any]]


class Rewritten:
    """A modelled host whose worker answers pass through ``rewrite(operation, answer)``."""

    def __init__(self, host: WindowsHost, rewrite: Rewrite) -> None:
        self.host, self.rewrite = host, rewrite

    def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
        return self.rewrite(module_args["operation"], self.host.run_worker(module_args))


def probes(change: Callable[[dict[str, Any]], None]) -> Rewrite:
    """Apply ``change`` to the probe of every answer."""

    def rewrite(_operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if isinstance(answer.get("probe"), dict):
            change(answer["probe"])
        return answer

    return rewrite


def run(
    host: WindowsHost, rewrite: Rewrite, *, check_mode: bool = False, diff: bool = False, **args: Any
) -> tuple[dict[str, Any], list[str]]:
    calls: list[dict[str, Any]] = []
    result = run_action(
        Rewritten(host, rewrite), {"kms_host": KMS, **args}, check_mode=check_mode, diff=diff, calls=calls
    )
    return result, [c["operation"] for c in calls]


def _row(probe: dict[str, Any]) -> dict[str, Any]:
    return probe["products"][0]


# ------------------------------------------------------------------------- KMS hosts behind bad data

KMS_HOST_DATA: dict[str, Callable[[dict[str, Any]], None]] = {
    "products missing": lambda p: p.pop("products"),
    "products null": lambda p: p.update(products=None),
    "ApplicationID null": lambda p: _row(p).update(ApplicationID=None),
    "LicenseIsAddon 'False'": lambda p: _row(p).update(LicenseIsAddon="False"),
    "LicenseIsAddon 0": lambda p: _row(p).update(LicenseIsAddon=0),
    "row not an object": lambda p: p.update(products=["VOLUME_KMS"]),
    "IsKeyManagementServiceMachine missing": lambda p: p["service"].pop("IsKeyManagementServiceMachine"),
    "IsKeyManagementServiceMachine null": lambda p: p["service"].update(IsKeyManagementServiceMachine=None),
}


@pytest.mark.parametrize("change", KMS_HOST_DATA.values(), ids=KMS_HOST_DATA.keys())
def test_kms_host_with_unusable_licensing_data_is_refused_and_never_applied(
    change: Callable[[dict[str, Any]], None],
) -> None:
    host = make_host(spec(key_type="csvlk"))
    result, operations = run(host, probes(change))
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("The worker's probe is not usable: probe."), result["msg"]
    assert operations == ["probe"] and host.writes == 0 and host.state()["key_type"] == "csvlk"


def _looks_like_mak(probe: dict[str, Any]) -> None:
    _row(probe).update(Description="Windows(R) Operating System, VOLUME_MAK channel", ProductKeyChannel="Volume:MAK")


@pytest.mark.parametrize(
    "service",
    [
        {},  # the simulator's KMS host: flag and counters
        {"KeyManagementServiceCurrentCount": 4294967295, "KeyManagementServiceTotalRequests": 0},  # flag only
        {"IsKeyManagementServiceMachine": 0, "KeyManagementServiceTotalRequests": 3},  # counters only
        {"IsKeyManagementServiceMachine": 0, "KeyManagementServiceCurrentCount": 7},
    ],
)
def test_kms_host_is_recognised_from_the_service_when_the_product_does_not_say_so(service: dict[str, Any]) -> None:
    host = make_host(spec(key_type="csvlk"))

    def change(probe: dict[str, Any]) -> None:
        _looks_like_mak(probe)
        probe["service"].update(service)

    result, operations = run(host, probes(change))
    assert result["status"] == "is_kms_host" and result["failed"] is True and result["changed"] is False
    assert "SoftwareLicensingService reports the KMS host service" in result["msg"]
    assert operations == ["probe"] and host.writes == 0


def test_kms_host_refusal_names_both_signals() -> None:
    result, _ops = run(make_host(spec(key_type="csvlk")), probes(lambda p: None))
    assert result["status"] == "is_kms_host"
    assert "KMS host key (CSVLK" in result["msg"] and "IsKeyManagementServiceMachine 1" in result["msg"]
    assert "25 active KMS clients" in result["msg"]


def test_a_kms_client_with_the_not_a_host_counter_is_converted() -> None:
    """KeyManagementServiceCurrentCount -1 (as uint32 or signed) means "not a KMS host"."""
    host = make_host(spec(key_type="mak"))
    result, _ops = run(host, probes(lambda p: p["service"].update(KeyManagementServiceCurrentCount=-1)))
    assert result["status"] == "converted"


# --------------------------------------------------------------------------- several / no primary products


def test_several_primary_products_are_refused_naming_both() -> None:
    host = make_host(spec(key_type="gvlk"))

    def two(probe: dict[str, Any]) -> None:
        mak = dict(_row(probe), ID="other", PartialProductKey="3V66T", ProductKeyChannel="Volume:MAK")
        mak["Description"] = "Windows(R) Operating System, VOLUME_MAK channel"
        probe["products"].append(mak)

    result, operations = run(host, probes(two), activate=False)
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert "2 keyed Windows products that are not add-ons" in result["msg"]
    assert "VOLUME_KMSCLIENT channel' (partial key " in result["msg"] and "(partial key 3V66T)" in result["msg"]
    assert operations == ["probe"] and host.writes == 0


def test_keyed_add_ons_only_is_no_windows_key_with_a_warning() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    result, _ops = run(host, probes(lambda p: _row(p).update(LicenseIsAddon=True)), check_mode=True)
    assert result["key_type"]["before"] == "none" and result["partial_product_key"]["before"] is None
    assert any("keyed add-ons only" in w and "(partial key 3V66T)" in w for w in result["warnings"])


# ---------------------------------------------------------------------------------- numbers and types

BAD_NUMBERS = {
    "Infinity": math.inf,
    "NaN": math.nan,
    "true": True,
    "overflow": 2**64,
    "negative": -5,
    "fraction": 1.5,
    "text": "1e5",
    "list": [1],
}


@pytest.mark.parametrize("value", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
@pytest.mark.parametrize(
    "where",
    [
        "probe.products[0].LicenseStatus",
        "probe.products[0].GracePeriodRemaining",
        "probe.service.KeyManagementServicePort",
        "probe.service.KeyManagementServiceTotalRequests",
        "probe.os.OperatingSystemSKU",
        "probe.registry.UBR",
    ],
)
def test_unusable_number_is_failed_naming_the_field(value: Any, where: str) -> None:
    host = make_host(spec(key_type="mak"))
    _probe, section, field = where.split(".")

    def change(probe: dict[str, Any]) -> None:
        (_row(probe) if section.startswith("products") else probe[section])[field] = value

    result, operations = run(host, probes(change))
    assert result["status"] == "failed" and result["msg"].startswith(f"The worker's probe is not usable: {where}")
    assert operations == ["probe"] and host.writes == 0


@pytest.mark.parametrize("steps", ["install_product_key", {"action": "activate"}, [["activate"]], [{"action": 5}]])
def test_malformed_step_results_are_failed_naming_the_field(steps: Any) -> None:
    host = make_host(spec(key_type="mak"))

    def change(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "apply":
            answer["steps"] = steps
        return answer

    result, operations = run(host, change)
    assert result["msg"].startswith("The steps ran but the worker's reply afterwards is not usable: apply.steps")
    # the host is read again and reported as it is: the steps did run
    assert operations == ["probe", "apply", "probe"]
    assert result["status"] == "converted" and result["changed"] is True


@pytest.mark.parametrize("hresult", [math.inf, "0xZZ", True, 2**40])
def test_unusable_hresult_is_failed_naming_the_field(hresult: Any) -> None:
    host = make_host(spec(key_type="mak"))

    def change(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "apply":
            answer["steps"][0]["hresult"] = hresult
        return answer

    result, operations = run(host, change)
    assert "apply.steps[0].hresult" in result["msg"] and operations == ["probe", "apply", "probe"]
    assert result["status"] == "converted" and result["changed"] is True


# ------------------------------------------------------------------------------ keys and long strings

SECRET = make_key(4242)


def test_a_whole_key_as_partial_product_key_is_refused_and_never_shown() -> None:
    host = make_host(spec(key_type="mak"))
    result, operations = run(host, probes(lambda p: _row(p).update(PartialProductKey=SECRET)))
    assert result["status"] == "failed" and "probe.products[0].PartialProductKey" in result["msg"]
    assert SECRET not in json.dumps(result) and operations == ["probe"]


@pytest.mark.parametrize(
    "place",
    [
        lambda p, text: p["os"].update(Caption=text),
        lambda p, text: _row(p).update(Description=f"Windows(R) Operating System, VOLUME_MAK channel {text}"),
        lambda p, text: p["service"].update(KeyManagementServiceMachine=text),
        lambda p, text: p["registry"].update(EditionID=text),
    ],
    ids=["caption", "description", "kms machine", "edition id"],
)
def test_keys_in_host_text_are_masked_everywhere(place: Callable[[dict[str, Any], str], None]) -> None:
    host = make_host(spec(key_type="mak"))
    result, _ops = run(host, probes(lambda p: place(p, f"key {SECRET.lower()}")), check_mode=True, diff=True)
    shown = json.dumps(result)
    assert SECRET not in shown.upper() and SECRET.lower() not in shown


def test_public_gvlk_in_host_text_is_kept() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host = make_host(spec(key_type="mak"))
    result, _ops = run(host, probes(lambda p: p["os"].update(Caption=f"Datacenter {gvlk}")), check_mode=True)
    assert result["edition"]["caption"].endswith(gvlk)


def test_worker_messages_are_masked() -> None:
    host = make_host(spec(key_type="mak"))

    def change(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "apply":
            return {"failed": True, "msg": f"InstallProductKey({SECRET}) failed", "steps": []}
        answer["warnings"] = [f"saw {SECRET}"]
        return answer

    result, _ops = run(host, change)
    assert SECRET not in json.dumps(result) and SECRET[-5:] in result["msg"]


def test_huge_caption_is_bounded_with_a_marker() -> None:
    host = make_host(spec(key_type="mak"))
    result, _ops = run(host, probes(lambda p: p["os"].update(Caption="Windows " + "x" * 1_000_000)), check_mode=True)
    caption = result["edition"]["caption"]
    assert len(caption) == 1024 and caption.endswith("…[truncated from 1000008 characters]")
    assert len(json.dumps(result)) < 20_000


@pytest.mark.parametrize(
    "control", ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\x85", "\u202e", "\u2066"], ids=lambda c: f"U+{ord(c):04X}"
)
def test_control_and_bidirectional_override_characters_are_blanked(control: str) -> None:
    host = make_host(spec(key_type="mak"))
    caption = f"Windows Server 2022 {control}Datacenter"
    result, _ops = run(host, probes(lambda p: p["os"].update(Caption=caption)), check_mode=True)
    assert result["edition"]["caption"] == "Windows Server 2022  Datacenter"


def test_non_ascii_host_text_is_kept() -> None:
    host = make_host(spec(key_type="mak"))
    result, _ops = run(host, probes(lambda p: p["os"].update(Caption="Windows Server 2022 Datacenter — Ünïcode")))
    assert result["edition"]["caption"] == "Windows Server 2022 Datacenter — Ünïcode"


# ------------------------------------------------------------------------------------- lost apply replies


class CutAfter:
    """Runs ``keep`` of the planned steps, then the connection drops; ``reprobe`` False drops the re-read too."""

    def __init__(self, host: WindowsHost, keep: int | None, reprobe: bool = True) -> None:
        self.host, self.keep, self.reprobe, self.operations = host, keep, reprobe, []

    def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
        self.operations.append(module_args["operation"])
        if module_args["operation"] == "apply":
            self.host.run_worker({**module_args, "steps": module_args["steps"][: self.keep]})
            raise AnsibleConnectionFailure("winrm: connection reset by peer")
        if len(self.operations) > 1 and not self.reprobe:
            raise AnsibleConnectionFailure("winrm: connection refused")
        return self.host.run_worker(module_args)


def test_cut_after_a_complete_apply_is_read_again_and_converted() -> None:
    host = make_host(spec(key_type="mak"))
    worker = CutAfter(host, None)
    result = run_action(worker, {"kms_host": KMS})
    assert worker.operations == ["probe", "apply", "probe"]
    assert result["status"] == "converted" and result["changed"] is True and result["failed"] is False
    assert result["license_status"]["after"] == "licensed"


def test_cut_after_the_key_is_installed_reports_key_installed_not_activated() -> None:
    host = make_host(spec(key_type="mak"))
    result = run_action(CutAfter(host, 2), {"kms_host": KMS})
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "activation_failed" and result["changed"] is True and result["failed"] is True
    assert f"the KMS client key (partial key {gvlk[-5:]}) is installed and the host is not activated" in result["msg"]
    assert "Run this task again" in result["msg"]
    assert result["partial_product_key"]["after"] == gvlk[-5:]


def test_cut_before_any_step_reports_nothing_changed() -> None:
    host = make_host(spec(key_type="mak"))
    result = run_action(CutAfter(host, 0), {"kms_host": KMS})
    assert result["status"] == "failed" and result["changed"] is False and "nothing changed" in result["msg"]


def test_cut_with_the_host_gone_is_state_unknown_and_changed() -> None:
    host = make_host(spec(key_type="mak"))
    result = run_action(CutAfter(host, 2, reprobe=False), {"kms_host": KMS})
    assert result["status"] == "failed" and result["failed"] is True
    assert result["changed"] is True and "the state is unknown" in result["msg"]


@pytest.mark.parametrize("step", ["refresh_license_status", "set_kms_machine"])
def test_failure_after_the_key_is_installed_says_so_and_what_to_do(step: str) -> None:
    host = make_host(spec(key_type="mak", faults=[{"operation": step, "hresult": 0x80070005}]))
    result = run_action(host, {"kms_host": KMS})
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "failed" and result["changed"] is True
    assert (
        f"The KMS client key (partial key {gvlk[-5:]}) is installed and the host is no longer activated"
        in (result["msg"])
    )
    assert "run this task again" in result["msg"]


class TimedOut:
    """The task timeout ends the task during ``operation``: after the host ran it (an apply whose reply is held), or
    before (a probe that hangs)."""

    def __init__(self, host: WindowsHost, operation: str) -> None:
        self.host, self.operation, self.operations = host, operation, []

    def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
        self.operations.append(module_args["operation"])
        if module_args["operation"] == self.operation:
            if self.operation == "apply":
                self.host.run_worker(module_args)
            raise TaskTimeoutError(TASK_TIMEOUT)
        return self.host.run_worker(module_args)


TASK_TIMEOUT = 15


def test_a_timeout_after_the_apply_was_sent_is_changed_with_the_state_before() -> None:
    """docs/reliability.md: changed is never false when the state is unknown; the probe's reading is kept."""
    host = make_host(spec(key_type="mak"))
    before = host.state()
    worker = TimedOut(host, "apply")
    result = run_action(worker, {"kms_host": KMS}, timeout=TASK_TIMEOUT)
    assert worker.operations == ["probe", "apply"]
    assert result["status"] == "timed_out" and result["failed"] is True and result["changed"] is True
    assert result["key_type"] == {"before": "mak", "after": None}
    assert result["partial_product_key"] == {"before": before["partial_product_key"], "after": None}
    assert result["license_status"] == {"before": "licensed", "after": None}
    assert f"task timeout ({TASK_TIMEOUT} s)" in result["msg"] and "what the host holds now is unknown" in result["msg"]
    row = host_row("host1", result)
    assert (row["status"], row["changed"], row["key_type"]["before"]) == ("timed_out", True, "mak")
    assert row["partial_product_key"]["before"] == before["partial_product_key"]
    fact = result["ansible_facts"]["kms_client"]
    assert (fact["status"], fact["changed"], fact["key_type"]["before"]) == ("timed_out", True, "mak")


def test_a_timeout_before_the_apply_is_left_to_ansible() -> None:
    """Nothing was sent that writes: Ansible's own timed-out result (changed false) says it."""
    worker = TimedOut(make_host(spec(key_type="mak")), "probe")
    with pytest.raises(TaskTimeoutError):
        run_action(worker, {"kms_host": KMS}, timeout=TASK_TIMEOUT)
    assert worker.operations == ["probe"]


# ------------------------------------------------------------------------------------ transport retries


class Flaky:
    """Raises a transport error for the first ``failures`` worker executions of ``operation``."""

    def __init__(self, host: WindowsHost, operation: str, failures: int, error: Exception | None = None) -> None:
        self.host, self.operation, self.failures, self.operations = host, operation, failures, []
        self.error = error or AnsibleConnectionFailure("winrm: HTTP 500 Internal Server Error")

    def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
        self.operations.append(module_args["operation"])
        if module_args["operation"] == self.operation and self.failures:
            self.failures -= 1
            raise self.error
        return self.host.run_worker(module_args)


def test_a_transient_probe_error_is_retried() -> None:
    worker = Flaky(make_host(spec(key_type="mak")), "probe", kms_client_key.PROBE_ATTEMPTS - 1)
    result = run_action(worker, {"kms_host": KMS})
    assert result["status"] == "converted"
    assert worker.operations == ["probe"] * kms_client_key.PROBE_ATTEMPTS + ["apply"]


def test_probe_retries_are_bounded_and_the_last_error_propagates() -> None:
    worker = Flaky(make_host(spec(key_type="mak")), "probe", 99)
    with pytest.raises(AnsibleConnectionFailure):
        run_action(worker, {"kms_host": KMS})
    assert worker.operations == ["probe"] * kms_client_key.PROBE_ATTEMPTS


def test_a_connection_closed_on_every_probe_is_a_connection_failure() -> None:
    """pywinrm raises requests' ConnectionError (an OSError) when the host closes the connection; after the
    retries it reaches Ansible as a connection failure (unreachable), not as a failed task."""
    closed = ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed connection'))")
    worker = Flaky(make_host(spec(key_type="mak")), "probe", 99, closed)
    with pytest.raises(AnsibleConnectionFailure, match="Connection aborted") as raised:
        run_action(worker, {"kms_host": KMS})
    assert raised.value.__cause__ is closed and worker.operations == ["probe"] * kms_client_key.PROBE_ATTEMPTS


def test_apply_is_never_sent_again() -> None:
    host = make_host(spec(key_type="mak"))
    worker = Flaky(host, "apply", 99)
    result = run_action(worker, {"kms_host": KMS})
    assert worker.operations == ["probe", "apply", "probe"] and host.writes == 0
    assert result["status"] == "failed" and result["changed"] is False and "nothing changed" in result["msg"]
