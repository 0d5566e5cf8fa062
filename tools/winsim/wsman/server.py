"""The loopback WinRM endpoint: one listening port per simulated host on 127.0.0.1, Basic auth, injected faults.

Each host gets its own port (so a host with ``{transport: refused}`` refuses connections as a switched-off
machine does, while the others answer); every host serves the same path, ``/wsman`` by default. One thread
waits on every listening port with one selector and blocks until a connection arrives (no polling, so an
idle fleet of thousands of hosts costs no CPU); each accepted connection is served on its own thread, which
blocks on its socket until the client sends or hangs up.
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import selectors
import socket
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import soap
from .winrs import ConnectionCut, Handler, WinRSService

LOOPBACK = "127.0.0.1"
FAULT_KINDS = ("refused", "http_500", "slow")


@dataclasses.dataclass
class TransportFault:
    """One injected transport fault; ``times`` None means every request, otherwise it is used up."""

    kind: str
    times: int | None = None
    seconds: float = 0.0

    @classmethod
    def from_spec(cls, spec: t.Mapping[str, t.Any]) -> TransportFault:
        """Build from a scenario entry such as ``{transport: slow, seconds: 3, times: 1}``."""
        kind = str(spec["transport"])
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown transport fault {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or times < 0):
            raise ValueError(f"transport fault {kind}: times must be a non-negative integer, got {times!r}")
        seconds = float(spec.get("seconds", 0))
        if kind == "slow" and seconds <= 0:
            raise ValueError("transport fault slow needs seconds > 0")
        return cls(kind=kind, times=times, seconds=seconds)

    def take(self) -> bool:
        """Whether this fault applies to the current request (and use one of its times up)."""
        if self.times is None:
            return True
        if self.times == 0:
            return False
        self.times -= 1
        return True


def transport_faults(faults: t.Iterable[t.Mapping[str, t.Any]]) -> list[TransportFault]:
    """The transport entries of a host's ``faults`` list (entries for worker operations, and hold/cut of one
    worker execution, which the handler raises as ReplyLost, are skipped)."""
    return [
        TransportFault.from_spec(spec) for spec in faults if "transport" in spec and spec["transport"] in FAULT_KINDS
    ]


@dataclasses.dataclass(frozen=True)
class HostBinding:
    """Where a simulated host listens."""

    name: str
    host: str
    port: int
    path: str
    refused: bool

    @property
    def url(self) -> str:
        """The WinRM endpoint URL, as pywinrm wants it."""
        return f"http://{self.host}:{self.port}{self.path}"


# The host's restarts completed, or None while it is down (winsim.licensing.WindowsHost.boot_generation).
BootGeneration = t.Callable[[], "int | None"]


class _Site:
    """One host's listener state: its WinRS service, faults, credentials and restarts."""

    def __init__(
        self,
        service: WinRSService,
        faults: list[TransportFault],
        path: str,
        authorization: str,
        boot_generation: BootGeneration,
    ) -> None:
        self.service = service
        self.path = path
        self.authorization = authorization
        self._faults = faults
        self._lock = threading.Lock()
        self._boot_generation = boot_generation
        self._served_generation = boot_generation()

    def up(self) -> bool:
        """Whether the host answers; once it restarted, its shells are gone (a new WinRM service knows none)."""
        generation = self._boot_generation()
        if generation is None:
            return False
        with self._lock:
            if generation != self._served_generation:
                self._served_generation = generation
                self.service.forget_shells()
        return True

    def take_faults(self) -> tuple[float, bool]:
        """Seconds to delay this reply, and whether to answer HTTP 500."""
        with self._lock:
            delay = sum(f.seconds for f in self._faults if f.kind == "slow" and f.take())
            # Every matching fault uses one of its times on this request, so no short-circuit here.
            failing = [f.take() for f in self._faults if f.kind == "http_500"]
            fail = any(failing)
        return delay, fail


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, site: _Site) -> None:
        super().__init__((LOOPBACK, 0), _RequestHandler, bind_and_activate=False)
        self.site = site
        self.server_bind()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: t.Any) -> None:
        """Stay quiet; the counters tell what happened."""

    def _reply(
        self, status: int, body: bytes = b"", content_type: str = "", headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (read timeout)

    def do_POST(self) -> None:
        """Handle one WS-Management message."""
        site = self.server.site
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not site.up():
            site.service.count("while_down")
            self.close_connection = True  # the host is restarting: the connection drops without an answer
            return
        site.service.count("requests")
        delay, fail = site.take_faults()
        if delay:
            site.service.count("delayed")
            time.sleep(delay)
        if fail:
            site.service.count("http_500")
            self._reply(500, b"Internal Server Error", "text/plain; charset=utf-8")
            return
        if self.path.split("?", 1)[0] != site.path:
            self._reply(404)
            return
        if not hmac.compare_digest(self.headers.get("Authorization", ""), site.authorization):
            self._reply(401, headers={"WWW-Authenticate": 'Basic realm="WSMAN"'})
            return
        message_id = ""
        try:
            request = soap.parse_request(data)
            message_id = request.message_id
            address = f"http://{LOOPBACK}:{self.server.server_address[1]}{site.path}"
            body = site.service.handle(request, address, self.client_address[0])
        except ConnectionCut:
            self.close_connection = True  # no answer: the client sees the connection drop
            return
        except soap.WSManFault as fault:
            self._reply(
                500, soap.fault_response(message_id, fault, site.service.host), "application/soap+xml;charset=UTF-8"
            )
            return
        self._reply(200, body, "application/soap+xml;charset=UTF-8")

    def do_GET(self) -> None:
        """WinRM only takes POST."""
        self._reply(405, headers={"Allow": "POST"})


class _Acceptor:
    """One thread accepting connections on every host's listening socket; each connection gets its own thread."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._run, name="winsim-wsman-accept", daemon=True)

    def add(self, server: _Server) -> None:
        """Listen on the server's port and accept its connections from now on."""
        server.server_activate()
        server.socket.setblocking(False)
        self._selector.register(server.socket, selectors.EVENT_READ, server)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Wake the thread, wait for it and release the selector (connections being served finish on their own)."""
        self._wake_writer.send(b"\0")
        self._thread.join(timeout=5)
        self._selector.close()
        self._wake_reader.close()
        self._wake_writer.close()

    def _run(self) -> None:
        while True:
            for key, _events in self._selector.select():
                server = key.data
                if server is None:
                    return
                try:
                    connection, address = server.socket.accept()
                except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                    continue
                connection.setblocking(True)
                server.process_request(connection, address)


class WinRMEndpoint:
    """A fleet of simulated WinRM hosts in one process, each on its own loopback port."""

    def __init__(self, username: str, password: str, path: str = "/wsman") -> None:
        self.username = username
        self.password = password
        self.path = path
        self._authorization = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._bindings: dict[str, HostBinding] = {}
        self._services: dict[str, WinRSService] = {}
        self._servers: dict[str, _Server] = {}
        self._refused: dict[str, socket.socket] = {}
        self._acceptor: _Acceptor | None = None
        self._started = False

    def add_host(
        self,
        name: str,
        handler: Handler,
        faults: t.Iterable[t.Mapping[str, t.Any]] = (),
        boot_generation: BootGeneration = lambda: 0,
    ) -> HostBinding:
        """Register a host; its port is reserved at once and served from start() (or now, if started).
        ``boot_generation`` tells when the host is down or has restarted (never, by default)."""
        if name in self._bindings:
            raise ValueError(f"host {name!r} is already served")
        parsed = transport_faults(faults)
        service = WinRSService(name, handler, owner=self.username)
        self._services[name] = service
        if any(fault.kind == "refused" for fault in parsed):
            # Bound but never listening: the kernel answers connection attempts with a reset (ECONNREFUSED).
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            self._refused[name] = sock
            binding = HostBinding(name, LOOPBACK, sock.getsockname()[1], self.path, refused=True)
        else:
            server = _Server(_Site(service, parsed, self.path, self._authorization, boot_generation))
            self._servers[name] = server
            binding = HostBinding(name, LOOPBACK, server.server_address[1], self.path, refused=False)
            if self._acceptor is not None:
                self._acceptor.add(server)
        self._bindings[name] = binding
        return binding

    def start(self) -> WinRMEndpoint:
        """Start listening on every host's port."""
        if not self._started:
            self._started = True
            self._acceptor = _Acceptor()
            for server in self._servers.values():
                self._acceptor.add(server)
            self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting connections and release the ports."""
        if self._acceptor is not None:
            self._acceptor.stop()
            self._acceptor = None
        for server in self._servers.values():
            server.server_close()
        for sock in self._refused.values():
            sock.close()
        self._servers.clear()
        self._refused.clear()
        self._started = False

    def __enter__(self) -> WinRMEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def bindings(self) -> dict[str, HostBinding]:
        """Host name -> binding, in the order hosts were added."""
        return dict(self._bindings)

    def binding(self, name: str) -> HostBinding:
        """The binding of one host."""
        return self._bindings[name]

    def stats(self, name: str) -> dict[str, int]:
        """Counters of one host: requests, shells, winrs_commands, worker_executions, rejected, http_500, delayed."""
        return self._services[name].stats()

    def baseline_executions(self, name: str) -> int:
        """Runs of the do-nothing baseline module on one host."""
        return self._services[name].baseline_executions
