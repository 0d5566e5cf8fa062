# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render the fleet audit report (see ``_report_model``) as JSON, CSV and Markdown text."""

from __future__ import annotations

import csv
import io
import json
import typing as t

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report_model import change_text, kms_text

CSV_COLUMNS = (
    "host",
    "status",
    "edition_id",
    "edition",
    "build",
    "key_type_before",
    "key_type_after",
    "partial_key_before",
    "partial_key_after",
    "gvlk",
    "license_status_before",
    "license_status_after",
    "kms_machine",
    "kms_port",
    "changed",
    "message",
)
# A spreadsheet evaluates a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def render_json(report: t.Mapping[str, t.Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def csv_row(row: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """One host row flattened to the CSV columns (values not yet protected against formulas)."""
    kms = row["kms"] or {}
    return {
        "host": row["host"],
        "status": row["status"],
        "edition_id": row["edition_id"],
        "edition": row["edition"],
        "build": row["build"],
        "key_type_before": row["key_type"]["before"],
        "key_type_after": row["key_type"]["after"],
        "partial_key_before": row["partial_product_key"]["before"],
        "partial_key_after": row["partial_product_key"]["after"],
        "gvlk": row["gvlk"],
        "license_status_before": row["license_status"]["before"],
        "license_status_after": row["license_status"]["after"],
        "kms_machine": kms.get("machine"),
        "kms_port": kms.get("port"),
        "changed": "true" if row["changed"] else "false",
        "message": row["message"],
    }


def csv_cell(value: t.Any) -> str:
    """Text for one CSV cell: empty for None, a leading ``'`` before anything a spreadsheet would evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def render_csv(report: t.Mapping[str, t.Any]) -> str:
    """RFC 4180 CSV: header line, one line per host, CRLF line ends, fields quoted when needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for row in report["hosts"]:
        flat = csv_row(row)
        writer.writerow([csv_cell(flat[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def md_cell(value: t.Any) -> str:
    """Text safe inside a Markdown table cell: one line, ``|`` escaped, no raw HTML."""
    if value is None or value == "":
        return ""
    text = " ".join(str(value).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _table(header: t.Sequence[str], rows: t.Iterable[t.Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _name in header) + "|"]
    lines.extend("| " + " | ".join(cells) + " |" for cells in rows)
    return lines


def render_markdown(report: t.Mapping[str, t.Any]) -> str:
    mode = report["mode"]
    total = len(report["hosts"])
    summary = report["summary"]
    lines = [
        "# KMS client audit",
        "",
        f"- Mode: **{mode}**" + (" (audit only: nothing was changed on the hosts)" if mode == "check" else ""),
        f"- Generated: {report['generated']}",
        f"- Hosts: {total}",
        "",
        "## Summary",
        "",
    ]
    lines += _table(("status", "hosts"), [(md_cell(status), str(count)) for status, count in summary.items()])
    lines += ["", "## Hosts", ""]
    lines += _table(
        (
            "host",
            "status",
            "edition",
            "build",
            "key type",
            "partial key",
            "license status",
            "KMS",
            "changed",
            "message",
        ),
        (
            (
                md_cell(row["host"]),
                md_cell(row["status"]),
                md_cell(" / ".join(v for v in (row["edition"], row["edition_id"]) if v)),
                md_cell(row["build"]),
                change_text(row["key_type"], md_cell),
                change_text(row["partial_product_key"], md_cell),
                change_text(row["license_status"], md_cell),
                md_cell(kms_text(row["kms"])),
                "yes" if row["changed"] else "no",
                md_cell(row["message"]),
            )
            for row in report["hosts"]
        ),
    )
    return "\n".join(lines) + "\n"
