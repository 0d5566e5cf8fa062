#!/usr/bin/env python
"""Time convert-to-kms.yml against a simulated fleet of N hosts and print the figures.

    .venv/bin/python tools/benchmark_fleet.py --copies 5 --forks 10

The fleet is the shipped mixed scenario repeated ``--copies`` times (host names get a suffix). Each
phase (audit, conversion, second run) is one real ansible-playbook run over the real winrm connection
plugin; the figures are wall-clock seconds on this machine, and the worker executions and WinRS commands
the simulated hosts received.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time
import typing as t

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / ".collections")]

from winsim.fleet import Fleet  # noqa: E402  (needs the path above)
from winsim.wsman import run_playbook  # noqa: E402

SCENARIO = REPO / "tests" / "winsim" / "scenarios" / "mixed_fleet.yml"


def repeated_scenario(copies: int) -> dict[str, t.Any]:
    """The mixed scenario with every host repeated ``copies`` times."""
    scenario = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    hosts = [{**host, "name": f"{host['name']}-{n:03d}"} for n in range(copies) for host in scenario["hosts"]]
    return {**scenario, "hosts": hosts}


def traffic(fleet: Fleet) -> tuple[int, int]:
    """Worker executions and WinRS commands received so far, over the whole fleet."""
    stats = [fleet.endpoint.stats(name) for name in fleet.hosts]
    return sum(s["worker_executions"] for s in stats), sum(s["winrs_commands"] for s in stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--copies", type=int, default=5, help="how many times to repeat the mixed scenario")
    parser.add_argument("--forks", type=int, default=10, help="ansible-playbook --forks")
    arguments = parser.parse_args()
    scenario = repeated_scenario(arguments.copies)
    print(
        f"fleet: {len(scenario['hosts'])} simulated hosts, forks {arguments.forks}, "
        f"ansible-core from {pathlib.Path(sys.executable).parent}, {os.cpu_count()} CPUs"
    )
    print(f"{'phase':<12} {'seconds':>8} {'s/host':>7} {'worker runs':>12} {'WinRS cmds':>11}  ansible-playbook rc")
    with tempfile.TemporaryDirectory(prefix="kms-bench-") as tmp, Fleet(scenario) as fleet:
        inventory = fleet.write_inventory(pathlib.Path(tmp) / "inventory.yml")
        for phase, extra in (("audit", ["--check"]), ("convert", []), ("second run", [])):
            runs_before, commands_before = traffic(fleet)
            started = time.perf_counter()
            run = run_playbook(
                REPO / "convert-to-kms.yml",
                inventory,
                "--forks",
                str(arguments.forks),
                "-e",
                f"kms_client_report_dest={tmp}/{phase.replace(' ', '_')}",
                *extra,
                collections_paths=[REPO / ".collections"],
            )
            elapsed = time.perf_counter() - started
            runs, commands = traffic(fleet)
            print(
                f"{phase:<12} {elapsed:>8.1f} {elapsed / len(fleet.hosts):>7.2f} {runs - runs_before:>12} "
                f"{commands - commands_before:>11}  {run.returncode}"
            )


if __name__ == "__main__":
    main()
