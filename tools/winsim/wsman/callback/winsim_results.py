"""Ansible callback that records every task result as a JSON line, for tests that run ansible-playbook."""

from __future__ import annotations

import json
import os
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: winsim_results
type: aggregate
short_description: write each task result to the JSON-lines file named by WINSIM_RESULTS_FILE
description:
  - Test tooling of the Windows simulator; one line per host and task with the status and the result dict.
requirements:
  - enable in configuration (ANSIBLE_CALLBACKS_ENABLED=winsim_results)
"""


class CallbackModule(CallbackBase):
    """Append {host, task, status, result} lines to $WINSIM_RESULTS_FILE."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "winsim_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, status: str, result: Any) -> None:
        path = os.environ.get("WINSIM_RESULTS_FILE")
        if not path:
            return
        # ansible-core 2.19 hands a CallbackTaskResult with public names; older releases a TaskResult.
        host = getattr(result, "host", None) or result._host
        task = getattr(result, "task", None) or result._task
        data = result.result if hasattr(type(result), "result") else result._result
        line = {"host": host.get_name(), "task": task.get_name(), "status": status, "result": dict(data)}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result: object) -> None:
        self._record("ok", result)

    def v2_runner_on_failed(self, result: object, ignore_errors: bool = False) -> None:
        self._record("failed", result)

    def v2_runner_on_unreachable(self, result: object) -> None:
        self._record("unreachable", result)

    def v2_runner_on_skipped(self, result: object) -> None:
        self._record("skipped", result)
