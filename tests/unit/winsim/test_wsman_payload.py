"""Decoding of WinRS command lines and of the exec-wrapper payloads of ansible-core 2.16-2.18 and 2.19."""

from __future__ import annotations

import base64
import json

import pytest

from winsim.wsman.payload import WORKER_NAME, decode_exec_payload, parse_command_line

BOOTSTRAP_2_19 = 'foreach ($in in $input) { if ([string]::Equals($in, "`0`0`0`0")) { break }; $in }'
BOOTSTRAP_2_16 = '$exec_wrapper_str = $input | Out-String\n$split_parts = $exec_wrapper_str.Split(@("`0`0`0`0"), 2)'
WORKER_SOURCE = f"#!powershell\nSet-StrictMode -Version 2.0\n$WorkerName = '{WORKER_NAME}'\n$x = 1\n"


def encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def payload_v1(source: str, args: dict, actions: list[str] | None = None) -> bytes:
    manifest = {
        "module_entry": b64(source),
        "module_args": args,
        "actions": actions or ["module_powershell_wrapper"],
        "environment": {},
    }
    return b"&chcp.com 65001 > $null\n\n" + b"\0\0\0\0" + json.dumps(manifest).encode()


def payload_v2(script_name: str, source: str, args: dict | None, extra_actions: tuple[str, ...] = ()) -> bytes:
    params: dict = {"Script": script_name, "Environment": {}}
    if args is not None:
        params |= {"Variables": [{"Name": "complex_args", "Value": args, "Scope": "Global"}], "ForModule": True}
    manifest = {
        "scripts": {script_name: {"path": "/x", "script": b64(source)}},
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
    "source",
    [
        f"# $WorkerName = '{WORKER_NAME}'\n",  # a comment
        f"$Name = '{WORKER_NAME}'\n",  # another variable
        "$WorkerName = 'volume_activation.kms.other'\n",  # another worker
        f"Write-Output \"$WorkerName = '{WORKER_NAME}'\"\n",  # inside a string
    ],
)
def test_only_the_statement_identifies_the_worker(source):
    assert not decode_exec_payload(payload_v1(source, {"_ansible_module_name": "x.y.z"})).is_worker
    assert not decode_exec_payload(payload_v2("x.ps1", source, {})).is_worker


@pytest.mark.parametrize("statement", [f'$workername="{WORKER_NAME}"', f"  $WorkerName = '{WORKER_NAME}';"])
def test_statement_spellings_powershell_accepts(statement):
    assert decode_exec_payload(payload_v1(statement + "\n", {})).is_worker


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
