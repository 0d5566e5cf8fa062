"""The kms_client_key action plugin, run as Ansible runs it, against modelled Windows hosts."""

from __future__ import annotations

import copy
import csv
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleConnectionFailure
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.volume_activation.kms.plugins.action.kms_client_key import ActionModule
from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from ansible_collections.volume_activation.kms.plugins.plugin_utils import _hresults
from winsim.licensing import WindowsHost

REFERENCE_CSV = Path(__file__).resolve().parents[3] / "unit" / "fixtures" / "windows_editions_gvlk.csv"

WORKER = "volume_activation.kms.kms_client_key"


# ------------------------------------------------------------------------------------------- helpers


def _crc32_msb_first(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF


def make_key(seed: int) -> str:
    """A well-formed Windows 8+ product key with a valid checksum that is in no public table."""
    alphabet = gvlk_catalog.KEY_ALPHABET
    payload = random.Random(seed).getrandbits(103)
    crc = _crc32_msb_first(payload.to_bytes(16, "little")) & 0x3FF
    value = payload | (crc << 103)
    position, rest = divmod(value, 24**24)
    digits = []
    for _position in range(24):
        rest, digit = divmod(rest, 24)
        digits.append(alphabet[digit])
    chars = "".join(reversed(digits))
    chars = chars[:position] + "N" + chars[position:]
    key = "-".join(chars[i : i + 5] for i in range(0, 25, 5))
    assert gvlk_catalog.is_valid_product_key(key)
    return key


def gvlk_for(edition_id: str, build: int) -> str:
    return gvlk_catalog.resolve(edition_id=edition_id, build=build).gvlk


def make_host(spec: dict[str, Any]) -> WindowsHost:
    return WindowsHost.from_spec(spec)


def executions(host: WindowsHost) -> int:
    return host.worker_executions


def run_action(
    host: Any,
    args: dict[str, Any],
    *,
    check_mode: bool = False,
    diff: bool = False,
    calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the real action plugin once; its worker executions go to ``host``."""
    task = Task()
    task.action = WORKER
    task.args = copy.deepcopy(args)
    task.check_mode = check_mode
    task.diff = diff
    connection = MagicMock()
    connection._shell.tmpdir = None
    action = ActionModule(
        task, connection, PlayContext(), loader=MagicMock(), templar=MagicMock(), shared_loader_obj=MagicMock()
    )
    action._load_name = WORKER  # set by the plugin loader in a real run
    seen = calls if calls is not None else []

    def execute_module(module_name=None, module_args=None, task_vars=None, **_: Any) -> dict[str, Any]:
        assert module_name == WORKER
        seen.append(copy.deepcopy(module_args))
        return host.run_worker(copy.deepcopy(module_args))

    action._execute_module = execute_module  # type: ignore[method-assign]
    result = action.run(task_vars={})
    json.dumps(result)  # results must be plain data
    return result


def spec(
    edition_id: str = "ServerDatacenter", build: int = 20348, key_type: str = "mak", **extra: Any
) -> dict[str, Any]:
    """A scenario host spec; caption, SKU and installation type default to what the edition reports."""
    base = {"name": "host1", "edition_id": edition_id, "build": build, "key_type": key_type}
    if edition_id == "ServerDatacenter" and build == 20348:
        base.update(os_sku=8, caption="Microsoft Windows Server 2022 Datacenter", installation_type="Server")
    base.update(extra)
    return base


KMS = "kms01.corp.example.com"


# ------------------------------------------------------------------------------------- conversion


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
        "test_tcp",
        "activate",
    ]
    assert calls[1]["steps"][0]["product_key"] == gvlk
    assert calls[1]["steps"][3] == {"action": "test_tcp", "host": KMS, "port": 1688, "timeout_ms": 3000}
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
    assert calls == [{"operation": "probe"}]
    assert second["steps"] == []


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
    assert "test_tcp" not in [s["action"] for s in calls[1]["steps"]]  # DNS discovery: no name to test


def test_kms_settings_alone_are_a_change() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host = make_host(spec(key_type="gvlk", partial_key=gvlk[-5:], kms={"machine": "old.corp.example.com"}))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"kms_host": f"{KMS}:1700", "kms_lookup_domain": "corp.example.com"}, calls=calls)
    assert result["status"] == "converted" and result["changed"] is True
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
    assert result["status"] == "converted" and result["kms"]["machine"] is None
    assert run_action(host, {"kms_discovery": "dns"})["status"] == "compliant"


def test_unlicensed_kms_client_needs_activation_only_when_asked() -> None:
    gvlk = gvlk_for("ServerDatacenter", 20348)
    host_spec = spec(key_type="gvlk", partial_key=gvlk[-5:], license_status="oob_grace", kms={"dns": KMS})
    assert run_action(make_host(host_spec), {"activate": False})["status"] == "compliant"
    calls: list[dict[str, Any]] = []
    result = run_action(make_host(host_spec), {}, calls=calls)
    assert calls[1]["steps"] == [{"action": "activate"}]
    assert result["status"] == "converted" and result["license_status"] == {"before": "oob_grace", "after": "licensed"}


def test_conversion_without_activation_leaves_license_status_to_windows() -> None:
    host = make_host(spec(key_type="oem"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"activate": False}, calls=calls)
    assert [s["action"] for s in calls[1]["steps"]] == ["install_product_key", "refresh_license_status"]
    assert result["status"] == "converted" and result["activation"]["attempted"] is False


@pytest.mark.parametrize("key_type", ["mak", "retail", "oem", "avma", "none"])
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
    assert calls == [{"operation": "probe"}]
    assert host.writes == 0 and host.worker_executions == 1
    assert result["status"] == "would_convert" and result["changed"] is True and result["failed"] is False
    assert result["steps"][0] == {
        "action": "install_product_key",
        "partial_product_key": gvlk[-5:],
        "source": "catalog",
    }
    assert [s["action"] for s in result["steps"]][2:] == ["set_kms_machine", "test_tcp", "activate"]
    assert result["diff"] == {
        "before": {
            "key_type": "mak",
            "partial_product_key": "3V66T",
            "license_status": "licensed",
            "kms_machine": None,
            "kms_port": 1688,
            "kms_lookup_domain": None,
        },
        "after": {
            "key_type": "gvlk",
            "partial_product_key": gvlk[-5:],
            "license_status": "licensed",
            "kms_machine": KMS,
            "kms_port": 1688,
            "kms_lookup_domain": None,
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


def test_kms_host_is_never_touched() -> None:
    host = make_host(spec(key_type="csvlk", partial_key="2YT43"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"convert_from": ["retail", "mak", "unknown"]}, calls=calls)
    assert result["status"] == "kms_host" and result["failed"] is True and result["changed"] is False
    assert "VOLUME_KMS_2012-R2_WIN10" in result["msg"] and "never converted" in result["msg"]
    assert len(calls) == 1


def test_evaluation_edition_gets_the_dism_command() -> None:
    host = make_host(
        spec(
            edition_id="ServerDatacenterEval",
            key_type="eval",
            os_sku=80,
            caption="Microsoft Windows Server 2022 Datacenter Evaluation",
        )
    )
    result = run_action(host, {})
    target = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "evaluation_edition" and result["failed"] is True
    assert f"DISM /online /Set-Edition:ServerDatacenter /ProductKey:{target} /AcceptEula" in result["msg"]
    assert "reboot" in result["msg"] and "domain controller" in result["msg"]
    assert executions(host) == 1


def test_evaluation_edition_without_a_conversion_target_gets_no_guessed_one_even_with_an_override() -> None:
    host = make_host(
        spec(
            edition_id="EnterpriseSEval",
            build=19044,
            key_type="eval",
            os_sku=129,
            caption="Microsoft Windows 10 Enterprise LTSC 2021 Evaluation",
            installation_type="Client",
        )
    )
    result = run_action(host, {"gvlk_overrides": {"EnterpriseSEval": make_key(4)}})
    assert result["status"] == "evaluation_edition" and result["failed"] is True and result["changed"] is False
    assert "evaluation edition EnterpriseSEval (build 19044, channel Retail:TB:Eval)" in result["msg"]
    assert "DISM /online /Set-Edition:<edition> /ProductKey:<GVLK of that edition> /AcceptEula" in result["msg"]
    assert executions(host) == 1 and host.writes == 0


def test_unsupported_edition_suggests_overrides() -> None:
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
    result = run_action(host, {})
    assert result["status"] == "unsupported_edition" and result["failed"] is True
    assert "gvlk_overrides" in result["msg"] and "Core@19045" in result["msg"]


def test_unknown_edition_names_the_exact_override_form() -> None:
    host = make_host(
        spec(edition_id="ServerFrobnicator", build=30000, os_sku=9999, caption="Microsoft Windows Server Frobnicator")
    )
    result = run_action(host, {})
    assert result["status"] == "unknown_edition" and result["failed"] is True
    assert "'ServerFrobnicator@30000': <key>" in result["msg"]


@pytest.mark.parametrize(
    "host_spec,refusal",
    [
        (spec(key_type="csvlk"), "kms_host"),
        (
            spec(
                edition_id="ServerStandardEval",
                key_type="eval",
                os_sku=79,
                caption="Microsoft Windows Server 2022 Standard Evaluation",
            ),
            "evaluation_edition",
        ),
        (
            spec(
                edition_id="Core",
                build=19045,
                os_sku=101,
                caption="Microsoft Windows 10 Home",
                installation_type="Client",
            ),
            "unsupported_edition",
        ),
        (
            spec(
                edition_id="ServerFrobnicator", build=30000, os_sku=9999, caption="Microsoft Windows Server Frobnicator"
            ),
            "unknown_edition",
        ),
    ],
)
def test_on_unsupported_skip(host_spec: dict[str, Any], refusal: str) -> None:
    result = run_action(make_host(host_spec), {"on_unsupported": "skip"})
    assert result["status"] == "skipped" and result["failed"] is False and result["changed"] is False
    assert result["skip_reason"] == refusal and refusal in result["msg"]


# ------------------------------------------------------------------------------------------ overrides


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

ACTIVATION_HRESULTS = [
    0xC004F074,
    0x8007232B,
    0xC004F038,
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


def test_unknown_hresult_is_shown_in_hex() -> None:
    host = make_host(spec(key_type="mak", faults=[{"operation": "activate", "hresult": 0xC004F0AA}]))
    result = run_action(host, {"kms_host": KMS})
    assert result["activation"]["hresult"] == "0xC004F0AA" and result["activation"]["symbol"] == "unknown"
    assert "0xC004F0AA" in result["msg"]


@pytest.mark.parametrize("code", [0x8007274C, 0x8007274D], ids=hex)
def test_unreachable_kms_host_stops_before_activation(code: int) -> None:
    host = make_host(spec(key_type="mak", faults=[{"operation": "test_tcp", "hresult": code}]))
    result = run_action(host, {"kms_host": KMS})
    assert result["status"] == "activation_failed" and result["activation"]["attempted"] is False
    assert result["activation"]["symbol"] == _hresults.lookup(code).symbol
    assert [s["action"] for s in result["steps"]][-1] == "test_tcp"
    assert result["key_type"]["after"] == "gvlk"


def test_no_kms_name_and_no_dns_record() -> None:
    result = run_action(make_host(spec(key_type="mak")), {})
    assert result["status"] == "activation_failed"
    assert (
        result["activation"]["hresult"] == "0x8007232B"
        and result["activation"]["symbol"] == "DNS_ERROR_RCODE_NAME_ERROR"
    )


def test_kms_host_that_does_not_answer_activation() -> None:
    result = run_action(make_host(spec(key_type="mak", kms={"dns": KMS, "reachable": False})), {})
    assert result["status"] == "activation_failed" and result["activation"]["hresult"] == "0xC004F074"


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
            out = self.host.run_worker({"operation": "probe"})
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
        f"test TCP {KMS}:1688",
        "activate (license status was licensed)",
    ]


def test_unusable_probe_is_failed_and_nothing_is_applied() -> None:
    host = make_host(spec(key_type="mak"))
    calls: list[dict[str, Any]] = []
    result = run_action(Rewritten(host, lambda op, answer: unwrap_products(answer)), {"kms_host": KMS}, calls=calls)
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert result["msg"] == "The worker's probe is not usable: probe.products is dict, expected a list"
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
        "The worker failed during apply: Cannot load CIM session: RPC server unavailable. Planned: "
    )
    assert all(words in result["msg"] for words in planned_words(gvlk)), result["msg"]
    assert result["edition"]["id"] == "ServerDatacenter" and result["edition"]["build"] == 20348
    assert result["gvlk"] == gvlk
    assert result["changed"] is False and result["steps"] == [] and host.writes == 0


def test_worker_failure_after_the_steps_ran_reports_them_and_the_change() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    probe_error = "volume_activation.kms.kms_client_key cannot read SoftwareLicensingService (0x80041003): denied"

    def probe_fails_after_apply(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "probe":
            return answer
        return {"changed": False, "failed": True, "msg": probe_error, "steps": answer["steps"]}

    result = run_action(Rewritten(host, probe_fails_after_apply), {"kms_host": KMS})
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "failed" and result["failed"] is True
    assert result["msg"].startswith(f"The worker failed during apply: {probe_error}. Planned: ")
    assert all(words in result["msg"] for words in planned_words(gvlk)), result["msg"]
    assert result["changed"] is True and host.writes > 0
    assert [(s["action"], s["hresult"]) for s in result["steps"]] == [
        (a, "0x00000000")
        for a in ("install_product_key", "refresh_license_status", "set_kms_machine", "test_tcp", "activate")
    ]
    assert result["edition"]["id"] == "ServerDatacenter" and result["gvlk"] == gvlk


def test_unusable_probe_after_apply_keeps_the_steps_that_ran() -> None:
    host = make_host(spec(key_type="mak", partial_key="3V66T"))
    worker_warning = "SoftwareLicensingService answered slowly"

    def broken_probe_after_apply(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        answer["warnings"] = [worker_warning]
        return unwrap_products(answer) if operation == "apply" else answer

    result = run_action(Rewritten(host, broken_probe_after_apply), {"kms_host": KMS})
    gvlk = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "failed" and result["failed"] is True
    assert result["msg"].startswith(
        "The steps ran but the worker's probe afterwards is not usable: "
        "probe.products is dict, expected a list. Planned: "
    )
    assert all(words in result["msg"] for words in planned_words(gvlk)), result["msg"]
    assert result["changed"] is True and len(result["steps"]) == 5 and host.writes > 0
    assert result["edition"]["id"] == "ServerDatacenter" and result["gvlk"] == gvlk
    assert result["warnings"] == [worker_warning]


@pytest.mark.parametrize("operation", ["probe", "apply"])
def test_worker_failure_that_says_unreachable_is_reported_unreachable(operation: str) -> None:
    host = make_host(spec(key_type="mak"))
    lost = {"unreachable": True, "msg": "winrm: the connection to host1 was reset"}

    def lost_at(op: str, answer: dict[str, Any]) -> dict[str, Any]:
        return lost if op == operation else answer

    result = run_action(Rewritten(host, lost_at), {"kms_host": KMS})
    assert result["unreachable"] is True and result["failed"] is True and result["status"] == "failed"
    assert result["msg"].startswith(f"The worker failed during {operation}: winrm: the connection to host1 was reset")
    assert result["changed"] is False
    if operation == "apply":
        assert result["edition"]["id"] == "ServerDatacenter" and result["gvlk"] == gvlk_for("ServerDatacenter", 20348)
        assert "Planned: install the KMS client key" in result["msg"]
    else:
        assert result["edition"] is None and result["gvlk"] is None


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
        "['install_product_key', 'refresh_license_status', 'set_kms_machine', 'test_tcp', 'activate'] "
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

INVALID_OPTIONS = [
    ({"kms_host": "kms_01!.corp"}, ["kms_host", "kms_01!.corp"]),
    ({"kms_host": "10.0.0.999"}, ["kms_host", "10.0.0.999"]),
    ({"kms_host": "fd00::5"}, ["kms_host", "brackets"]),
    ({"kms_host": "[fd00::zz]:1688"}, ["kms_host", "IPv6"]),
    ({"kms_host": "kms01:0"}, ["kms_host", "1 to 65535"]),
    ({"kms_host": "kms01:70000"}, ["kms_host", "70000"]),
    ({"kms_host": "kms01:abc"}, ["kms_host", "abc"]),
    ({"kms_host": " "}, ["kms_host", "empty"]),
    ({"kms_port": 0}, ["kms_port", "0", "1 to 65535"]),
    ({"kms_port": 65536}, ["kms_port", "65536"]),
    ({"kms_port": "high"}, ["kms_port", "int"]),
    ({"kms_host": "kms01:1700", "kms_port": 1688}, ["kms_host", "kms_port", "1700", "1688"]),
    ({"kms_discovery": "auto"}, ["kms_discovery", "auto", "dns", "unchanged"]),
    ({"kms_discovery": "dns", "kms_host": KMS}, ["kms_discovery", "kms_host"]),
    ({"kms_discovery": "dns", "kms_port": 1700}, ["kms_discovery", "kms_port"]),
    ({"kms_lookup_domain": "corp..example.com"}, ["kms_lookup_domain", "corp..example.com"]),
    ({"kms_lookup_domain": "not a domain"}, ["kms_lookup_domain", "not a domain"]),
    ({"activate": "perhaps"}, ["activate", "perhaps"]),
    ({"convert_from": ["csvlk"]}, ["convert_from", "csvlk", "never replaced"]),
    ({"convert_from": ["eval"]}, ["convert_from", "eval", "DISM"]),
    ({"convert_from": ["gvlk"]}, ["convert_from", "gvlk"]),
    ({"convert_from": ["floppy"]}, ["convert_from", "floppy", "retail, oem, mak, avma, none, unknown"]),
    ({"gvlk_overrides": {"Server Standard": "x"}}, ["gvlk_overrides", "Server Standard", "EditionID@build"]),
    ({"gvlk_overrides": {"Core": "not-a-key"}}, ["gvlk_overrides['Core']", "not a valid product key"]),
    ({"gvlk_overrides": ["Core"]}, ["gvlk_overrides", "dict"]),
    ({"on_unsupported": "ignore"}, ["on_unsupported", "ignore", "fail", "skip"]),
    ({"tcp_timeout": -1}, ["tcp_timeout", "-1", "120"]),
    ({"tcp_timeout": 121}, ["tcp_timeout", "121"]),
    ({"kms_hots": KMS}, ["kms_hots"]),
]


@pytest.mark.parametrize("args,words", INVALID_OPTIONS, ids=[json.dumps(a) for a, _words in INVALID_OPTIONS])
def test_invalid_option_fails_before_the_host_is_contacted(args: dict[str, Any], words: list[str]) -> None:
    host = make_host(spec())
    calls: list[dict[str, Any]] = []
    result = run_action(host, args, calls=calls, check_mode=True)
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert calls == [] and executions(host) == 0
    for word in words:
        assert word in result["msg"], (word, result["msg"])


@pytest.mark.parametrize(
    "kms_host,machine,port",
    [
        ("kms01.corp.example.com", "kms01.corp.example.com", None),
        ("kms01.corp.example.com.:1700", "kms01.corp.example.com", 1700),
        ("KMS01", "KMS01", None),
        ("10.0.0.5:1688", "10.0.0.5", 1688),
        ("[fd00::5]", "[fd00::5]", None),
        ("[fd00::5]:1700", "[fd00::5]", 1700),
    ],
)
def test_kms_host_forms(kms_host: str, machine: str, port: int | None) -> None:
    calls: list[dict[str, Any]] = []
    run_action(make_host(spec(key_type="retail")), {"kms_host": kms_host}, calls=calls)
    steps = calls[1]["steps"]
    assert {"action": "set_kms_machine", "machine": machine} in steps
    assert ({"action": "set_kms_port", "port": port} in steps) == (port not in (None, 1688))
    tcp = next(s for s in steps if s["action"] == "test_tcp")
    assert tcp["host"] == machine.strip("[]") and tcp["port"] == (port or 1688)


def test_tcp_timeout_zero_skips_the_tcp_test() -> None:
    calls: list[dict[str, Any]] = []
    run_action(make_host(spec(key_type="retail")), {"kms_host": KMS, "tcp_timeout": 0}, calls=calls)
    assert "test_tcp" not in [s["action"] for s in calls[1]["steps"]]


# --------------------------------------------------------------------------- editions and key types


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


REFUSED_EDITIONS = [
    ("Core", 19045, 101, "Microsoft Windows 10 Home", "oem", "unsupported_edition"),
    ("Core", 26100, 101, "Microsoft Windows 11 Home", "oem", "unsupported_edition"),
    ("ServerRdsh", 22631, 175, "Microsoft Windows 11 Enterprise multi-session", "retail", "unsupported_edition"),
    ("ServerAzureCor", 20348, 168, "Microsoft Windows Server 2022 Azure Core", "retail", "unsupported_edition"),
    (
        "ServerDatacenterEval",
        20348,
        80,
        "Microsoft Windows Server 2022 Datacenter Evaluation",
        "eval",
        "evaluation_edition",
    ),
    (
        "ServerStandardEval",
        17763,
        79,
        "Microsoft Windows Server 2019 Standard Evaluation",
        "eval",
        "evaluation_edition",
    ),
    ("EnterpriseEval", 19045, 72, "Microsoft Windows 10 Enterprise Evaluation", "eval", "evaluation_edition"),
]


@pytest.mark.parametrize(
    "edition_id,build,os_sku,caption,key_type,status",
    REFUSED_EDITIONS,
    ids=[f"{r[0]}@{r[1]}" for r in REFUSED_EDITIONS],
)
def test_editions_without_a_key_are_refused(
    edition_id: str, build: int, os_sku: int, caption: str, key_type: str, status: str
) -> None:
    server = edition_id.startswith("Server")
    host = make_host(
        spec(
            edition_id,
            build,
            key_type,
            os_sku=os_sku,
            caption=caption,
            installation_type="Server" if server else "Client",
        )
    )
    result = run_action(host, {})
    assert result["status"] == status and result["failed"] is True and executions(host) == 1, result["msg"]
    assert edition_id in result["msg"]


@pytest.mark.parametrize(
    "key_type,expected",
    [
        ("gvlk", "compliant"),
        ("mak", "would_convert"),
        ("retail", "would_convert"),
        ("oem", "would_convert"),
        ("avma", "would_convert"),
        ("none", "would_convert"),
        ("csvlk", "kms_host"),
    ],
)
def test_hosts_of_every_key_type(key_type: str, expected: str) -> None:
    extra = {"partial_key": gvlk_for("ServerDatacenter", 20348)[-5:]} if key_type == "gvlk" else {}
    result = run_action(make_host(spec(key_type=key_type, **extra)), {}, check_mode=True)
    assert result["status"] == expected and result["key_type"]["before"] == key_type
    assert result["ansible_facts"]["kms_client"]["key_type"]["before"] == key_type
