"""Decoding of WinRS command lines and of the exec-wrapper payloads of ansible-core 2.16-2.18 and 2.19."""

from __future__ import annotations

import base64
import json

import pytest

from winsim.wsman.payload import WORKER_NAME, decode_exec_payload, parse_command_line

BOOTSTRAP_2_19 = 'foreach ($in in $input) { if ([string]::Equals($in, "`0`0`0`0")) { break }; $in }'
BOOTSTRAP_2_16 = '$exec_wrapper_str = $input | Out-String\n$split_parts = $exec_wrapper_str.Split(@("`0`0`0`0"), 2)'
WORKER_SOURCE = "#!powershell\n$x = 1\n"
WORKER_SCRIPT = "ansible_collections.volume_activation.kms.plugins.modules.kms_client_key.ps1"
UTIL = "ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientEngine"
ENGINE = {"ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows.cs": "// engine"}


def encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def payload_v1(
    source: str, args: dict, actions: list[str] | None = None, csharp: dict[str, str] | None = None
) -> bytes:
    csharp = ENGINE if csharp is None else csharp
    manifest = {
        "module_entry": b64(source),
        "module_args": {"_ansible_module_name": WORKER_NAME, **args},
        "actions": actions or ["module_powershell_wrapper"],
        "environment": {},
        "csharp_utils": {name.removesuffix(".cs"): b64(text) for name, text in (csharp or {}).items()},
        "csharp_utils_module": [name.removesuffix(".cs") for name in csharp or {}],
    }
    return b"&chcp.com 65001 > $null\n\n" + b"\0\0\0\0" + json.dumps(manifest).encode()


def payload_v2(
    script_name: str,
    source: str,
    args: dict | None,
    extra_actions: tuple[str, ...] = (),
    csharp: dict[str, str] | None = None,
) -> bytes:
    csharp = ENGINE if csharp is None else csharp
    params: dict = {"Script": script_name, "Environment": {}}
    if args is not None:
        params |= {"Variables": [{"Name": "complex_args", "Value": args, "Scope": "Global"}], "ForModule": True}
        params["CSharpModules"] = list(csharp or {})
    manifest = {
        "scripts": {
            script_name: {"path": "/x", "script": b64(source)},
            **{name: {"path": "/y", "script": b64(text)} for name, text in (csharp or {}).items()},
        },
        "actions": [{"name": name, "params": {}, "secure_params": {}} for name in extra_actions]
        + [{"name": "module_wrapper.ps1", "params": params, "secure_params": {}}],
        "signed_hashlist": [],
    }
    bootstrap = {"name": "exec_wrapper", "script": "param()", "params": {}}
    return f"{json.dumps(bootstrap)}\n\0\0\0\0\n{json.dumps(manifest)}".encode()


@pytest.mark.parametrize("flag", ["-EncodedCommand", "-encodedcommand", "-enc", "-e", "-ec", "/EncodedCommand"])
def test_encoded_command_spellings_are_decoded(flag):
    line = parse_command_line("PowerShell", f"-NoProfile -NonInteractive {flag} {encode(BOOTSTRAP_2_19)}")
    assert line.script == BOOTSTRAP_2_19
    assert line.reads_payload


def test_the_2_16_bootstrap_double_encoded_by_the_connection_plugin_is_unwrapped():
    inner = (
        f"PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand {encode(BOOTSTRAP_2_16)}"
    )
    line = parse_command_line("PowerShell", f"-NoProfile -EncodedCommand {encode(inner)}")
    assert line.script == BOOTSTRAP_2_16
    assert line.reads_payload


@pytest.mark.parametrize(
    ("command", "arguments", "description"),
    [
        ("ipconfig", "/all", "the command 'ipconfig /all'"),
        ("PowerShell", f"-EncodedCommand {encode('Get-Service WinRM')}", "the PowerShell script 'Get-Service WinRM'"),
        ("PowerShell", "-EncodedCommand not-base64!", "the command 'PowerShell -EncodedCommand not-base64!'"),
        ("PowerShell", "-Command Get-Date", "the command 'PowerShell -Command Get-Date'"),
    ],
)
def test_other_command_lines_do_not_read_a_payload(command, arguments, description):
    line = parse_command_line(command, arguments)
    assert not line.reads_payload
    assert line.description() == description


def test_long_scripts_are_shortened_in_descriptions():
    line = parse_command_line("powershell.exe", f"-EncodedCommand {encode('Write-Output ' + 'x' * 200)}")
    assert len(line.description()) < 120
    assert line.description().endswith("...'")


def test_worker_in_the_2_16_shape():
    args = {
        "operation": "probe",
        "_ansible_check_mode": False,
        "_ansible_module_name": "volume_activation.kms.kms_client_key",
    }
    request = decode_exec_payload(payload_v1(WORKER_SOURCE, args))
    assert request.is_worker
    assert request.module_args == {"operation": "probe"}
    assert request.name == "volume_activation.kms.kms_client_key"


def test_worker_in_the_2_19_shape():
    name = "ansible_collections.volume_activation.kms.plugins.modules.kms_client_key.ps1"
    steps = [{"action": "refresh_license_status"}]
    request = decode_exec_payload(
        payload_v2(name, WORKER_SOURCE, {"operation": "apply", "steps": steps, "_ansible_debug": False})
    )
    assert request.is_worker
    assert request.module_args == {"operation": "apply", "steps": steps}
    assert request.description() == "the module volume_activation.kms.kms_client_key"


def test_become_is_transparent_but_async_is_not_the_worker():
    name = "ansible_collections.volume_activation.kms.plugins.modules.kms_client_key.ps1"
    assert decode_exec_payload(payload_v2(name, WORKER_SOURCE, {}, ("become_wrapper.ps1",))).is_worker
    assert decode_exec_payload(payload_v1(WORKER_SOURCE, {}, ["become_wrapper", "module_powershell_wrapper"])).is_worker
    asynchronous = decode_exec_payload(payload_v2(name, WORKER_SOURCE, {}, ("async_wrapper.ps1", "async_watchdog.ps1")))
    assert not asynchronous.is_worker
    assert asynchronous.description().endswith("asynchronously")
    legacy_async = ["async_wrapper", "async_watchdog", "module_powershell_wrapper"]
    assert not decode_exec_payload(payload_v1(WORKER_SOURCE, {}, legacy_async)).is_worker


@pytest.mark.parametrize(
    "payload",
    [
        payload_v1(WORKER_SOURCE, {}, csharp={}),
        payload_v2(WORKER_SCRIPT, WORKER_SOURCE, {}, csharp={}),
        payload_v2(WORKER_SCRIPT, WORKER_SOURCE, {}, csharp={f"{UTIL}.cs": "// the engine without its Windows side"}),
    ],
)
def test_only_a_module_carrying_the_engine_is_the_worker(payload):
    assert not decode_exec_payload(payload).is_worker


def test_the_collection_csharp_utils_of_both_shapes_are_extracted():
    csharp = {f"{UTIL}.cs": "namespace X {}", "Ansible.Basic": "// Ansible's own"}
    legacy = decode_exec_payload(payload_v1(WORKER_SOURCE, {"operation": "probe"}, csharp=csharp))
    assert legacy.csharp == {f"{UTIL}.cs": "namespace X {}"}
    current = decode_exec_payload(
        payload_v2(WORKER_SCRIPT, WORKER_SOURCE, {"operation": "probe"}, csharp={f"{UTIL}.cs": "namespace X {}"})
    )
    assert current.csharp == {f"{UTIL}.cs": "namespace X {}"}


def test_scripts_and_internal_helpers_are_described():
    script = decode_exec_payload(payload_v2("hello.ps1", "Write-Output 'hello'", None))
    assert (script.kind, script.is_worker) == ("script", False)
    assert script.description() == "the PowerShell script hello.ps1"
    legacy_script = decode_exec_payload(payload_v1("Write-Output 'hello'", {}, ["module_script_wrapper"]))
    assert legacy_script.description() == "the PowerShell script Write-Output 'hello'"
    manifest = {"scripts": {}, "actions": [{"name": "powershell_mkdtemp.ps1", "params": {}}], "signed_hashlist": []}
    internal = decode_exec_payload(b'{"name": "exec_wrapper"}\n\0\0\0\0\n' + json.dumps(manifest).encode())
    assert internal.description() == "Ansible's powershell_mkdtemp.ps1 (create a temporary directory)"


@pytest.mark.parametrize("stdin", [b"", b"no separator", b"x\0\0\0\0not json", b"x\0\0\0\0[1, 2]"])
def test_undecodable_input(stdin):
    request = decode_exec_payload(stdin)
    assert request.kind == "unknown"
    assert not request.is_worker
