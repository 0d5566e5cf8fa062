#!/usr/bin/env python
"""Measure convert-to-kms.yml against simulated fleets, print the figures and write them to docs/performance.md.

    .venv/bin/python tools/benchmark_fleet.py                       # the full matrix (long)
    .venv/bin/python tools/benchmark_fleet.py --quick               # 100 and 300 hosts at forks 25
    .venv/bin/python tools/benchmark_fleet.py --sizes 100,300,1000 --forks 25,50
    .venv/bin/python tools/benchmark_fleet.py --sizes 200 --forks 25 --repeat 2 --skip counts,baseline,idle --output -
    .venv/bin/python tools/benchmark_fleet.py --skip counts,idle,catalog,audits,profile --baseline-hosts 200 --repeat 5 --output -
    .venv/bin/python tools/benchmark_fleet.py --ten-thousand       # the 10,000-host audit alone (by hand, not in CI)
    .venv/bin/python tools/benchmark_fleet.py --ten-thousand --serial 1000   # the same in batches of 1000 hosts

Every figure comes from real ansible-playbook runs over the real winrm connection plugin against the
simulator served in this process: the traffic each host received (the fleet's counters), controller CPU
(user+sys of ansible-playbook and every process it waited for, from wait4) and its largest resident set,
the simulator's own CPU (this process), the cost of the collection's module and of the whole playbook (audit and
conversion) against a do-nothing PowerShell module through the same connection on one fleet, the controller's CPU per task of the playbook (the callback
tools/callback/task_cost.py), and the GVLK catalog's import and lookup times. The document is rewritten after
every audit, so that an interrupted matrix keeps the cells it measured (the others read "not measured").
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
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import typing as t

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO / ".collections")]

from winsim.engine.process import engine_cpu_seconds  # noqa: E402  (needs the path above)
from winsim.fleet import Fleet, repeated_scenario  # noqa: E402
from winsim.wsman.playbook import playbook_environment  # noqa: E402

SCENARIO = REPO / "tools" / "winsim" / "scenarios" / "mixed_fleet.yml"
PLAYBOOK = REPO / "convert-to-kms.yml"
BASELINE_LIBRARY = REPO / "tools" / "winsim" / "wsman" / "modules"
CALLBACKS = REPO / "tools" / "callback"
RUSAGE_PLAYBOOK = REPO / "tools" / "rusage_playbook.py"
# Bound of one ansible-playbook run: far above the largest audit of the matrix (3000 hosts) on 2 shared cores.
RUN_TIMEOUT = 3600
DOCUMENT = REPO / "docs" / "performance.md"
# The largest audit, run by hand (--ten-thousand), never in CI.
LARGE_FLEET, LARGE_FORKS = 10_000, 50
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
    load_average: float  # 1-minute load average of the machine when the run started (it may be shared)
    main_cpu: float  # of controller_cpu, ansible-playbook's main process (the serial part); the rest is its workers'
    workers_system: float  # of the workers' CPU, the kernel's (page faults: each worker copies what it touches)


@dataclasses.dataclass(frozen=True)
class AuditRun:
    """One audit of the scale matrix."""

    hosts: int
    forks: int
    measure: Measure
    reported_once: bool  # every host of the fleet is in kms_audit.json exactly once, with a status
    worker_executions: int
    reachable: int
    lost: int  # reachable hosts the worker did not run on
    duplicated: int  # hosts the worker ran on more than once (or at all, for a refused host)

    @property
    def expected_returncodes(self) -> tuple[int, ...]:
        """ansible-playbook's exit codes: 4 when a host is unreachable (the mixed fleet has some), else 0 or 2."""
        return (4,) if self.reachable < self.hosts else (0, 2)

    @property
    def exact(self) -> bool:
        """Every host reported once and every reachable host's worker run exactly once."""
        return self.reported_once and not self.lost and not self.duplicated


@dataclasses.dataclass(frozen=True)
class TaskCost:
    """One task of a profiled run: the controller's wall and CPU seconds while it ran."""

    play: str
    task: str
    wall: float
    cpu: float


def fleet_scenario(hosts: int) -> dict[str, t.Any]:
    """The mixed scenario's hosts repeated until there are ``hosts`` of them."""
    return repeated_scenario(SCENARIO, hosts)


def _cpu_self() -> float:
    """The simulator's CPU: this process and the Mono processes that run the worker's engine for it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + engine_cpu_seconds()


def measured_playbook(
    playbook: pathlib.Path,
    inventory: pathlib.Path,
    workdir: pathlib.Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> Measure:
    """Run ansible-playbook and take its resource usage (with its waited-for descendants) from wait4."""
    rusage = workdir / "rusage.json"
    rusage.unlink(missing_ok=True)
    environment = playbook_environment(
        workdir, [REPO / ".collections"], {**(env or {}), "KMS_RUSAGE_FILE": str(rusage)}
    )
    log = workdir / "ansible-playbook.log"
    load_average = os.getloadavg()[0]
    simulator_before, started = _cpu_self(), time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(RUSAGE_PLAYBOOK), "-i", str(inventory), str(playbook), *args],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a run past RUN_TIMEOUT is killed with its workers
        )
        timer = threading.Timer(RUN_TIMEOUT, os.killpg, (process.pid, signal.SIGKILL))
        timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if wall >= RUN_TIMEOUT:
        raise SystemExit(f"ansible-playbook did not finish within {RUN_TIMEOUT} s (killed); log: {log}")
    split = json.loads(rusage.read_text(encoding="utf-8"))
    return Measure(
        wall=wall,
        controller_cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        simulator_cpu=_cpu_self() - simulator_before,
        returncode=process.returncode,
        load_average=load_average,
        main_cpu=split["main_cpu"],
        workers_system=split["workers_system"],
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


@dataclasses.dataclass(frozen=True)
class BaselineRun:
    """One run of the baseline comparison: its measure and, for the playbook, the worker executions per host."""

    hosts: int
    measure: Measure
    executions: tuple[int, int]  # the fewest and the most worker executions of a host
    lost: int = 0
    duplicated: int = 0
    reported_once: bool = True


# The baseline comparison, in the order it runs on one fleet: label, then what is run (module or playbook) and how.
BASELINE_RUNS = (
    ("do-nothing module (Ansible.Basic ExitJson only, check mode)", "winsim_baseline"),
    ("kms_client_key alone (check mode)", "volume_activation.kms.kms_client_key"),
    ("whole audit (convert-to-kms.yml --check)", "audit"),
    ("whole conversion (convert-to-kms.yml)", "conversion"),
)


def playbook_against_baseline(hosts: int, forks: int, workdir: pathlib.Path) -> dict[str, BaselineRun]:
    """On one fleet (no host with a transport fault) and one connection: the do-nothing module and kms_client_key,
    one task per host, then the whole playbook as an audit and as a conversion.

    The audit must run the worker once on every host and the conversion at most twice; both must report every host
    once (the tool exits non-zero otherwise).
    """
    scenario = fleet_scenario(hosts)
    scenario["hosts"] = [
        host for host in scenario["hosts"] if not any("transport" in f for f in host.get("faults", []))
    ]
    results: dict[str, BaselineRun] = {}
    with Fleet(scenario) as fleet:
        inventory = fleet.write_inventory(workdir / "inventory.yml")
        for label, run in BASELINE_RUNS:
            before = _counters(fleet)
            report_dir = workdir / f"baseline-{run}"
            shutil.rmtree(report_dir, ignore_errors=True)
            if run in ("audit", "conversion"):
                check = ["--check"] if run == "audit" else []
                report = ["-e", f"kms_client_report_dest={report_dir}"]
                measure = measured_playbook(PLAYBOOK, inventory, workdir, *check, "--forks", str(forks), *report)
            else:
                play = workdir / "module.yml"
                play.write_text(MODULE_PLAY.format(name=label, module=run), encoding="utf-8")
                env = {"ANSIBLE_LIBRARY": str(BASELINE_LIBRARY)}
                measure = measured_playbook(play, inventory, workdir, "--forks", str(forks), env=env)
            after = _counters(fleet)
            runs = [after[name]["worker_executions"] - before[name]["worker_executions"] for name in fleet.hosts]
            if run == "winsim_baseline":  # it runs first, on a fresh fleet: its count is this run's
                runs = [fleet.endpoint.baseline_executions(name) for name in fleet.hosts]
            most = 2 if run == "conversion" else 1
            results[label] = BaselineRun(
                len(fleet.hosts),
                measure,
                (min(runs), max(runs)),
                lost=sum(1 for count in runs if count < 1),
                duplicated=sum(1 for count in runs if count > most),
                reported_once=run not in ("audit", "conversion") or _reported(report_dir) == sorted(fleet.hosts),
            )
    return results


def _reported(report_dir: pathlib.Path) -> list[str]:
    """The hosts kms_audit.json names with a status, sorted (empty without a report)."""
    report = report_dir / "kms_audit.json"
    rows = json.loads(report.read_text(encoding="utf-8"))["hosts"] if report.exists() else []
    return sorted(str(row.get("host")) for row in rows if row.get("status"))


def audit(
    fleet: Fleet, forks: int, workdir: pathlib.Path, env: dict[str, str] | None = None, serial: str | None = None
) -> AuditRun:
    """One --check run of convert-to-kms.yml, with the fleet's per-host counters and the report checked.

    An audit runs the worker once on every reachable host and never on a refused one (the counts
    tests/integration/test_fleet_counts.py asserts); every host is in the report once, with a status.
    """
    inventory = fleet.write_inventory(workdir / "inventory.yml")
    before = _counters(fleet)
    report_dir = workdir / f"audit-{len(fleet.hosts)}-{forks}"
    shutil.rmtree(report_dir, ignore_errors=True)
    measure = measured_playbook(
        PLAYBOOK,
        inventory,
        workdir,
        "--check",
        "--forks",
        str(forks),
        "-e",
        f"kms_client_report_dest={report_dir}",
        *(["-e", f"kms_client_serial={serial}"] if serial else []),
        env=env,
    )
    after = _counters(fleet)
    reachable = set(_reachable(fleet))
    runs = {name: after[name]["worker_executions"] - before[name]["worker_executions"] for name in fleet.hosts}
    report = report_dir / "kms_audit.json"
    rows = json.loads(report.read_text(encoding="utf-8"))["hosts"] if report.exists() else []
    reported = sorted(str(row.get("host")) for row in rows if row.get("status"))
    return AuditRun(
        hosts=len(fleet.hosts),
        forks=forks,
        measure=measure,
        reported_once=reported == sorted(fleet.hosts),
        worker_executions=sum(runs.values()),
        reachable=len(reachable),
        lost=sum(1 for name in reachable if runs[name] < 1),
        duplicated=sum(1 for name, count in runs.items() if count > (1 if name in reachable else 0)),
    )


def profiled_audit(hosts: int, forks: int, workdir: pathlib.Path) -> tuple[AuditRun, list[TaskCost]]:
    """An audit with the task_cost callback: the controller's CPU per task of the playbook."""
    costs = workdir / "task_cost.json"
    env = {
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "task_cost",
        "KMS_TASK_COST_FILE": str(costs),
    }
    with Fleet(fleet_scenario(hosts)) as fleet:
        run = audit(fleet, forks, workdir, env)
    tasks = json.loads(costs.read_text(encoding="utf-8"))["tasks"]
    return run, [TaskCost(**task) for task in tasks]


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


@dataclasses.dataclass(frozen=True)
class Fit:
    """Least-squares line y = slope * x + intercept, with how well it fits."""

    slope: float
    intercept: float
    r_squared: float
    worst_residual: float  # the largest |y - fit| relative to y


def linear_fit(points: list[tuple[float, float]]) -> Fit:
    """Least-squares slope and intercept, R² and the largest relative residual."""
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _y in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    intercept = mean_y - slope * mean_x
    residuals = [y - (slope * x + intercept) for x, y in points]
    total = sum((y - mean_y) ** 2 for _x, y in points)
    r_squared = 1 - sum(r * r for r in residuals) / total if total else 1.0
    worst = max((abs(r) / y for r, (_x, y) in zip(residuals, points, strict=True) if y), default=0.0)
    return Fit(slope, intercept, r_squared, worst)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


SPLIT_HEADER = "ms/host: main process / workers (kernel)"


def _split(m: Measure, hosts: int) -> str:
    """Controller CPU per host: ansible-playbook's main process, its workers, and the kernel's part of the workers'."""
    workers = m.controller_cpu - m.main_cpu
    return f"{m.main_cpu / hosts * 1000:.0f} / {workers / hosts * 1000:.0f} ({m.workers_system / hosts * 1000:.0f})"


def _cores_busy(m: Measure) -> float:
    return (m.controller_cpu + m.simulator_cpu) / m.wall


def _audit_rows(audits: list[AuditRun]) -> list[str]:
    rows = []
    for run in audits:
        m = run.measure
        rows.append(
            [
                str(run.hosts),
                str(run.forks),
                f"{m.wall:.1f}",
                f"{m.controller_cpu:.1f}",
                f"{m.controller_cpu / run.hosts * 1000:.0f}",
                _split(m, run.hosts),
                f"{m.simulator_cpu:.1f}",
                f"{_cores_busy(m):.2f}",
                f"{m.load_average:.1f}",
                f"{m.peak_rss_mb:.0f}",
                f"{run.worker_executions}/{run.reachable}",
                f"{run.lost}/{run.duplicated}",
                "yes" if run.reported_once else "NO",
            ]
        )
    header = [
        "hosts",
        "forks",
        "wall s",
        "controller CPU s",
        "CPU ms/host",
        SPLIT_HEADER,
        "simulator CPU s",
        "cores busy",
        "load avg",
        "peak RSS MiB",
        "worker runs/reachable",
        "lost/duplicated",
        "every host once",
    ]
    return [_table(header, rows), ""]


def _matrix(audits: list[AuditRun], sizes: list[int], forks: list[int]) -> list[str]:
    """Controller CPU ms per host for every size and forks asked, the lowest of its runs; 'not measured' if none."""
    rows = []
    for size in sizes:
        row = [str(size)]
        for fork in forks:
            cell = [
                run.measure.controller_cpu / size * 1000 for run in audits if (run.hosts, run.forks) == (size, fork)
            ]
            row.append(f"{min(cell):.0f}" if cell else "not measured")
        rows.append(row)
    return [_table(["hosts"] + [f"forks {fork}" for fork in forks], rows), ""]


def _fits(audits: list[AuditRun]) -> list[str]:
    rows = []
    for forks in sorted({run.forks for run in audits}):
        points = [run for run in audits if run.forks == forks]
        if len({run.hosts for run in points}) < 2:
            continue
        cpu = linear_fit([(run.hosts, run.measure.controller_cpu) for run in points])
        wall = linear_fit([(run.hosts, run.measure.wall) for run in points])
        rows.append(
            [
                str(forks),
                str(len(points)),
                f"{cpu.slope * 1000:.0f}",
                f"{cpu.intercept:.1f}",
                f"{cpu.r_squared:.4f}",
                f"{cpu.worst_residual * 100:.1f}%",
                f"{wall.slope * 1000:.0f}",
                f"{wall.intercept:.1f}",
                f"{wall.r_squared:.4f}",
            ]
        )
    if not rows:
        return []
    header = [
        "forks",
        "runs",
        "CPU ms/host",
        "CPU fixed s",
        "CPU R²",
        "CPU worst residual",
        "wall ms/host",
        "wall fixed s",
        "wall R²",
    ]
    return [
        "Linear fit over the sizes (growth per host, fixed cost, R² and the largest residual):",
        "",
        _table(header, rows),
        "",
    ]


def _task_label(cost: TaskCost) -> str:
    """``play: task`` without the role's prefix and the argument spec's description."""
    task = cost.task.split(" : ", 1)[-1].split(" - ", 1)[0]
    return f"{cost.play}: {task}".replace("|", "/")


def _profile(run: AuditRun, tasks: list[TaskCost]) -> list[str]:
    total = run.measure.controller_cpu
    rows = [
        [
            _task_label(cost),
            f"{cost.wall:.1f}",
            f"{cost.cpu:.1f}",
            f"{cost.cpu / run.hosts * 1000:.0f}",
            f"{cost.cpu / total * 100:.0f}%",
        ]
        for cost in tasks
    ]
    outside = total - sum(cost.cpu for cost in tasks)
    rows.append(
        ["start-up, parsing, end of the run (no task)", "", f"{outside:.1f}", "", f"{outside / total * 100:.0f}%"]
    )
    return [
        f"### Controller CPU per task (audit of {run.hosts} hosts, forks {run.forks}, {total:.1f} s in all)",
        "",
        _table(["play: task", "wall s", "CPU s", "CPU ms/host", "share"], rows),
        "",
    ]


def _baseline(rounds: list[dict[str, BaselineRun]], forks: int) -> list[str]:
    """The do-nothing module, kms_client_key alone and the whole playbook on one fleet per round, per host and as
    ratios; with several rounds, the median of each run's ratio over the rounds as well."""
    hosts = rounds[0][BASELINE_RUNS[0][0]].hosts
    rows = []
    ratios: dict[str, list[float]] = {label: [] for label, _run in BASELINE_RUNS}
    for number, runs in enumerate(rounds, start=1):
        bare = runs[BASELINE_RUNS[0][0]].measure.controller_cpu
        for label, run in runs.items():
            m = run.measure
            low, high = run.executions
            ratios[label].append(m.controller_cpu / bare)
            rows.append(
                ([str(number)] if len(rounds) > 1 else [])
                + [
                    label,
                    f"{m.wall:.1f}",
                    f"{m.controller_cpu:.1f}",
                    f"{m.controller_cpu / hosts * 1000:.0f}",
                    f"{m.controller_cpu / bare:.2f}×",
                    _split(m, hosts),
                    f"{m.load_average:.1f}",
                    f"{m.peak_rss_mb:.0f}",
                    str(low) if low == high else f"{low}–{high}",
                    f"{run.lost}/{run.duplicated}",
                    "yes" if run.reported_once else "NO",
                ]
            )
    header = ([] if len(rounds) == 1 else ["round"]) + [
        "run",
        "wall s",
        "controller CPU s",
        "CPU ms/host",
        "against the do-nothing module",
        SPLIT_HEADER,
        "load avg",
        "peak RSS MiB",
        "worker runs per host",
        "lost/duplicated",
        "every host once",
    ]
    fleets = "one fleet" if len(rounds) == 1 else f"{len(rounds)} rounds, each on a fresh fleet"
    out = [
        f"### The playbook against a do-nothing module ({hosts} hosts without transport faults, forks {forks}, {fleets})",
        "",
        _table(header, rows),
        "",
    ]
    if len(rounds) > 1:
        medians = ", ".join(f"{label}: {statistics.median(values):.2f}×" for label, values in list(ratios.items())[1:])
        out += [
            f"Median over the {len(rounds)} rounds of each run's ratio to its round's do-nothing module: {medians}.",
            "",
        ]
    return out


def render(
    arguments: argparse.Namespace,
    *,
    counts: dict[str, dict[str, tuple[int, int]]] | None,
    baseline: list[dict[str, BaselineRun]] | None,
    audits: list[AuditRun],
    profile: tuple[AuditRun, list[TaskCost]] | None,
    idle: tuple[float, float] | None,
    catalog: tuple[float, float] | None,
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
        out += _baseline(baseline, arguments.baseline_forks)
    if profile:
        out += _profile(*profile)
    if arguments.sizes and arguments.forks and "audits" not in arguments.skip:
        out += ["### Audits of convert-to-kms.yml (`--check`)", ""]
        out += ["Controller CPU ms per host (the lowest of the runs of a cell):", ""]
        out += _matrix(audits, arguments.sizes, arguments.forks)
    if audits:
        out += ["Every run:", ""]
        out += _audit_rows(audits)
        out += _fits(audits)
        busiest = max(audits, key=lambda run: _cores_busy(run.measure))
        out += [
            f"Busiest run: {busiest.hosts} hosts at forks {busiest.forks}, {_cores_busy(busiest.measure):.2f} of "
            f"{os.cpu_count()} cores busy (controller and simulator CPU over wall time).",
            "",
        ]
        executions = sum(run.worker_executions for run in audits)
        simulator = sum(run.measure.simulator_cpu for run in audits)
        if executions:
            out += [f"Simulator CPU per worker execution: {simulator / executions * 1000:.1f} ms.", ""]
    missing = [
        label
        for part, label in (
            ("counts", "traffic per host"),
            ("baseline", "the playbook against a do-nothing module"),
            ("idle", "the simulator at rest"),
        )
        if part not in arguments.skip and not {"counts": counts, "baseline": baseline, "idle": idle}[part]
    ]
    if missing:
        out += [f"Not measured yet in this run (it was interrupted or is still running): {', '.join(missing)}.", ""]
    if idle:
        out += [
            f"Simulator at rest: {arguments.idle_hosts} hosts listening (up in {idle[0]:.1f} s) use "
            f"{idle[1] * 100:.2f}% of one CPU.",
            "",
        ]
    if catalog:
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


def _cells(text: str) -> list[tuple[int, int]]:
    """``100x10,3000x25`` -> [(100, 10), (3000, 25)]: (hosts, forks) of each audit."""
    cells = []
    for cell in text.split(","):
        hosts, _x, forks = cell.partition("x")
        cells.append((int(hosts), int(forks)))
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", type=_numbers, default=[100, 300, 1000, 3000], help="audit sizes, e.g. 100,300")
    parser.add_argument("--forks", type=_numbers, default=[10, 25, 50], help="ansible-playbook --forks, e.g. 25,50")
    parser.add_argument(
        "--cells",
        type=_cells,
        help="audits to run, in this order, instead of every size at every forks: 100x10,3000x25",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each audit (size and forks), and rounds of the baseline comparison, each on a fresh fleet",
    )
    parser.add_argument("--serial", help="kms_client_serial of the audits (batches of the conversion play), e.g. 1000")
    parser.add_argument(
        "--quick", action="store_true", help="sizes 100,300 at forks 25, baseline and profile on 50 hosts"
    )
    parser.add_argument(
        "--ten-thousand",
        action="store_true",
        help=f"the audit of {LARGE_FLEET} hosts at forks {LARGE_FORKS} alone (by hand: 20 minutes or more on 2 cores)",
    )
    parser.add_argument(
        "--baseline-hosts", type=int, default=100, help="fleet size for the playbook against the do-nothing module"
    )
    parser.add_argument("--baseline-forks", type=int, default=25)
    parser.add_argument("--profile-hosts", type=int, default=200, help="fleet size of the audit profiled per task")
    parser.add_argument("--profile-forks", type=int, default=25)
    parser.add_argument("--idle-hosts", type=int, default=5000, help="hosts served for the idle measurement")
    parser.add_argument(
        "--skip", default="", help="comma-separated parts to skip: counts,baseline,profile,audits,idle,catalog"
    )
    parser.add_argument("--output", type=pathlib.Path, default=DOCUMENT, help="Markdown file to update ('-': none)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.forks, arguments.baseline_hosts, arguments.idle_hosts = [100, 300], [25], 50, 1000
        arguments.profile_hosts = 50
    if arguments.ten_thousand:
        arguments.cells = [(LARGE_FLEET, LARGE_FORKS)]
        arguments.skip = ",".join(("counts", "baseline", "profile", "idle", "catalog", arguments.skip))
    if arguments.cells:
        arguments.sizes = list(dict.fromkeys(hosts for hosts, _forks in arguments.cells))
        arguments.forks = sorted({forks for _hosts, forks in arguments.cells})
    else:
        arguments.cells = [(hosts, forks) for hosts in arguments.sizes for forks in arguments.forks]
    arguments.skip = set(arguments.skip.split(","))
    skip = arguments.skip
    parts: dict[str, t.Any] = {"counts": None, "baseline": None, "audits": [], "profile": None, "idle": None}
    parts["catalog"] = None if "catalog" in skip else catalog_figures()

    def publish() -> str:
        figures = render(
            arguments,
            counts=parts["counts"],
            baseline=parts["baseline"],
            audits=parts["audits"],
            profile=parts["profile"],
            idle=parts["idle"],
            catalog=parts["catalog"],
        )
        if str(arguments.output) != "-":
            write_document(figures, arguments.output)
        return figures

    with tempfile.TemporaryDirectory(prefix="kms-bench-") as tmp:
        workdir = pathlib.Path(tmp)
        if "profile" not in skip:
            parts["profile"] = profiled_audit(arguments.profile_hosts, arguments.profile_forks, workdir)
            publish()
        if "audits" not in skip:
            for size, forks in arguments.cells:  # in the order given, each on a fresh fleet
                for _attempt in range(arguments.repeat):
                    with Fleet(fleet_scenario(size)) as fleet:
                        run = audit(fleet, forks, workdir, serial=arguments.serial)
                    parts["audits"].append(run)
                    m = run.measure
                    print(
                        f"audit {size} hosts forks {forks}: {m.wall:.1f} s wall, {m.controller_cpu:.1f} s "
                        f"controller CPU, {m.simulator_cpu:.1f} s simulator CPU, load {m.load_average:.1f}, "
                        f"lost {run.lost}, duplicated {run.duplicated}, every host once: {run.reported_once}",
                        flush=True,
                    )
                    publish()
        if "counts" not in skip:
            parts["counts"] = traffic_per_host(workdir)
            publish()
        if "baseline" not in skip:
            parts["baseline"] = []
            for _round in range(arguments.repeat):  # each round on a fresh fleet
                runs = playbook_against_baseline(arguments.baseline_hosts, arguments.baseline_forks, workdir)
                parts["baseline"].append(runs)
                publish()
        if "idle" not in skip:
            parts["idle"] = idle_simulator(arguments.idle_hosts, 10.0)
        figures = publish()
    print(figures)
    if str(arguments.output) != "-":
        print(f"written: {arguments.output}")
    failed = [run for run in parts["audits"] if not run.exact or run.measure.returncode not in run.expected_returncodes]
    failed += [
        run
        for runs in parts["baseline"] or []
        for run in runs.values()
        if run.lost or run.duplicated or not run.reported_once
    ]
    if failed:
        raise SystemExit(f"{len(failed)} run(s) lost, duplicated or misreported hosts (see the tables)")


if __name__ == "__main__":
    main()
