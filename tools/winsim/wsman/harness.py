"""Serve a set of simulated hosts and write the inventory that reaches them, for tests and tools."""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import secrets
import typing as t

from .inventory import write_inventory
from .server import WinRMEndpoint
from .winrs import Handler


@dataclasses.dataclass(frozen=True)
class ServedFleet:
    """A running endpoint and the YAML inventory (group ``windows``) pointing at it."""

    endpoint: WinRMEndpoint
    inventory: pathlib.Path


@contextlib.contextmanager
def serve_fleet(
    hosts: t.Mapping[str, Handler],
    directory: str | pathlib.Path,
    *,
    faults: t.Mapping[str, t.Iterable[t.Mapping[str, t.Any]]] | None = None,
    extra_vars: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
    username: str = "ansible",
    password: str | None = None,
) -> t.Iterator[ServedFleet]:
    """Start an endpoint serving ``hosts`` (name -> handler), write ``directory/inventory.yml``, stop on exit.

    ``faults`` maps host names to scenario fault lists; ``extra_vars`` to additional host variables.
    """
    endpoint = WinRMEndpoint(username=username, password=password or secrets.token_urlsafe(12))
    for name, handler in hosts.items():
        endpoint.add_host(name, handler, faults=(faults or {}).get(name, ()))
    with endpoint:
        path = write_inventory(endpoint, pathlib.Path(directory) / "inventory.yml", extra_vars=extra_vars)
        yield ServedFleet(endpoint, path)
