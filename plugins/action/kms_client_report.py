# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for volume_activation.kms.kms_client_report: write the fleet audit files on the controller."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report_files import (
    FORMATS,
    prepare_dest,
    utc_timestamp,
    write_reports,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report_model import summary_line

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "results": {"type": "dict"},
    "hosts": {"type": "list", "elements": "str"},
    "result_var": {"type": "str", "default": "kms_client_result"},
    "dest": {"type": "path", "required": True},
    "formats": {"type": "list", "elements": "str", "choices": list(FORMATS), "default": list(FORMATS)},
    "mode": {"type": "str", "choices": ["auto", "check", "apply"], "default": "auto"},
}

Results = dict[str, t.Mapping[str, t.Any] | None]


def _checked(host: str, value: t.Any, origin: str) -> t.Mapping[str, t.Any] | None:
    if value is None or isinstance(value, t.Mapping):
        return value
    raise AnsibleActionFail(f"{origin} for host {host} is a {type(value).__name__}, not a registered task result")


def _registered(hostvars: t.Any, host: str, var: str) -> t.Any:
    """``hostvars[host][var]``, or None when the host or the variable does not exist."""
    if hostvars is None or host not in hostvars:
        return None
    variables = hostvars[host]
    return variables.get(var, None)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    # The report is the audit's output: it is written in check mode too.
    _supports_check_mode = True

    def _collect(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> Results:
        """Every host to report on, with its result (None when it has none)."""
        wanted = [str(host) for host in args["hosts"] or []]
        if args["results"] is not None:
            results: Results = {
                str(host): _checked(str(host), value, "results") for host, value in args["results"].items()
            }
        else:
            hostvars = task_vars.get("hostvars")
            var = args["result_var"]
            inventory = [str(host) for host in (task_vars.get("groups") or {}).get("all", [])]
            results = {}
            for host in dict.fromkeys(inventory + wanted):
                value = _checked(host, _registered(hostvars, host, var), f"hostvars[{host!r}][{var!r}]")
                if value is not None:
                    results[host] = value
        for host in wanted:
            results.setdefault(host, None)
        return results

    def run(self, tmp: str | None = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        if not args["formats"]:
            raise AnsibleActionFail(f"formats must name at least one of {', '.join(FORMATS)}")
        mode = args["mode"]
        if mode == "auto":
            mode = "check" if self._task.check_mode else "apply"
        results = self._collect(args, task_vars)
        try:
            dest = prepare_dest(args["dest"])
            report, files, changed = write_reports(dest, args["formats"], results, mode, utc_timestamp())
        except (OSError, ValueError) as error:
            raise AnsibleActionFail(f"cannot write the kms audit report: {error}") from error
        result.update(
            changed=bool(changed),
            files=files,
            summary=report["summary"],
            hosts=len(report["hosts"]),
            mode=mode,
            msg=summary_line(report, dest),
        )
        return result
