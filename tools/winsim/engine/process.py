"""The long-lived Mono process that runs the worker's C# engine for simulated hosts.

One process per engine build (content hash of the sources), started on first use and shared by every host and
thread of the Python process. Each worker execution is a ``run`` message; the engine's CIM and network calls come
back as ``call`` messages that the execution's own thread answers from its simulated host, until ``done`` carries
the result the engine wrote (``EngineHost.cs`` documents the protocol).
"""

from __future__ import annotations

import atexit
import dataclasses
import itertools
import json
import os
import pathlib
import queue
import subprocess
import threading
import typing as t
from collections.abc import Mapping

from winsim.engine import compiler, loopback

# Far above any execution the simulator makes (an activation that takes its scenario's seconds, route tests that
# wait for their timeouts); reached only if the engine host hangs.
EXECUTION_TIMEOUT = 600.0


class CimError(Exception):
    """A failed WMI call: ``hresult`` (unsigned) and the text that came with it."""

    def __init__(self, hresult: int, message: str = "") -> None:
        super().__init__(message)
        self.hresult = hresult
        self.message = message


class SocketFailure(Exception):
    """A failed name resolution or connection: ``code`` is a System.Net.Sockets.SocketError name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DnsFailure(Exception):
    """A failed DNS query: ``status`` is the DNS API's status (winerror.h, e.g. 9003 DNS_ERROR_RCODE_NAME_ERROR)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ComFailure(Exception):
    """A failed COM call (ADSI's LDAP binding): ``hresult`` (unsigned) and its text."""

    def __init__(self, hresult: int, message: str) -> None:
        super().__init__(message)
        self.hresult = hresult
        self.message = message


class EngineFailure(Exception):
    """The engine host crashed, hung or threw: a defect, reported as the module's unhandled exception."""


Typed = tuple[str, t.Any]  # (CIM type, value)
# The calls that may take the scenario's time (an activation, an edition change): answered on the execution's thread.
_SLOW_CALLS = ("invoke", "set_edition")


class SimulatedWindows(t.Protocol):
    """What the engine reaches on a simulated host: its CIM classes and its network."""

    def class_properties(self, class_name: str) -> list[str]: ...

    def query(self, wql: str) -> list[tuple[str | None, dict[str, Typed]]]: ...

    def invoke(self, path: str, method: str, arguments: dict[str, t.Any]) -> dict[str, Typed]: ...

    def resolve(self, name: str) -> list[tuple[str, str]]: ...

    def srv(self, name: str) -> list[tuple[str, int, int, int]]: ...

    def primary_domain(self) -> str: ...

    def activation_objects(self, domain: str) -> list[dict[str, t.Any]]: ...

    def target_editions(self) -> list[str]: ...

    def set_edition(self, edition: str, product_key: str) -> int: ...


@dataclasses.dataclass(frozen=True)
class EngineReply:
    """What ``Engine.Run`` returned (``failure``: null or why the module fails) and the result it wrote."""

    failure: str | None
    result: dict[str, t.Any]


def _typed(values: Mapping[str, Typed]) -> dict[str, dict[str, t.Any]]:
    return {name: {"type": kind, "value": value} for name, (kind, value) in values.items()}


class EngineProcess:
    """One Mono process running ``EngineHost.exe`` of one engine build."""

    def __init__(self, build: compiler.EngineBuild) -> None:
        self.build = build
        self._process = subprocess.Popen(
            ["mono", str(build.host)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self._ids = itertools.count(1)
        self._write = threading.Lock()
        self._inboxes: dict[int, tuple[SimulatedWindows, queue.Queue[dict[str, t.Any] | None]]] = {}
        self._inboxes_lock = threading.Lock()
        self._stderr: list[str] = []
        self.executions = 0
        threading.Thread(target=self._read, name=f"winsim-engine-{build.digest[:8]}", daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _send(self, message: dict[str, t.Any]) -> None:
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        with self._write:
            stdin = t.cast(t.IO[bytes], self._process.stdin)
            stdin.write(data)
            stdin.flush()

    def _read(self) -> None:
        """Dispatch the engine host's messages: reads (queries, the registry, DNS) are answered here at once, method
        calls and the edition change (which may take the scenario's time) and results go to the execution's own
        thread."""
        stdout = t.cast(t.IO[bytes], self._process.stdout)
        for line in stdout:
            message = json.loads(line)
            execution = int(message["id"])
            with self._inboxes_lock:
                host, inbox = self._inboxes.get(execution, (None, None))
            if host is not None and message["op"] == "call" and message["method"] not in _SLOW_CALLS:
                self._send(self._answer(host, execution, message))
            elif inbox is not None:
                inbox.put(message)
        with self._inboxes_lock:  # the process ended: wake every waiting execution
            for _host, inbox in self._inboxes.values():
                inbox.put(None)

    def _drain_stderr(self) -> None:
        for line in t.cast(t.IO[bytes], self._process.stderr):
            self._stderr = [*self._stderr[-20:], line.decode(errors="replace").rstrip()]

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def execute(self, host: SimulatedWindows, params: Mapping[str, t.Any], check_mode: bool) -> EngineReply:
        """Run the engine once for ``host`` with the module's parameters; answer its calls from ``host``."""
        execution = next(self._ids)
        inbox: queue.Queue[dict[str, t.Any] | None] = queue.Queue()
        with self._inboxes_lock:
            self._inboxes[execution] = (host, inbox)
            self.executions += 1
        try:
            self._send({"op": "run", "id": execution, "params": dict(params), "check_mode": check_mode})
            while True:
                try:
                    message = inbox.get(timeout=EXECUTION_TIMEOUT)
                except queue.Empty:
                    raise EngineFailure(f"the engine host did not answer within {EXECUTION_TIMEOUT:.0f} s") from None
                if message is None:
                    raise EngineFailure("the engine host exited: " + " | ".join(self._stderr[-5:]))
                if message["op"] == "call":
                    self._send(self._answer(host, execution, message))
                elif message["op"] == "done":
                    return EngineReply(message["failure"], message["result"])
                else:
                    raise EngineFailure(str(message.get("error")))
        finally:
            with self._inboxes_lock:
                del self._inboxes[execution]

    @staticmethod
    def _answer(host: SimulatedWindows, execution: int, call: dict[str, t.Any]) -> dict[str, t.Any]:
        reply: dict[str, t.Any] = {"op": "reply", "id": execution, "call": call["call"], "ok": True}
        args = call["args"]
        method = call["method"]
        try:
            if method == "class_properties":
                reply["value"] = host.class_properties(args["class"])
            elif method == "query":
                reply["value"] = [
                    {"path": path, "properties": _typed(properties)} for path, properties in host.query(args["wql"])
                ]
            elif method == "invoke":
                reply["value"] = _typed(host.invoke(args["path"], args["method"], args["arguments"] or {}))
            elif method == "resolve":
                listeners = loopback.shared()
                reply["value"] = [
                    {"address": address, "listener": listeners.endpoint("ipv6" if ":" in address else "ipv4", how)}
                    for address, how in host.resolve(args["name"])
                ]
            elif method == "srv":
                reply["value"] = [
                    {"target": target, "port": port, "priority": priority, "weight": weight}
                    for target, port, priority, weight in host.srv(args["name"])
                ]
            elif method == "domain":
                reply["value"] = host.primary_domain()
            elif method == "activation_objects":
                reply["value"] = host.activation_objects(args["domain"])
            elif method == "target_editions":
                reply["value"] = host.target_editions()
            elif method == "set_edition":
                reply["value"] = host.set_edition(args["edition"], args["product_key"])
            else:
                raise EngineFailure(f"the engine host asked for an unknown call {method!r}")
        except CimError as error:
            reply.update(ok=False, error={"kind": "cim", "code": error.hresult, "message": error.message})
        except SocketFailure as error:
            reply.update(ok=False, error={"kind": "socket", "code": error.code, "message": error.message})
        except DnsFailure as error:
            reply.update(ok=False, error={"kind": "win32", "code": error.status, "message": error.message})
        except ComFailure as error:
            reply.update(ok=False, error={"kind": "com", "code": error.hresult, "message": error.message})
        return reply

    def cpu_seconds(self) -> float:
        """The Mono process's CPU time so far (user + system, from /proc/<pid>/stat)."""
        try:
            fields = pathlib.Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.alive:
            t.cast(t.IO[bytes], self._process.stdin).close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()


_PROCESSES: dict[str, EngineProcess] = {}
_PROCESSES_LOCK = threading.Lock()


def process_for(sources: Mapping[str, str]) -> EngineProcess:
    """The running engine process for these sources (compiled and started on first use, restarted if it died)."""
    build = compiler.build(sources)
    with _PROCESSES_LOCK:
        process = _PROCESSES.get(build.digest)
        if process is None or not process.alive:
            process = _PROCESSES[build.digest] = EngineProcess(build)
        return process


def engine_cpu_seconds() -> float:
    """CPU time of every engine process this Python process started (the simulator's share run by Mono)."""
    with _PROCESSES_LOCK:
        return sum(process.cpu_seconds() for process in _PROCESSES.values())


@atexit.register
def _close_all() -> None:
    with _PROCESSES_LOCK:
        for process in _PROCESSES.values():
            process.close()
