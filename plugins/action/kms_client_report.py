# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for volume_activation.kms.kms_client_report: write the fleet audit files on the controller."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import utc_timestamp
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._files import (
    FORMATS,
    prepare_dest,
    write_rows,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._merge import (
    MergeError,
    merge_rows,
    merged_mode,
    read_report,
    report_path,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import (
    failing_hosts,
    host_row,
    report_from_rows,
    summary_line,
    verdict_line,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._options import ARGUMENT_SPEC
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._record import (
    FleetRecord,
    FleetView,
    RecordError,
    fleet_view,
    record_path,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import fleet_line, render_table

Results = dict[str, t.Mapping[str, t.Any] | None]


@dataclass(frozen=True)
class RecordedRun:
    """Where the fleet record is, and the number it gave this run (None when the record could not be used)."""

    path: str
    run: int | None


Rows = dict[str, dict[str, t.Any]]
FACT = "kms_client"


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


def _cached_fact(hostvars: t.Any, host: str) -> t.Any:
    """``hostvars[host].ansible_facts.kms_client`` (the fact cache's copy for hosts not in this play), or None."""
    facts = _registered(hostvars, host, "ansible_facts")
    return facts.get(FACT) if isinstance(facts, t.Mapping) else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    # The report is the audit's output: it is written in check mode too.
    _supports_check_mode = True

    def _collect(self, args: dict[str, t.Any], task_vars: dict[str, t.Any], wanted: list[str]) -> Results:
        """Every host with a result (registered, or its cached fact), and that result."""
        if args["results"] is not None:
            return {str(host): _checked(str(host), value, "results") for host, value in args["results"].items()}
        hostvars = task_vars.get("hostvars")
        var = args["result_var"]
        inventory = [str(host) for host in (task_vars.get("groups") or {}).get("all", [])]
        results: Results = {}
        for host in dict.fromkeys(inventory + wanted):
            if args["results_from"] == "facts":
                value = _checked(host, _cached_fact(hostvars, host), f"hostvars[{host!r}].ansible_facts.{FACT}")
            else:
                value = _checked(host, _registered(hostvars, host, var), f"hostvars[{host!r}][{var!r}]")
            if value is not None:
                results[host] = value
        return results

    def _rows(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> tuple[Rows, str | None]:
        """One row per host with a result (merged reports, or this run's results), and the mode they tell."""
        if args["merge"]:
            try:
                reports = [read_report(report_path(path)) for path in args["merge"]]
            except MergeError as error:
                raise AnsibleActionFail(f"cannot merge the kms audit reports: {error}") from error
            return merge_rows(reports), merged_mode(report.mode for report in reports)
        wanted = [str(host) for host in args["hosts"] or []]
        results = self._collect(args, task_vars, wanted)
        if args["results_from"] == "facts":
            rows = {host: host_row(host, value, "facts") for host, value in results.items() if value is not None}
            return rows, merged_mode(value.get("mode") for value in results.values() if value is not None)
        return {host: host_row(host, value) for host, value in results.items()}, None

    @staticmethod
    def _record(
        dest: str, rows: Rows, mode: str, generated: str, view: str
    ) -> tuple[RecordedRun, FleetView, str | None]:
        """Add this run to the fleet record and the view the files show; when the record cannot be used, this run's
        rows and why (the report of this run is not lost with the record)."""
        own = FleetView(list(rows.values()), mode)
        path = record_path(dest)
        try:
            with FleetRecord(dest) as record:
                run = record.record(rows.values(), mode, generated)
                known = record.latest()
        except RecordError as error:
            return RecordedRun(path, None), own, f"the fleet record cannot be used: {error}"
        return RecordedRun(path, run.id), fleet_view(rows, known, run) if view == "fleet" else own, None

    def run(self, tmp: str | None = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        if not args["formats"]:
            raise AnsibleActionFail(f"formats must name at least one of {', '.join(FORMATS)}")
        if args["table_rows"] < 0:
            raise AnsibleActionFail(f"table_rows must be 0 (every host) or more, not {args['table_rows']}")
        rows, told = self._rows(args, task_vars)
        for host in args["hosts"] or []:
            if str(host) not in rows:
                rows[str(host)] = host_row(str(host), None)
                if args["not_run_reason"]:
                    rows[str(host)]["message"] = args["not_run_reason"]
        mode = args["mode"]
        if mode == "auto":
            mode = "check" if self._task.check_mode else told or "apply"
        generated = utc_timestamp()
        try:
            dest = prepare_dest(args["dest"])
            record, view, unrecorded = self._record(dest, rows, mode, generated, args["view"])
            files, changed = write_rows(dest, args["formats"], view.rows, view.mode, generated, title=args["title"])[1:]
        except (OSError, ValueError) as error:
            raise AnsibleActionFail(f"cannot write the kms audit report: {error}") from error
        report = report_from_rows(rows.values(), mode, generated)
        headline = summary_line(report, dest)
        table = render_table(report, headline, args["table_rows"])
        failing = failing_hosts(report, args["fail_statuses"])
        earlier = len(view.rows) - len(rows)
        if earlier > 0:
            table.insert(1, fleet_line(earlier, len(view.rows), record.path))
        result.update(
            changed=bool(changed),
            files=files,
            record=record.path,
            run=record.run,
            summary=report["summary"],
            hosts=len(report["hosts"]),
            fleet_hosts=len(view.rows),
            mode=mode,
            attention=report["attention"],
            failing=failing,
            verdict=verdict_line(report, failing, dest),
            unmatched_overrides=report["gvlk_overrides"]["unmatched"],
            table=table,
            msg=headline,
        )
        if unrecorded:
            # The files of this run are written; the record is what failed, and the task says so.
            result.update(failed=True, msg=f"{headline}; the report files show this run's hosts only: {unrecorded}")
        return result
