"""Serve a scenario's simulated Windows hosts over loopback WinRM until interrupted.

    python -m winsim --scenario S.yml --inventory inventory.yml --state state.json

The inventory (group ``windows``) is written once every host listens; the state file (each host's
final licensing state and the worker executions and WinRS commands it received) on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import secrets
import signal
import sys
import threading
import typing as t

import yaml

from .licensing import WindowsHost, load_scenario
from .scenario import EXECUTION_FAULTS, FaultSpec, ScenarioError
from .wsman import WinRMEndpoint, inventory
from .wsman.winrs import Handler, ReplyLost


def _replies(host: WindowsHost) -> Handler:
    """``host.run_worker`` with the scenario's hold/cut faults of one worker execution: ``cut`` ``before`` drops the
    connection before the worker runs, ``after`` (and ``hold``) once it has run and changed what it changes."""
    faults: list[FaultSpec] = [f for f in host.spec.faults if f.transport in EXECUTION_FAULTS]
    uses = [0] * len(faults)

    def handler(args: t.Mapping[str, t.Any], csharp: t.Mapping[str, str]) -> dict[str, t.Any]:
        fault = None
        for index, candidate in enumerate(faults):
            if candidate.operation == args.get("operation") and (
                candidate.times is None or uses[index] < candidate.times
            ):
                uses[index] += 1
                fault = candidate
                break
        if fault is not None and fault.when == "before":
            raise ReplyLost(str(fault.transport))
        result = host.run_worker(args, csharp)
        if fault is not None:
            raise ReplyLost(str(fault.transport))
        if host.take_restart_notice():  # the host went down before its reply left (winsim.licensing.servicing)
            raise ReplyLost("cut")
        return result

    return handler


def repeated_scenario(scenario: str | os.PathLike[str], hosts: int) -> dict[str, t.Any]:
    """A scenario's hosts repeated in order, each copy's names suffixed ``-0000``, ``-0001`` ..., up to ``hosts``."""
    loaded = yaml.safe_load(pathlib.Path(scenario).read_text(encoding="utf-8"))
    base = loaded["hosts"]
    copies = [
        {**base[i % len(base)], "name": f"{base[i % len(base)]['name']}-{i // len(base):04d}"} for i in range(hosts)
    ]
    return {**loaded, "hosts": copies}


class Fleet:
    """The licensing models of a scenario's hosts, served by one WinRM endpoint."""

    def __init__(self, scenario: str | os.PathLike[str] | t.Mapping[str, t.Any]) -> None:
        self.hosts: dict[str, WindowsHost] = {host.name: host for host in load_scenario(scenario)}
        self.endpoint = WinRMEndpoint(username="ansible", password=secrets.token_urlsafe(12))
        for name, host in self.hosts.items():
            transport = [
                {key: value for key, value in vars(fault).items() if value is not None}
                for fault in host.spec.faults
                if fault.transport and fault.transport not in EXECUTION_FAULTS
            ]
            self.endpoint.add_host(name, _replies(host), faults=transport, boot_generation=host.boot_generation)

    def __enter__(self) -> Fleet:
        self.endpoint.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.endpoint.stop()

    def write_inventory(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write the YAML inventory (with each host's ``host_vars``) atomically, so a reader never sees half of it."""
        host_vars = {name: host.spec.host_vars for name, host in self.hosts.items() if host.spec.host_vars}
        return _write_atomically(path, yaml.safe_dump(inventory(self.endpoint, extra_vars=host_vars), sort_keys=False))

    def licensing_dump(self) -> bytes:
        """Every host's licensing state (``WindowsHost.licensing_state``) serialised canonically: sorted keys, UTF-8,
        no NaN; two dumps are byte-identical exactly when no host's licensing changed."""
        states = {name: host.licensing_state() for name, host in self.hosts.items()}
        return json.dumps(states, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()

    def state(self) -> dict[str, t.Any]:
        """Each host's licensing state and the traffic its endpoint received."""
        return {
            "hosts": {name: {"state": host.state(), **self.endpoint.stats(name)} for name, host in self.hosts.items()}
        }

    def write_state(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write ``state()`` as JSON, atomically."""
        return _write_atomically(path, json.dumps(self.state(), indent=2, sort_keys=True) + "\n")


def _write_atomically(path: str | os.PathLike[str], text: str) -> pathlib.Path:
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return target


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m winsim", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--scenario", required=True, help="scenario YAML file")
    parser.add_argument("--inventory", required=True, help="inventory YAML file to write")
    parser.add_argument("--state", required=True, help="state JSON file to write on exit")
    arguments = parser.parse_args(argv)
    try:
        fleet = Fleet(arguments.scenario)
    except (OSError, ScenarioError, yaml.YAMLError) as error:
        print(f"winsim: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with fleet:
        fleet.write_inventory(arguments.inventory)
        print(
            f"serving {len(fleet.hosts)} simulated hosts; inventory: {arguments.inventory}; stop with Ctrl-C",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        fleet.write_state(arguments.state)
    print(f"stopped; state: {arguments.state}", flush=True)
    return 0
