"""pywinrm's Protocol, as Ansible's winrm connection plugin uses it, against the loopback endpoint."""

from __future__ import annotations

import base64
import json
import pathlib
import threading
import typing as t

import pytest
import requests
import winrm
import xmltodict
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WinRMTransportError, WSManFaultError

from winsim.wsman import WORKER_NAME, TransportFault, WinRMEndpoint, transport_faults

USER, PASSWORD = "ansible", "S1mulated!"
WORKER_SOURCE = "#!powershell\n$x = 1\n"
BOOTSTRAP = 'foreach ($in in $input) { if ([string]::Equals($in, "`0`0`0`0")) { break }; $in }'


BASELINE_MODULE = pathlib.Path(__file__).parents[3] / "tools" / "winsim" / "wsman" / "modules" / "winsim_baseline.ps1"


def worker_payload(args: dict[str, t.Any], source: str = WORKER_SOURCE) -> bytes:
    """An ansible-core 2.19 style payload running the worker (or the module ``source``) with ``args``."""
    name = "ansible_collections.volume_activation.kms.plugins.modules.kms_client_key.ps1"
    engine = "ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows.cs"
    utils = [engine] if source == WORKER_SOURCE else []
    manifest = {
        "scripts": {
            name: {"path": "/x", "script": base64.b64encode(source.encode()).decode()},
            engine: {"path": "/y", "script": base64.b64encode(b"// the engine").decode()},
        },
        "actions": [
            {
                "name": "module_wrapper.ps1",
                "params": {
                    "Script": name,
                    "ForModule": True,
                    "Variables": [{"Name": "complex_args", "Value": args}],
                    "CSharpModules": utils,
                },
            }
        ],
    }
    return b'{"name": "exec_wrapper", "script": "", "params": {}}\n\0\0\0\0\n' + json.dumps(manifest).encode()


def bootstrap_args() -> list[str]:
    encoded = base64.b64encode(BOOTSTRAP.encode("utf-16-le")).decode()
    return ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted", "-EncodedCommand", encoded]


class Recorder:
    def __init__(self, answer: t.Any = None, error: Exception | None = None) -> None:
        self.answer = {"changed": False, "probe": {}} if answer is None else answer
        self.error = error
        self.calls: list[dict[str, t.Any]] = []

    def __call__(self, module_args: dict[str, t.Any], csharp: dict[str, str]) -> t.Any:
        del csharp
        self.calls.append(module_args)
        if self.error:
            raise self.error
        return self.answer


@pytest.fixture
def endpoint() -> t.Iterator[WinRMEndpoint]:
    ep = WinRMEndpoint(username=USER, password=PASSWORD)
    yield ep
    ep.stop()


def protocol(url: str, password: str = PASSWORD, **kwargs: t.Any) -> winrm.Protocol:
    return winrm.Protocol(
        url, transport="basic", username=USER, password=password, server_cert_validation="ignore", **kwargs
    )


def run_worker(p: winrm.Protocol, payload: bytes, chunk: int = 1 << 20) -> tuple[bytes, bytes, int]:
    shell = p.open_shell(codepage=65001)
    command = p.run_command(shell, "PowerShell", bootstrap_args(), console_mode_stdin=False)
    for start in range(0, len(payload), chunk):
        p.send_command_input(shell, command, payload[start : start + chunk], end=start + chunk >= len(payload))
    output = p.get_command_output(shell, command)
    p.cleanup_command(shell, command)
    p.close_shell(shell)
    return output


def test_worker_round_trip_with_stdin_in_chunks(endpoint):
    handler = Recorder({"changed": False, "probe": {"os": {"Caption": "Windows"}}})
    binding = endpoint.add_host("srv01", handler)
    endpoint.start()
    steps = [{"action": "refresh_license_status"}, {"action": "set_kms_port", "port": 1688}]

    payload = worker_payload({"operation": "apply", "steps": steps})
    stdout, stderr, rc = run_worker(protocol(binding.url), payload, 100)

    assert handler.calls == [{"operation": "apply", "steps": steps}]
    assert json.loads(stdout) == handler.answer
    assert (stderr, rc) == (b"", 0)
    stats = endpoint.stats("srv01")
    assert stats["requests"] > 3
    assert stats | {"requests": 0} == {
        "requests": 0,
        "shells": 1,
        "winrs_commands": 1,
        "sends": -(-len(payload) // 100),
        "worker_executions": 1,
        "rejected": 0,
        "http_500": 0,
        "delayed": 0,
        "reply_hold": 0,
        "reply_cut": 0,
        "while_down": 0,
    }


def test_failed_result_exits_1_and_handler_exceptions_become_module_failures(endpoint):
    failing = Recorder({"changed": False, "failed": True, "msg": "cannot read Win32_OperatingSystem"})
    crashing = Recorder(error=RuntimeError("model broke"))
    urls = [endpoint.add_host("a", failing).url, endpoint.add_host("b", crashing).url]
    endpoint.start()

    stdout, _stderr, rc = run_worker(protocol(urls[0]), worker_payload({"operation": "probe"}))
    assert (json.loads(stdout), rc) == (failing.answer, 1)
    stdout, _stderr, rc = run_worker(protocol(urls[1]), worker_payload({"operation": "probe"}))
    assert rc == 1
    assert json.loads(stdout)["failed"] is True
    assert "model broke" in json.loads(stdout)["msg"]


def test_large_output_spans_several_receives(endpoint):
    big = {"changed": False, "blob": "x" * 300_000}
    binding = endpoint.add_host("srv01", Recorder(big))
    endpoint.start()
    p = protocol(binding.url)
    shell = p.open_shell()
    command = p.run_command(shell, "PowerShell", bootstrap_args())
    p.send_command_input(shell, command, worker_payload({}), end=True)

    first = p.get_command_output_raw(shell, command)
    rest = p.get_command_output(shell, command)

    assert first[3] is False  # still streaming
    assert json.loads(first[0] + rest[0]) == big


def test_other_commands_are_refused(endpoint):
    handler = Recorder()
    binding = endpoint.add_host("srv01", handler)
    endpoint.start()
    p = protocol(binding.url)
    shell = p.open_shell()

    stdout, stderr, rc = p.get_command_output(shell, p.run_command(shell, "ipconfig", ["/all"]))

    assert (stdout, rc) == (b"", 1)
    assert stderr.decode() == (
        f"winsim: srv01 is a simulated Windows host that only runs the {WORKER_NAME} worker; "
        "it was asked to run the command 'ipconfig /all'\r\n"
    )
    assert handler.calls == []
    assert endpoint.stats("srv01")["rejected"] == 1


def test_receive_before_the_payload_ends_times_out_like_winrm(endpoint):
    binding = endpoint.add_host("srv01", Recorder())
    endpoint.start()
    p = protocol(binding.url, operation_timeout_sec=1, read_timeout_sec=5)
    shell = p.open_shell()
    command = p.run_command(shell, "PowerShell", bootstrap_args())
    p.send_command_input(shell, command, b"partial", end=False)

    with pytest.raises(WinRMOperationTimeoutError):
        p.get_command_output_raw(shell, command)


def test_signals_and_unknown_shells(endpoint):
    binding = endpoint.add_host("srv01", Recorder())
    endpoint.start()
    p = protocol(binding.url)
    shell = p.open_shell()
    command = p.run_command(shell, "PowerShell", bootstrap_args())
    p.cleanup_command(shell, command)  # terminate signal: the command is gone

    with pytest.raises(WSManFaultError) as gone:
        p.get_command_output_raw(shell, command)
    assert gone.value.wsman_fault_code == 2150858771
    p.close_shell(shell)
    with pytest.raises(WSManFaultError) as unknown:
        p.run_command(shell, "ipconfig")
    assert unknown.value.wsman_fault_code == 2150858843
    assert "shell was not found" in unknown.value.reason


def test_ctrl_c_ends_a_waiting_command(endpoint):
    binding = endpoint.add_host("srv01", Recorder())
    endpoint.start()
    p = protocol(binding.url)
    shell = p.open_shell()
    command = p.run_command(shell, "PowerShell", bootstrap_args())
    message = {
        "env:Envelope": p.build_wsman_header(
            action="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal",
            resource_uri="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
            shell_id=shell,
        )
    }
    message["env:Envelope"]["env:Body"] = {
        "rsp:Signal": {
            "@CommandId": command,
            "rsp:Code": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c",
        }
    }
    p.send_message(xmltodict.unparse(message))

    assert p.get_command_output(shell, command) == (b"", b"", -1073741510)


def test_credentials_and_path_are_checked(endpoint):
    binding = endpoint.add_host("srv01", Recorder())
    endpoint.start()
    with pytest.raises(InvalidCredentialsError):
        protocol(binding.url, password="wrong").open_shell()
    with pytest.raises(WinRMTransportError) as not_found:
        protocol(binding.url.replace("/wsman", "/other")).open_shell()
    assert not_found.value.code == 404
    assert endpoint.stats("srv01")["shells"] == 0


def test_transport_faults(endpoint):
    down = endpoint.add_host("down", Recorder(), faults=[{"transport": "refused"}, {"operation": "activate"}])
    flaky = endpoint.add_host("flaky", Recorder(), faults=[{"transport": "http_500", "times": 2}])
    slow = endpoint.add_host("slow", Recorder(), faults=[{"transport": "slow", "seconds": 0.05, "times": 1}])
    endpoint.start()

    with pytest.raises(requests.exceptions.ConnectionError):
        protocol(down.url).open_shell()
    for _attempt in range(2):
        with pytest.raises(WinRMTransportError) as error:
            protocol(flaky.url).open_shell()
        assert error.value.code == 500
    protocol(flaky.url).open_shell()
    p = protocol(slow.url)
    p.close_shell(p.open_shell())

    assert endpoint.stats("down")["requests"] == 0
    assert endpoint.stats("flaky")["http_500"] == 2
    assert endpoint.stats("flaky")["shells"] == 1
    assert endpoint.stats("slow")["delayed"] == 1
    assert endpoint.stats("slow")["requests"] == 2


def test_hosts_added_after_start_are_served_each_on_its_own_port(endpoint):
    first = endpoint.add_host("srv01", Recorder())
    endpoint.start()
    second = endpoint.add_host("srv02", Recorder())
    protocol(second.url).open_shell()
    assert first.port != second.port
    assert (second.host, second.path) == ("127.0.0.1", "/wsman")
    assert endpoint.stats("srv02")["shells"] == 1
    with pytest.raises(ValueError):
        endpoint.add_host("srv01", Recorder())


@pytest.mark.parametrize(
    "spec",
    [{"transport": "teleport"}, {"transport": "slow"}, {"transport": "http_500", "times": -1}],
)
def test_invalid_fault_specs_are_rejected(spec):
    with pytest.raises(ValueError):
        TransportFault.from_spec(spec)


def test_worker_faults_are_left_to_the_licensing_model():
    assert transport_faults([{"operation": "activate", "hresult": 0xC004F038}]) == []


def test_listening_on_many_ports_takes_one_thread(endpoint):
    bindings = [endpoint.add_host(f"srv{n:03d}", Recorder()) for n in range(50)]
    endpoint.start()
    assert [thread.name for thread in threading.enumerate() if thread.name.startswith("winsim-wsman")] == [
        "winsim-wsman-accept"
    ]

    for binding in bindings[::7]:
        protocol(binding.url).open_shell()
    assert [endpoint.stats(b.name)["shells"] for b in bindings] == [1 if n % 7 == 0 else 0 for n in range(50)]


def test_the_baseline_module_answers_what_exitjson_prints_and_is_counted_apart(endpoint):
    handler = Recorder()
    binding = endpoint.add_host("srv01", handler)
    endpoint.start()

    stdout, _stderr, code = run_worker(protocol(binding.url), worker_payload({}, BASELINE_MODULE.read_text()))

    assert (json.loads(stdout), code) == ({"changed": False, "invocation": {"module_args": {}}}, 0)
    assert handler.calls == []
    stats = endpoint.stats("srv01")
    assert (endpoint.baseline_executions("srv01"), stats["worker_executions"], stats["rejected"]) == (1, 0, 0)
