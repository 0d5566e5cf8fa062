#!/usr/bin/env python
"""Print a KMS audit report (kms_audit.json) or a simulated fleet's state file as a terminal table.

Needs the collection importable (PYTHONPATH=.collections, as `make demo` sets it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import summary_line
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import render_table


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip()
        for line in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join("   " + line for line in lines)


def print_report(path: Path) -> None:
    """The table the playbook prints at the end of a run, every host listed, from a kms_audit.json."""
    report = json.loads(path.read_text(encoding="utf-8"))
    for line in render_table(report, summary_line(report, str(path.parent)), limit=0):
        print("   " + line)


def print_state(path: Path) -> None:
    """One row per simulated host: final key and license state, and the traffic it received."""
    state = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for name, host in sorted(state["hosts"].items()):
        licensing = host.get("state") or {}
        rows.append(
            [
                name,
                str(licensing.get("key_type", "")),
                str(licensing.get("partial_product_key") or ""),
                str(licensing.get("license_status", "")),
                str(host.get("worker_executions", "")),
                str(host.get("winrs_commands", "")),
            ]
        )
    print(_table(rows, ["host", "key type", "partial key", "license", "worker runs", "WinRS commands"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--state", action="store_true", help="the file is a simulated fleet's state file")
    arguments = parser.parse_args()
    (print_state if arguments.state else print_report)(arguments.path)


if __name__ == "__main__":
    main()
