"""Real TCP listeners on 127.0.0.1 and ::1 that stand for KMS hosts, one per behaviour and address family.

The engine's route test connects with real sockets (``WindowsNetwork.Connect``); the simulator's network model says
what each address does, and the engine host connects to the listener of that behaviour and family instead:

- ``connected``: a listening socket that accepts each connection and closes it (counted per family);
- ``refused``: a socket bound but not listening, so that the kernel answers a connection with a reset;
- ``timed_out``: a listening socket with a backlog of 0 whose accept queue is kept full, so that the kernel drops
  further SYNs and a connection never completes before the caller's wait ends.

Loopback only: nothing here reaches another machine. The listeners live as long as the process.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections import Counter

BEHAVIOURS = ("connected", "refused", "timed_out")
_FAMILIES = {"ipv4": (socket.AF_INET, "127.0.0.1"), "ipv6": (socket.AF_INET6, "::1")}


class Loopback:
    """The listeners of one process (see the module docstring)."""

    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []
        self._endpoints: dict[tuple[str, str], tuple[str, int]] = {}
        self._lock = threading.Lock()
        self.accepted: Counter[str] = Counter()  # connections accepted, per family
        self._selector = selectors.DefaultSelector()
        for family, (kind, address) in _FAMILIES.items():
            accepting = self._socket(kind, address)
            accepting.listen(64)
            accepting.setblocking(False)
            self._selector.register(accepting, selectors.EVENT_READ, family)
            refusing = self._socket(kind, address)
            full = self._socket(kind, address)
            full.listen(0)
            self._fill(kind, full.getsockname()[:2])
            for behaviour, sock in (("connected", accepting), ("refused", refusing), ("timed_out", full)):
                self._endpoints[(family, behaviour)] = sock.getsockname()[:2]
        threading.Thread(target=self._accept, name="winsim-loopback", daemon=True).start()

    def _socket(self, kind: int, address: str) -> socket.socket:
        sock = socket.socket(kind, socket.SOCK_STREAM)
        if kind == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, 0))
        self._sockets.append(sock)
        return sock

    def _fill(self, kind: int, endpoint: tuple[str, int]) -> None:
        """Complete connections to a backlog-0 listener until its accept queue is full (never accepted)."""
        for _attempt in range(2):
            filler = socket.socket(kind, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(endpoint)
            self._sockets.append(filler)

    def _accept(self) -> None:
        while True:
            for key, _events in self._selector.select():
                listener = key.fileobj
                assert isinstance(listener, socket.socket)
                with contextlib.suppress(BlockingIOError, OSError):
                    connection, _address = listener.accept()
                    connection.close()
                    with self._lock:
                        self.accepted[key.data] += 1

    def endpoint(self, family: str, behaviour: str) -> tuple[str, int]:
        """(address, port) of the listener with this behaviour in this family (``ipv4`` or ``ipv6``)."""
        return self._endpoints[(family, behaviour)]

    def accepted_count(self, family: str) -> int:
        """Connections the ``connected`` listener of a family has accepted so far."""
        with self._lock:
            return self.accepted[family]


_SHARED: Loopback | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> Loopback:
    """The process's listeners, created on first use."""
    global _SHARED  # noqa: PLW0603  one set of listeners per process
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Loopback()
        return _SHARED
