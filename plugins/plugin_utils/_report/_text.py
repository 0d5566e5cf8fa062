# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render the fleet audit report (see ``_report._model``) as JSON, CSV and Markdown text, and as the table the
playbook prints at the end of a run."""

from __future__ import annotations

import csv
import io
import json
import typing as t

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import (
    NO_KEY,
    attention_rows,
    change_text,
    finding_lines,
    headline_text,
    kms_text,
    observed_text,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import status_guide

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
    "kms_discovered_machine",
    "kms_discovered_port",
    "activation_route",
    "activation_hresult",
    "client_machine_id",
    "edition_before",
    "edition_after",
    "activation_method",
    "license_expires",
    "grace_period_remaining",
    "observed",
    "age_days",
    "in_run",
    "changed",
    "attention",
    "todo",
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
        "kms_discovered_machine": kms.get("discovered_machine"),
        "kms_discovered_port": kms.get("discovered_port"),
        "activation_route": row.get("activation_route"),
        "activation_hresult": (row.get("activation") or {}).get("hresult"),
        "client_machine_id": row.get("client_machine_id"),
        "edition_before": (row.get("edition_change") or {}).get("before"),
        "edition_after": (row.get("edition_change") or {}).get("after"),
        "activation_method": row.get("activation_method"),
        "license_expires": row.get("license_expires"),
        "grace_period_remaining": row.get("grace_period_remaining"),
        "observed": row.get("time"),
        "age_days": row.get("age_days"),
        "in_run": "false" if row.get("in_run") is False else "true",
        "changed": "true" if row["changed"] else "false",
        "attention": "true" if status_guide(row["status"]).attention else "false",
        "todo": status_guide(row["status"]).todo,
        "message": row["message"],
    }


def csv_cell(value: t.Any) -> str:
    """Text for one CSV cell: empty for None, a leading ``'`` before anything a spreadsheet would evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def attention_first(report: t.Mapping[str, t.Any]) -> list[t.Mapping[str, t.Any]]:
    """The hosts that need attention (in status order), then the others by name."""
    first = attention_rows(report["hosts"])
    listed = {row["host"] for row in first}
    return first + [row for row in report["hosts"] if row["host"] not in listed]


def render_csv(report: t.Mapping[str, t.Any]) -> str:
    """RFC 4180 CSV: header line, one line per host (those that need attention first), CRLF line ends, fields
    quoted when needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for row in attention_first(report):
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


def edition_text(row: t.Mapping[str, t.Any]) -> str:
    """``name / EditionID``, either alone when the other is unknown."""
    return " / ".join(str(v) for v in (row["edition"], row["edition_id"]) if v)


def _markdown_overrides(report: t.Mapping[str, t.Any]) -> list[str]:
    unmatched = report["gvlk_overrides"]["unmatched"]
    if not unmatched:
        return []
    return [
        "",
        "## GVLK overrides that matched no host",
        "",
        "No host's EditionID (and build) used these gvlk_overrides entries; check their spelling:",
        "",
        *(f"- `{md_cell(name)}`" for name in unmatched),
    ]


def render_markdown(report: t.Mapping[str, t.Any]) -> str:
    mode = report["mode"]
    total = len(report["hosts"])
    summary = report["summary"]
    needing = attention_rows(report["hosts"])
    counts = report["headline"]
    lines = [
        f"# {md_cell(report['title'])}",
        "",
        f"**{headline_text(counts)}** ({counts['activated']} activated, {counts['not_read']} not reached).",
        "",
        f"- Mode: **{mode}**" + (" (audit only: nothing was changed on the hosts)" if mode == "check" else ""),
        f"- Generated: {report['generated']}",
        f"- Hosts: {total}",
        f"- Need attention: {len(needing)}",
        "",
        "## Needs attention",
        "",
    ]
    if needing:
        lines += _table(
            ("host", "status", "edition", "key type", "what to do", "message"),
            (
                (
                    md_cell(row["host"]),
                    md_cell(row["status"]),
                    md_cell(edition_text(row)),
                    change_text(row["key_type"], md_cell),
                    md_cell(status_guide(row["status"]).todo),
                    md_cell(row["message"]),
                )
                for row in needing
            ),
        )
    else:
        lines.append("No host needs attention.")
    found = finding_lines(report.get("findings") or {})
    if found:
        lines += ["", "## Fleet findings", ""] + [f"- {md_cell(line)}" for line in found]
    lines += ["", "## Summary", ""]
    lines += _table(("status", "hosts"), [(md_cell(status), str(count)) for status, count in summary.items()])
    lines += _markdown_overrides(report)
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
            "activation",
            "valid until",
            "KMS",
            "observed",
            "changed",
            "message",
        ),
        (
            (
                md_cell(row["host"]),
                md_cell(row["status"]),
                md_cell(edition_text(row)),
                md_cell(row["build"]),
                change_text(row["key_type"], md_cell),
                change_text(row["partial_product_key"], md_cell, NO_KEY),
                change_text(row["license_status"], md_cell),
                md_cell(row.get("activation_method")),
                md_cell((row.get("license_expires") or "")[:10]),
                md_cell(kms_text(row["kms"])),
                md_cell(observed_text(row)),
                "yes" if row["changed"] else "no",
                md_cell(row["message"]),
            )
            for row in report["hosts"]
        ),
    )
    lines += ["", "## Legend", ""]
    lines += _table(
        ("status", "meaning", "what to do"),
        (
            (md_cell(status), md_cell(entry["meaning"]), md_cell(entry["todo"]))
            for status, entry in report["legend"].items()
        ),
    )
    return "\n".join(lines) + "\n"


TABLE_ROWS = 50  # hosts the printed table lists at most (those that need attention first)
# Characters of a host's message under its line in the printed table: a longer one keeps its start and its end, where
# the messages say what to do, and leaves out the middle.
TABLE_MESSAGE_LIMIT = 500
ELISION = " \N{HORIZONTAL ELLIPSIS} "
TABLE_COLUMNS = (("host", 40), ("status", 20), ("key type", 20))  # column and its widest cell


def _one_line(value: t.Any, limit: int) -> str:
    """``value`` on one line, cut to ``limit`` characters (ending with an ellipsis when cut)."""
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def shortened(value: t.Any, limit: int = TABLE_MESSAGE_LIMIT) -> str:
    """A message on one line in at most ``limit`` characters: its first third and its end (the remedy), the middle
    left out at word boundaries."""
    text = " ".join(str(value or "").split())
    if len(text) <= limit:
        return text
    room = limit - len(ELISION)
    head = text[: room // 3].rsplit(" ", 1)[0]
    tail = text[len(text) - (room - len(head)) :]
    tail = tail.split(" ", 1)[1] if " " in tail else tail
    return head + ELISION + tail


def _plain(value: t.Any) -> str:
    return "" if value is None else str(value)


def _cells(row: t.Mapping[str, t.Any]) -> tuple[str, ...]:
    values = (row["host"], row["status"], change_text(row["key_type"], _plain) or "-")
    return tuple(_one_line(value, width) for value, (_name, width) in zip(values, TABLE_COLUMNS, strict=True))


def _plural(count: int) -> str:
    return f"{count} host{'' if count == 1 else 's'}"


def fleet_line(earlier: int, total: int, record: str) -> str:
    """What the report files hold besides this run's hosts (the fleet record's latest outcome of the others)."""
    return (
        f"The report files show the fleet: {_plural(total)}, {earlier} of them as an earlier run left them "
        f"(not in this run; the fleet record {record})"
    )


def render_table(report: t.Mapping[str, t.Any], headline: str, limit: int = TABLE_ROWS) -> list[str]:
    """The run's closing table, one string per line: the headline, the hosts that need attention (each with
    its message on the next line), the hosts that changed or would change, counts of the others.

    At most ``limit`` hosts are listed (0: no limit), those that need attention first; compliant hosts are only
    counted. The report files hold every host.
    """
    needing = attention_rows(report["hosts"])
    flagged = {row["host"] for row in needing}
    changing = [row for row in report["hosts"] if row["host"] not in flagged and row["status"] != "compliant"]
    budget = limit if limit > 0 else len(report["hosts"])
    shown_needing, shown_changing = needing[:budget], changing[: max(budget - len(needing), 0)]
    cells = {row["host"]: _cells(row) for row in shown_needing + shown_changing}
    widths = [
        max([len(name)] + [len(row[index]) for row in cells.values()]) for index, (name, _w) in enumerate(TABLE_COLUMNS)
    ]

    def line(values: t.Sequence[str], todo: str) -> str:
        return "  " + "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)) + "  " + todo

    header = line([name for name, _width in TABLE_COLUMNS], "what to do")
    lines = [headline]
    if needing:
        lines += [f"Needs attention: {_plural(len(needing))}", header]
        for row in shown_needing:
            lines.append(line(cells[row["host"]], status_guide(row["status"]).todo))
            if row["message"]:
                lines.append("      " + shortened(row["message"]))
    else:
        lines.append("Needs attention: none")
    lines += [f"Fleet: {shortened(line)}" for line in finding_lines(report.get("findings") or {})]
    if changing:
        lines.append(f"{'Would change' if report['mode'] == 'check' else 'Changed'}: {_plural(len(changing))}")
        if shown_changing:
            lines.append(header)
            lines += [line(cells[row["host"]], status_guide(row["status"]).todo) for row in shown_changing]
    unlisted = len(needing) + len(changing) - len(shown_needing) - len(shown_changing)
    if unlisted:
        lines.append(f"... {_plural(unlisted)} more not listed here (the report files list every host)")
    compliant = report["summary"].get("compliant", 0)
    if compliant:
        lines.append(f"Compliant: {_plural(compliant)} (nothing to do)")
    unmatched = report["gvlk_overrides"]["unmatched"]
    if unmatched:
        lines.append("GVLK overrides that matched no host: " + ", ".join(unmatched))
    return lines
