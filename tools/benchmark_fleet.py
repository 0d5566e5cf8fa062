#!/usr/bin/env python
"""Measure convert-to-kms.yml against simulated fleets, print the figures and write them to docs/performance.md.

    .venv/bin/python tools/benchmark_fleet.py                       # the full matrix (long)
    .venv/bin/python tools/benchmark_fleet.py --quick               # 100 and 300 hosts at forks 25
    .venv/bin/python tools/benchmark_fleet.py --sizes 100,300,1000 --forks 25,50

Every figure comes from real ansible-playbook runs over the real winrm connection plugin against the
simulator served in this process: the traffic each host received (the fleet's counters), controller CPU
(user+sys of ansible-playbook and every process it waited for, from wait4) and its largest resident set,
the simulator's own CPU (this process), the cost of the collection's module against a do-nothing
PowerShell module through the same connection, and the GVLK catalog's import and lookup times.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import pathlib
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
import typing as t

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / ".collections")]

from winsim.fleet import Fleet, repeated_scenario  # noqa: E402  (needs the path above)
from winsim.wsman.playbook import ansible_playbook, playbook_environment  # noqa: E402

SCENARIO = REPO / "tests" / "winsim" / "scenarios" / "mixed_fleet.yml"
PLAYBOOK = REPO / "convert-to-kms.yml"
BASELINE_LIBRARY = REPO / "tests" / "winsim" / "wsman" / "modules"
DOCUMENT = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- benchmark:begin -->", "<!-- benchmark:end -->"
COUNTERS = ("worker_executions", "winrs_commands", "requests")
MODULE_PLAY = """\
- name: One task per host
  hosts: windows
  gather_facts: false
  tasks:
    - name: {name}
      {module}: {{}}
      check_mode: true
"""


@dataclasses.dataclass(frozen=True)
class Measure:
    """One ansible-playbook run: wall seconds, controller CPU seconds, largest process RSS, simulator CPU."""

    wall: float
    controller_cpu: float
    peak_rss_mb: float
    simulator_cpu: float
    returncode: int


@dataclasses.dataclass(frozen=True)
class AuditRun:
    """One audit of the scale matrix."""

    hosts: int
    forks: int
    measure: Measure
    reported_once: bool
    worker_executions: int
    reachable: int


def fleet_scenario(hosts: int) -> dict[str, t.Any]:
    """The mixed scenario's hosts repeated until there are ``hosts`` of them."""
    return repeated_scenario(SCENARIO, hosts)


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured_playbook(
    playbook: pathlib.Path,
    inventory: pathlib.Path,
    workdir: pathlib.Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> Measure:
    """Run ansible-playbook and take its resource usage (with its waited-for descendants) from wait4."""
    environment = playbook_environment(workdir, [REPO / ".collections"], env)
    log = workdir / "ansible-playbook.log"
    simulator_before, started = _cpu_self(), time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(ansible_playbook()), "-i", str(inventory), str(playbook), *args],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    return Measure(
        wall=wall,
        controller_cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        simulator_cpu=_cpu_self() - simulator_before,
        returncode=process.returncode,
    )


def _counters(fleet: Fleet) -> dict[str, dict[str, int]]:
    return {name: fleet.endpoint.stats(name) for name in fleet.hosts}


def _reachable(fleet: Fleet) -> list[str]:
    return [name for name, binding in fleet.endpoint.bindings.items() if not binding.refused]


def traffic_per_host(workdir: pathlib.Path) -> dict[str, dict[str, tuple[int, int]]]:
    """Per phase and counter, the (min, max) per reachable host over the mixed scenario."""
    phases: dict[str, dict[str, tuple[int, int]]] = {}
    runs = {
        "audit (--check)": ("fresh", ["--check"]),
        "conversion, no activation": ("fresh", ["-e", "kms_client_activate=false"]),
        "conversion with activation": ("fresh", []),
        "second run": ("again", []),
    }
    fleet: Fleet | None = None
    for phase, (fleet_kind, args) in runs.items():
        if fleet_kind == "fresh":
            if fleet is not None:
                fleet.endpoint.stop()
            fleet = Fleet(SCENARIO).__enter__()
        assert fleet is not None
        inventory = fleet.write_inventory(workdir / "inventory.yml")
        before = _counters(fleet)
        report = workdir / re.sub(r"\W+", "_", phase)
        measured_playbook(PLAYBOOK, inventory, workdir, "-e", f"kms_client_report_dest={report}", *args)
        after = _counters(fleet)
        phases[phase] = {}
        for counter in COUNTERS:
            deltas = [after[name][counter] - before[name][counter] for name in _reachable(fleet)]
            phases[phase][counter] = (min(deltas), max(deltas))
    if fleet is not None:
        fleet.endpoint.stop()
    return phases


def module_against_baseline(hosts: int, forks: int, workdir: pathlib.Path) -> dict[str, Measure]:
    """kms_client_key (check mode) and the do-nothing module, one task per host, same fleet and connection."""
    scenario = fleet_scenario(hosts)
    scenario["hosts"] = [
        host for host in scenario["hosts"] if not any("transport" in f for f in host.get("faults", []))
    ]
    results = {}
    with Fleet(scenario) as fleet:
        inventory = fleet.write_inventory(workdir / "inventory.yml")
        for label, module in (
            ("kms_client_key", "volume_activation.kms.kms_client_key"),
            ("baseline", "winsim_baseline"),
        ):
            play = workdir / f"{label}.yml"
            play.write_text(MODULE_PLAY.format(name=label, module=module), encoding="utf-8")
            env = {"ANSIBLE_LIBRARY": str(BASELINE_LIBRARY)}
            results[label] = measured_playbook(play, inventory, workdir, "--forks", str(forks), env=env)
        executions = sum(s["worker_executions"] for s in _counters(fleet).values())
        baselines = sum(fleet.endpoint.baseline_executions(name) for name in fleet.hosts)
        if (executions, baselines) != (len(fleet.hosts), len(fleet.hosts)):
            raise SystemExit(f"expected {len(fleet.hosts)} runs of each module, got {executions} and {baselines}")
    return results


def audit(fleet: Fleet, forks: int, workdir: pathlib.Path) -> AuditRun:
    """One --check run of convert-to-kms.yml; checks every host is reported once and ran the worker once."""
    inventory = fleet.write_inventory(workdir / "inventory.yml")
    before = sum(s["worker_executions"] for s in _counters(fleet).values())
    report_dir = workdir / f"audit-{len(fleet.hosts)}-{forks}"
    measure = measured_playbook(
        PLAYBOOK, inventory, workdir, "--check", "--forks", str(forks), "-e", f"kms_client_report_dest={report_dir}"
    )
    executions = sum(s["worker_executions"] for s in _counters(fleet).values()) - before
    rows = json.loads((report_dir / "kms_audit.json").read_text(encoding="utf-8"))["hosts"]
    reported = sorted(row["host"] for row in rows if row.get("status"))
    reachable = len(_reachable(fleet))
    return AuditRun(len(fleet.hosts), forks, measure, reported == sorted(fleet.hosts), executions, reachable)


def idle_simulator(hosts: int, seconds: float) -> tuple[float, float]:
    """Seconds to bring ``hosts`` simulated hosts up, and CPU seconds per second they use while idle."""
    started = time.perf_counter()
    with Fleet(fleet_scenario(hosts)):
        up = time.perf_counter() - started
        before = _cpu_self()
        time.sleep(seconds)
        return up, (_cpu_self() - before) / seconds


def catalog_figures() -> tuple[float, float]:
    """Import time of the GVLK catalog in a fresh interpreter (ms) and resolve() per call (µs)."""
    probe = textwrap.dedent(
        """
        import sys, time, timeit
        sys.path.insert(0, sys.argv[1])
        started = time.perf_counter()
        from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
        imported = time.perf_counter() - started
        calls = 2000
        per_call = timeit.timeit(lambda: gvlk_catalog.resolve(edition_id="ServerDatacenter", build=20348), number=calls)
        print(imported * 1000, per_call / calls * 1e6)
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", probe, str(REPO / ".collections")], capture_output=True, text=True, check=True
    ).stdout
    imported_ms, per_call_us = (float(value) for value in output.split())
    return imported_ms, per_call_us


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _y in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return slope, mean_y - slope * mean_x


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(
    arguments: argparse.Namespace,
    *,
    counts: dict[str, dict[str, tuple[int, int]]] | None,
    baseline: dict[str, Measure] | None,
    audits: list[AuditRun],
    idle: tuple[float, float] | None,
    catalog: tuple[float, float],
) -> str:
    """The measured figures as Markdown."""
    out = [
        f"Run of `tools/benchmark_fleet.py {' '.join(sys.argv[1:])}` on {time.strftime('%Y-%m-%d', time.gmtime())}: "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {_ansible_version()}.",
        "",
    ]
    if counts:
        out += ["### Traffic per reachable host (mixed scenario, 21 hosts)", ""]
        rows = []
        for phase, figures in counts.items():
            rows.append([phase] + [f"{lo}" if lo == hi else f"{lo}–{hi}" for lo, hi in (figures[c] for c in COUNTERS)])
        out += [_table(["phase", "worker executions", "WinRS commands", "HTTP requests"], rows), ""]
    if baseline:
        hosts = arguments.baseline_hosts
        module, noop = baseline["kms_client_key"], baseline["baseline"]
        out += [f"### kms_client_key against a do-nothing module ({hosts} hosts, forks {arguments.baseline_forks})", ""]
        rows = [
            [label, f"{m.wall:.1f}", f"{m.controller_cpu:.1f}", f"{m.controller_cpu / hosts * 1000:.0f}"]
            for label, m in (("kms_client_key (check mode)", module), ("Ansible.Basic ExitJson only", noop))
        ]
        out += [_table(["module", "wall s", "controller CPU s", "controller CPU ms/host"], rows), ""]
        out += [f"Ratio of controller CPU per host: **{module.controller_cpu / noop.controller_cpu:.2f}×**.", ""]
    if audits:
        out += ["### Audits of convert-to-kms.yml (`--check`)", ""]
        rows = []
        for run in audits:
            m = run.measure
            lost = "yes" if run.reported_once and run.worker_executions == run.reachable else "NO"
            rows.append(
                [
                    str(run.hosts),
                    str(run.forks),
                    f"{m.wall:.1f}",
                    f"{m.controller_cpu:.1f}",
                    f"{m.controller_cpu / run.hosts * 1000:.0f}",
                    f"{m.simulator_cpu:.1f}",
                    f"{(m.controller_cpu + m.simulator_cpu) / m.wall:.2f}",
                    f"{m.peak_rss_mb:.0f}",
                    f"{run.worker_executions}/{run.reachable}",
                    lost,
                ]
            )
        header = [
            "hosts",
            "forks",
            "wall s",
            "controller CPU s",
            "CPU ms/host",
            "simulator CPU s",
            "cores busy",
            "peak RSS MiB",
            "worker runs/reachable",
            "every host once",
        ]
        out += [_table(header, rows), ""]
        fits = []
        for forks in sorted({run.forks for run in audits}):
            points = [run for run in audits if run.forks == forks]
            if len({run.hosts for run in points}) < 2:
                continue
            cpu = linear_fit([(run.hosts, run.measure.controller_cpu) for run in points])
            wall = linear_fit([(run.hosts, run.measure.wall) for run in points])
            fits.append(
                [str(forks), f"{cpu[0] * 1000:.0f}", f"{cpu[1]:.1f}", f"{wall[0] * 1000:.0f}", f"{wall[1]:.1f}"]
            )
        if fits:
            out += ["Linear fit over the sizes (per host growth and fixed cost):", ""]
            out += [_table(["forks", "CPU ms/host", "CPU fixed s", "wall ms/host", "wall fixed s"], fits), ""]
        executions = sum(run.worker_executions for run in audits)
        simulator = sum(run.measure.simulator_cpu for run in audits)
        if executions:
            out += [f"Simulator CPU per worker execution: {simulator / executions * 1000:.1f} ms.", ""]
    if idle:
        out += [
            f"Simulator at rest: {arguments.idle_hosts} hosts listening (up in {idle[0]:.1f} s) use "
            f"{idle[1] * 100:.2f}% of one CPU.",
            "",
        ]
    out += [
        f"GVLK catalog: import {catalog[0]:.1f} ms in a fresh interpreter, `resolve()` {catalog[1]:.1f} µs per call.",
        "",
    ]
    return "\n".join(out)


def _ansible_version() -> str:
    return f"ansible-core {importlib.metadata.version('ansible-core')}"


def write_document(figures: str, path: pathlib.Path) -> None:
    """Replace the generated block of docs/performance.md (the prose around it stays)."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n{figures}\n{END}{tail}", encoding="utf-8")


def _numbers(text: str) -> list[int]:
    return [int(value) for value in text.split(",") if value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", type=_numbers, default=[100, 300, 1000, 3000], help="audit sizes, e.g. 100,300")
    parser.add_argument("--forks", type=_numbers, default=[10, 25, 50], help="ansible-playbook --forks, e.g. 25,50")
    parser.add_argument("--quick", action="store_true", help="sizes 100,300 at forks 25, baseline on 50 hosts")
    parser.add_argument("--baseline-hosts", type=int, default=100, help="fleet size for the module/baseline ratio")
    parser.add_argument("--baseline-forks", type=int, default=25)
    parser.add_argument("--idle-hosts", type=int, default=5000, help="hosts served for the idle measurement")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: counts,baseline,audits,idle")
    parser.add_argument("--output", type=pathlib.Path, default=DOCUMENT, help="Markdown file to update ('-': none)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.forks, arguments.baseline_hosts, arguments.idle_hosts = [100, 300], [25], 50, 1000
    skip = set(arguments.skip.split(","))
    with tempfile.TemporaryDirectory(prefix="kms-bench-") as tmp:
        workdir = pathlib.Path(tmp)
        counts = None if "counts" in skip else traffic_per_host(workdir)
        baseline = None
        if "baseline" not in skip:
            baseline = module_against_baseline(arguments.baseline_hosts, arguments.baseline_forks, workdir)
        audits = []
        if "audits" not in skip:
            for size in arguments.sizes:
                with Fleet(fleet_scenario(size)) as fleet:
                    for forks in arguments.forks:
                        audits.append(audit(fleet, forks, workdir))
                        m = audits[-1].measure
                        print(
                            f"audit {size} hosts forks {forks}: {m.wall:.1f} s wall, {m.controller_cpu:.1f} s "
                            f"controller CPU, {m.simulator_cpu:.1f} s simulator CPU",
                            flush=True,
                        )
        idle = None if "idle" in skip else idle_simulator(arguments.idle_hosts, 10.0)
        figures = render(
            arguments, counts=counts, baseline=baseline, audits=audits, idle=idle, catalog=catalog_figures()
        )
    print(figures)
    if str(arguments.output) != "-":
        write_document(figures, arguments.output)
        print(f"written: {arguments.output}")


if __name__ == "__main__":
    main()
