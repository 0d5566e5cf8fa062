"""Ansible callback: the controller's wall time and CPU seconds for each task of a run, as a JSON file.

Enabled by tools/benchmark_fleet.py --profile (ANSIBLE_CALLBACK_PLUGINS=tools/callback,
ANSIBLE_CALLBACKS_ENABLED=task_cost, KMS_TASK_COST_FILE=<file to write>). A task's CPU is user+sys of
ansible-playbook and of the worker processes it reaped while the task ran: at each task start the workers of
the task before are reaped first (bounded wait), so that their CPU is counted to the task they ran.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_cost
type: aggregate
short_description: write each task's controller wall time and CPU seconds to KMS_TASK_COST_FILE
description:
  - Benchmark tooling of volume_activation.kms; one entry per task in the order the tasks ran.
requirements:
  - enable in configuration (ANSIBLE_CALLBACKS_ENABLED=task_cost)
"""

REAP_SECONDS = 2.0


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def _reap_workers() -> None:
    """Wait (at most REAP_SECONDS) for the workers that already sent their result to exit, and reap them."""
    deadline = time.monotonic() + REAP_SECONDS
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.01)


class CallbackModule(CallbackBase):
    """Collect [{task, play, wall, cpu}] and write them to $KMS_TASK_COST_FILE when the run ends."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_cost"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._play = ""
        self._entries: list[dict[str, Any]] = []
        self._open: tuple[str, str, float, float] | None = None
        self._first: tuple[float, float] = (time.perf_counter(), _cpu())

    def _close(self) -> None:
        _reap_workers()
        if self._open is not None:
            play, task, wall, cpu = self._open
            self._entries.append({"play": play, "task": task, "wall": time.perf_counter() - wall, "cpu": _cpu() - cpu})
            self._open = None

    def _start(self, task: Any) -> None:
        self._close()
        self._open = (self._play, task.get_name(), time.perf_counter(), _cpu())

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._close()
        self._play = play.get_name()

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self._start(task)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        self._close()
        path = os.environ.get("KMS_TASK_COST_FILE")
        if not path:
            return
        wall, cpu = self._first
        total = {"wall": time.perf_counter() - wall, "cpu": _cpu() - cpu}
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"tasks": self._entries, "from_first_callback": total}, out, indent=1)
