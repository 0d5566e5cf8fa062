# Copyright: volume_activation.kms maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge fleet reports (``kms_audit.json``) written by separate runs, such as the slices of one sliced job.

Each host keeps one row: a row with a result beats a ``not_run`` row (a slice lists the hosts of the other
slices as not run), then the newest ``time`` wins (a row without one takes its report's ``generated``), then
the report given last. Every row is rebuilt through the report model, so a file cannot smuggle in fields, long
keys or a different shape; its ``source`` names the report it came from.
"""

from __future__ import annotations

import json
import os
import typing as t
from dataclasses import dataclass

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import row_as_result
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import (
    MODES,
    host_row,
    outcome_time,
)

MAX_REPORT_BYTES = 64 * 1024 * 1024
REPORT_FILE = "kms_audit.json"


class MergeError(ValueError):
    """A report to merge cannot be read or is not a kms_client_report JSON report."""


@dataclass(frozen=True)
class SliceReport:
    """One report to merge: where it came from, its mode and its rows (rebuilt)."""

    source: str
    mode: str
    rows: list[dict[str, t.Any]]


def parse_report(text: str, source: str) -> SliceReport:
    """The rows of one ``kms_audit.json``; MergeError when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise MergeError(f"{source} is not JSON: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list) or data.get("mode") not in MODES:
        raise MergeError(f"{source} is not a kms_client_report JSON report (no mode and hosts)")
    generated = outcome_time(data.get("generated"))
    rows = []
    for entry in data["hosts"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("host"), str) or not entry["host"]:
            raise MergeError(f"{source} has a host entry without a host name")
        row = host_row(entry["host"], row_as_result(entry), source)
        row["time"] = row["time"] or generated
        rows.append(row)
    return SliceReport(source=source, mode=data["mode"], rows=rows)


def report_path(path: str) -> str:
    """A report file, or the kms_audit.json of a report directory."""
    return os.path.join(path, REPORT_FILE) if os.path.isdir(path) else path


def read_report(path: str) -> SliceReport:
    """``parse_report`` of a file, bounded in size."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_REPORT_BYTES + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise MergeError(f"cannot read the report {path}: {error}") from error
    if len(text) > MAX_REPORT_BYTES:
        raise MergeError(f"the report {path} is larger than {MAX_REPORT_BYTES} bytes")
    return parse_report(text, path)


def _rank(row: t.Mapping[str, t.Any], order: int) -> tuple[bool, str, int]:
    return (row["status"] != "not_run", row["time"] or "", order)


def merge_rows(reports: t.Iterable[SliceReport]) -> dict[str, dict[str, t.Any]]:
    """One row per host across ``reports``: a result over not_run, then the newest, then the later report."""
    best: dict[str, tuple[tuple[bool, str, int], dict[str, t.Any]]] = {}
    for order, report in enumerate(reports):
        for row in report.rows:
            rank = _rank(row, order)
            held = best.get(row["host"])
            if held is None or rank > held[0]:
                best[row["host"]] = (rank, row)
    return {host: row for host, (_rank_, row) in best.items()}


def merged_mode(modes: t.Iterable[str | None]) -> str | None:
    """``apply`` when any run converted, ``check`` when every run was an audit, None when none is known."""
    known = {mode for mode in modes if mode in MODES}
    if not known:
        return None
    return "apply" if "apply" in known else "check"
