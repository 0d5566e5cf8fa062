"""The WinRS shell service of one simulated host: shells, commands, stdin, output streams."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import traceback
import typing as t
import uuid

from . import soap
from .payload import WORKER_NAME, CommandLine, ExecRequest, decode_exec_payload, parse_command_line

# A worker execution: (module arguments, the C# module_utils the payload carries) -> the module's result.
Handler = t.Callable[[dict[str, t.Any], dict[str, str]], dict[str, t.Any]]

# Raw bytes per Receive reply, so a reply stays well under the default 150 KiB MaxEnvelopeSize once base64-encoded.
RECEIVE_CHUNK = 64 * 1024
STATUS_CONTROL_C_EXIT = -1073741510  # 0xC000013A, what a process killed by ctrl_c exits with
STAT_NAMES = (
    "requests",
    "shells",
    "winrs_commands",
    "sends",
    "worker_executions",
    "rejected",
    "http_500",
    "delayed",
    "reply_hold",
    "reply_cut",
    "while_down",
)
# What Ansible.Basic's ExitJson() prints for a module with no options and no changes
# (ansible.windows/ansible-core Ansible.Basic.cs: ExitJson adds changed=false and invocation.module_args).
BASELINE_RESULT = {"changed": False, "invocation": {"module_args": {}}}


@dataclasses.dataclass
class _Command:
    id: str
    line: CommandLine
    stdin: bytearray = dataclasses.field(default_factory=bytearray)
    finished: bool = False
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = -1
    out_pos: int = 0
    err_pos: int = 0
    lost: str = ""  # "hold" or "cut": the reply never arrives (ReplyLost)


def _shell_not_found(shell_id: str | None) -> soap.WSManFault:
    return soap.WSManFault(
        "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found "
        "on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on "
        "the server. Provide the correct ShellId or create a new shell and try the operation again.",
        2150858843,
    )


def _command_not_found(command_id: str | None) -> soap.WSManFault:
    return soap.WSManFault(
        "w:InvalidParameter",
        f"The request for the Windows Remote Shell failed because the command {command_id} was not found.",
        2150858771,
    )


class ReplyLost(Exception):
    """Raised by a handler for a worker execution whose reply never arrives: ``hold`` leaves the command running
    (Receive answers the OperationTimeout fault for ever, as WinRS does while a process runs), ``cut`` drops the
    connection of the next Receive without an answer."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class ConnectionCut(Exception):
    """The endpoint closes this request's connection without an answer."""


class WinRSService:
    """Answers WinRS requests for one host; runs the worker through ``handler`` and refuses anything else."""

    def __init__(self, host: str, handler: Handler, owner: str) -> None:
        self.host = host
        self.owner = owner
        self._handler = handler
        self._cond = threading.Condition()
        self._shells: dict[str, dict[str, _Command]] = {}
        self._stats = dict.fromkeys(STAT_NAMES, 0)
        self._baseline_executions = 0

    def count(self, name: str, amount: int = 1) -> None:
        """Add to one of the counters in STAT_NAMES."""
        with self._cond:
            self._stats[name] += amount

    def stats(self) -> dict[str, int]:
        """A snapshot of the counters."""
        with self._cond:
            return dict(self._stats)

    @property
    def baseline_executions(self) -> int:
        """Runs of the do-nothing baseline module (the benchmark's yardstick, not part of stats())."""
        with self._cond:
            return self._baseline_executions

    def rejection(self, description: str) -> str:
        """The error text for anything that is not the worker."""
        return (
            f"winsim: {self.host} is a simulated Windows host that only runs the {WORKER_NAME} worker; "
            f"it was asked to run {description}"
        )

    def handle(self, request: soap.Request, address: str, client_ip: str) -> bytes:
        """Dispatch one WS-Management request; raises soap.WSManFault for WinRM faults."""
        if request.resource_uri and request.resource_uri != soap.CMD_RESOURCE_URI:
            raise soap.WSManFault(
                "w:DestinationUnreachable",
                f"The WS-Management service cannot process the request. The resource URI {request.resource_uri} "
                f"is not supported here; only {soap.CMD_RESOURCE_URI} shells are.",
                2150858770,
            )
        action = request.action
        if action == soap.ACTION_CREATE:
            return soap.create_response(request, self._create_shell(), address, self.owner, client_ip)
        if action == soap.ACTION_DELETE:
            self._delete_shell(request.shell_id)
            return soap.empty_response(request, None)
        if action == soap.ACTION_COMMAND:
            return soap.command_response(request, self._start_command(request))
        if action == soap.ACTION_SEND:
            self._send(request)
            return soap.empty_response(request, "SendResponse")
        if action == soap.ACTION_RECEIVE:
            return self._receive(request)
        if action == soap.ACTION_SIGNAL:
            self._signal(request)
            return soap.empty_response(request, "SignalResponse")
        raise soap.WSManFault(
            "a:ActionNotSupported", f"The action {action} is not supported by the service.", 2150858754
        )

    def forget_shells(self) -> None:
        """The host restarted: its shells and their commands no longer exist."""
        with self._cond:
            self._shells.clear()
            self._cond.notify_all()

    def _create_shell(self) -> str:
        shell_id = str(uuid.uuid4()).upper()
        with self._cond:
            self._shells[shell_id] = {}
            self._stats["shells"] += 1
        return shell_id

    def _delete_shell(self, shell_id: str | None) -> None:
        with self._cond:
            if self._shells.pop(shell_id or "", None) is None:
                raise _shell_not_found(shell_id)
            self._cond.notify_all()

    def _commands(self, shell_id: str | None) -> dict[str, _Command]:
        commands = self._shells.get(shell_id or "")
        if commands is None:
            raise _shell_not_found(shell_id)
        return commands

    def _command(self, request: soap.Request, element: str) -> tuple[dict[str, _Command], _Command]:
        node = request.find(element)
        command_id = node.get("CommandId") if node is not None else None
        commands = self._commands(request.shell_id)
        command = commands.get(command_id or "")
        if command is None:
            raise _command_not_found(command_id)
        return commands, command

    def _start_command(self, request: soap.Request) -> str:
        command_node = request.find("rsp:CommandLine/rsp:Command")
        arguments = [node.text or "" for node in request.body.findall("rsp:CommandLine/rsp:Arguments", soap.NS)]
        line = parse_command_line((command_node.text or "") if command_node is not None else "", " ".join(arguments))
        command = _Command(id=str(uuid.uuid4()).upper(), line=line)
        with self._cond:
            self._commands(request.shell_id)[command.id] = command
            self._stats["winrs_commands"] += 1
        if not line.reads_payload:
            self._finish(command, b"", self.rejection(line.description()).encode() + b"\r\n", 1, rejected=True)
        return command.id

    def _send(self, request: soap.Request) -> None:
        command = self._command(request, "rsp:Send/rsp:Stream")[1]
        stream = request.find("rsp:Send/rsp:Stream")
        assert stream is not None  # _command found it
        data = base64.b64decode((stream.text or "").strip() or b"")
        end = stream.get("End", "false").lower() == "true"
        with self._cond:
            self._stats["sends"] += 1
            if command.finished:
                return  # the process no longer reads stdin; WinRS drops the input
            command.stdin += data
        if end:
            self._run_payload(command)

    def _run_payload(self, command: _Command) -> None:
        request = decode_exec_payload(bytes(command.stdin))
        if request.is_baseline:
            with self._cond:
                self._baseline_executions += 1
            self._finish(command, json.dumps(BASELINE_RESULT).encode() + b"\r\n", b"", 0)
            return
        if not request.is_worker:
            self._refuse_exec(command, request)
            return
        self.count("worker_executions")
        try:
            result = self._handler(dict(request.module_args), dict(request.csharp))
            output = json.dumps(result, separators=(",", ":"))
        except ReplyLost as lost:
            self.count(f"reply_{lost.kind}")
            with self._cond:
                command.lost = lost.kind
            return
        except Exception as exc:  # the module would report an unhandled exception the same way
            failure = {
                "changed": False,
                "failed": True,
                "msg": f"Unhandled exception while executing module: {exc}",
                "exception": traceback.format_exc(),
            }
            self._finish(command, json.dumps(failure).encode() + b"\r\n", b"", 1)
            return
        exit_code = 1 if isinstance(result, dict) and result.get("failed") else 0
        self._finish(command, output.encode() + b"\r\n", b"", exit_code)

    def _refuse_exec(self, command: _Command, request: ExecRequest) -> None:
        message = self.rejection(request.description())
        body = {"changed": False, "failed": True, "msg": message}
        self._finish(command, json.dumps(body).encode() + b"\r\n", message.encode() + b"\r\n", 1, rejected=True)

    def _finish(self, command: _Command, stdout: bytes, stderr: bytes, exit_code: int, rejected: bool = False) -> None:
        with self._cond:
            command.stdout, command.stderr, command.exit_code = stdout, stderr, exit_code
            command.finished = True
            if rejected:
                self._stats["rejected"] += 1
            self._cond.notify_all()

    def _receive(self, request: soap.Request) -> bytes:
        commands, command = self._command(request, "rsp:Receive/rsp:DesiredStream")
        timeout = request.operation_timeout if request.operation_timeout is not None else 60.0
        with self._cond:
            if command.lost == "cut":
                raise ConnectionCut(command.id)
            if not self._cond.wait_for(lambda: command.finished or command.id not in commands, timeout):
                raise soap.operation_timeout_fault()
            if command.id not in commands:
                raise _command_not_found(command.id)
            stdout = command.stdout[command.out_pos : command.out_pos + RECEIVE_CHUNK]
            command.out_pos += len(stdout)
            stderr = command.stderr[command.err_pos : command.err_pos + RECEIVE_CHUNK - len(stdout)]
            command.err_pos += len(stderr)
            done = command.out_pos >= len(command.stdout) and command.err_pos >= len(command.stderr)
            return soap.receive_response(request, command.id, stdout, stderr, done, command.exit_code)

    def _signal(self, request: soap.Request) -> None:
        commands, command = self._command(request, "rsp:Signal")
        code_node = request.find("rsp:Signal/rsp:Code")
        code = (code_node.text or "").strip() if code_node is not None else ""
        with self._cond:
            if code == soap.SIGNAL_TERMINATE:
                del commands[command.id]
            elif code == soap.SIGNAL_CTRL_C and not command.finished:
                command.finished, command.exit_code = True, STATUS_CONTROL_C_EXIT
            self._cond.notify_all()
