# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render the fleet audit report (see ``_report._model``) as one self-contained HTML page.

No external assets and no script: inline CSS, bar charts as inline SVG with their numbers as text, and the
host table. Every value from a host is HTML-escaped. Status colours always come with the status name.
"""

from __future__ import annotations

import typing as t
from html import escape

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import (
    DEFAULT_TITLE,
    NO_KEY,
    NOT_READ,
    PERMANENT_METHODS,
    UNMATCHED_OVERRIDES,
    attention_rows,
    change_text,
    finding_lines,
    headline_text,
    held,
    kms_text,
    observed_text,
    outcome_time,
    short_message,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import Status, status_guide

# status -> (strong colour for bars and badge borders, light colour for badge backgrounds); a test ties its
# keys to the status vocabulary.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    Status.COMPLIANT.value: ("#1a7f37", "#dafbe1"),
    Status.CONVERTED.value: ("#0969da", "#ddf4ff"),
    Status.RECONFIGURED.value: ("#0550ae", "#eaf5ff"),
    Status.WOULD_CONVERT.value: ("#9a6700", "#fff8c5"),
    Status.WOULD_RECONFIGURE.value: ("#7d4e00", "#fff5d6"),
    Status.ACTIVATION_FAILED.value: ("#bc4c00", "#fff1e5"),
    Status.ACTIVATION_PENDING.value: ("#7d4e00", "#fff8c5"),
    Status.KMS_UNREACHABLE.value: ("#953800", "#ffe7d1"),
    Status.ACTIVATION_TYPE_RESTRICTED.value: ("#a40e26", "#ffebe9"),
    Status.KMS_COUNT_SHORT.value: ("#8a4600", "#fff1e5"),
    Status.REBOOT_PENDING.value: ("#7a3e9d", "#f5e8ff"),
    Status.FAILED.value: ("#cf222e", "#ffebe9"),
    Status.UNSUPPORTED_EDITION.value: ("#8250df", "#fbefff"),
    Status.EVALUATION_EDITION.value: ("#6639ba", "#ece2ff"),
    Status.IS_KMS_HOST.value: ("#1b7c83", "#d8f3f6"),
    Status.UNKNOWN_EDITION.value: ("#6e7781", "#eaeef2"),
    Status.SKIPPED.value: ("#57606a", "#f6f8fa"),
    Status.TIMED_OUT.value: ("#6e3500", "#ffe2bb"),
    Status.UNREACHABLE.value: ("#82071e", "#ffd8d3"),
    Status.NOT_RUN.value: ("#656d76", "#f6f8fa"),
}
OTHER_COLOURS = ("#57606a", "#f6f8fa")
KEY_TYPE_COLOURS = {"gvlk": "#1a7f37", "unknown": "#8c959f", "none": "#8c959f", NOT_READ: "#d0d7de"}
KEY_TYPE_DEFAULT_COLOUR = "#4c6a92"
METHOD_COLOURS = {"KMS": "#1a7f37", "Active Directory": "#1a7f37", "not activated": "#cf222e", NOT_READ: "#d0d7de"}

CSS = """
:root { color-scheme: light; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #1f2328; background: #fff;
       margin: 24px; font-size: 14px; line-height: 1.4; }
h1 { font-size: 24px; margin: 0 0 4px; }
.kicker { color: #3d444d; margin: 0; text-transform: uppercase; font-size: 12px; letter-spacing: 0.05em; }
.headline { font-size: 20px; font-weight: bold; margin: 4px 0 8px; }
.tiles { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; margin: 0 0 8px; }
.tile { border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 12px; background: #f6f8fa; }
.tile strong { font-size: 20px; margin-right: 4px; }
.tile.clients { border-color: #1a7f37; background: #dafbe1; }
.tile.attention { border-color: #cf222e; background: #ffebe9; }
details summary { cursor: pointer; }
details p { margin: 4px 0 0; }
h2 { font-size: 18px; margin: 24px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #3d444d; margin: 0 0 4px; }
.note { background: #f6f8fa; border-left: 4px solid #8c959f; padding: 6px 10px; margin: 8px 0 0; }
.charts { display: flex; flex-wrap: wrap; gap: 16px 40px; }
figure { margin: 0; break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: 4px; }
svg text { font-family: inherit; font-size: 13px; fill: #1f2328; }
svg text.count { font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 4px 6px; text-align: left; vertical-align: top; }
thead th { background: #eaeef2; }
thead { display: table-header-group; }
tbody.host:nth-of-type(even) { background: #f6f8fa; }
tbody.host { break-inside: avoid; }
tbody.host tr:first-child > * { border-bottom: none; }
td.num { text-align: right; }
td.msg { border-top: none; padding-left: 18px; color: #3d444d; overflow-wrap: anywhere; }
tr.attention td.msg { border-top: 1px solid #d0d7de; padding-left: 6px; }
td.pair { white-space: nowrap; }
th[scope=row] { min-width: 9em; overflow-wrap: anywhere; }
.badge { display: inline-block; border: 1px solid; border-radius: 4px; padding: 0 6px; font-weight: bold;
         white-space: nowrap; }
.empty { color: #6e7781; }
@media print {
  @page { size: landscape; margin: 12mm; }
  body { margin: 0; font-size: 11px; }
  table { font-size: 10px; }
}
"""


def _e(value: t.Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def _status_colours(status: str) -> tuple[str, str]:
    return STATUS_COLOURS.get(status, OTHER_COLOURS)


def _key_type_colour(key_type: str) -> str:
    return KEY_TYPE_COLOURS.get(key_type, KEY_TYPE_DEFAULT_COLOUR)


def _method_colour(method: str) -> str:
    return METHOD_COLOURS.get(method, KEY_TYPE_DEFAULT_COLOUR)


def badge(status: str) -> str:
    strong, light = _status_colours(status)
    return f'<span class="badge" style="color:{strong};border-color:{strong};background:{light}">{_e(status)}</span>'


def bar_chart(caption: str, counts: t.Mapping[str, int], colour: t.Callable[[str], str]) -> str:
    """A horizontal bar chart: one bar per entry, its name left of the bar and its count as text after it."""
    if not counts:
        return f'<figure><figcaption>{_e(caption)}</figcaption><p class="empty">No data.</p></figure>'
    label_width, bar_width, count_width, row_height, bar_height, pad = 170, 300, 50, 28, 18, 6
    width = label_width + bar_width + count_width
    height = 2 * pad + row_height * len(counts)
    largest = max(counts.values()) or 1
    description = ", ".join(f"{name}: {count}" for name, count in counts.items())
    parts = [
        f"<figure><figcaption>{_e(caption)}</figcaption>",
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(caption)}: {_e(description)}">',
        f"<title>{_e(caption)}: {_e(description)}</title>",
    ]
    for index, (name, count) in enumerate(counts.items()):
        top = pad + index * row_height
        middle = top + bar_height / 2
        length = round(bar_width * count / largest, 1) if count else 0
        parts.append(
            f'<g class="bar" data-name="{_e(name)}" data-count="{count}">'
            f'<text x="{label_width - 8}" y="{middle}" text-anchor="end" dominant-baseline="central">{_e(name)}</text>'
            f'<rect x="{label_width}" y="{top}" width="{length}" height="{bar_height}" rx="3" '
            f'fill="{colour(name)}"></rect>'
            f'<text class="count" x="{label_width + length + 6}" y="{middle}" '
            f'dominant-baseline="central">{count}</text></g>'
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def _message(message: t.Any) -> str:
    """A host's message: its first sentence, the whole of it on demand (``<details>``) when there is more."""
    short = short_message(message)
    text = " ".join(str(message or "").split())
    if short == text:
        return _e(text)
    return f"<details><summary>{_e(short)}</summary><p>{_e(message)}</p></details>"


def _observed(row: t.Mapping[str, t.Any]) -> str:
    """When the row's outcome was observed, and whether this run or an earlier one observed it."""
    said = observed_text(row)
    time = outcome_time(row.get("time"))
    if time is None:
        return f"<small>{_e(said)}</small>"
    when, _space, run = said.partition(" UTC (")
    return f'<time datetime="{_e(time)}">{_e(when)} UTC</time><br><small>{_e(run.rstrip(")"))}</small>'


def _expiry(row: t.Mapping[str, t.Any]) -> str:
    """The date the licence state last read ends without renewal, or that it does not end."""
    expires = row.get("license_expires")
    if expires:
        renewed = held(row, "license_status") in ("licensed", "extended_grace")
        said = "unless renewed" if renewed else "grace period ends"
        return f'<time datetime="{_e(expires)}">{_e(expires[:10])}</time><br><small>{said}</small>'
    return "no expiry" if row.get("activation_method") in PERMANENT_METHODS else ""


HOST_COLUMNS = (
    "Host",
    "Status",
    "Edition",
    "Build",
    "Key type",
    "Partial key",
    "License status",
    "Activation",
    "Valid until",
    "KMS",
    "Observed",
    "Changed",
)


def _host_row(row: t.Mapping[str, t.Any]) -> str:
    cells = (
        f'<th scope="row">{_e(row["host"])}</th>',
        f"<td>{badge(row['status'])}</td>",
        f"<td>{_edition_cell(row)}</td>",
        f'<td class="num">{_e(row["build"])}</td>',
        f'<td class="pair">{change_text(row["key_type"], _e)}</td>',
        f'<td class="pair">{change_text(row["partial_product_key"], _e, NO_KEY)}</td>',
        f'<td class="pair">{change_text(row["license_status"], _e)}</td>',
        f"<td>{_e(row.get('activation_method'))}</td>",
        f"<td>{_expiry(row)}</td>",
        f"<td>{_e(kms_text(row['kms']))}</td>",
        f"<td>{_observed(row)}</td>",
        f"<td>{'yes' if row['changed'] else 'no'}</td>",
    )
    message = (
        f'<tr><td colspan="{len(cells)}" class="msg">{_message(row["message"])}</td></tr>' if row["message"] else ""
    )
    return '<tbody class="host"><tr>' + "".join(cells) + "</tr>" + message + "</tbody>"


def _edition_cell(row: t.Mapping[str, t.Any]) -> str:
    edition = _e(row["edition"])
    if row["edition_id"]:
        edition += f"<br><small>{_e(row['edition_id'])}</small>"
    return edition


def attention_section(rows: t.Sequence[t.Mapping[str, t.Any]]) -> str:
    """The hosts that need attention: status, what to do, and the host's message (its first sentence up front)."""
    needing = attention_rows(rows)
    if not needing:
        return '<p class="empty">No host needs attention.</p>'
    header = "".join(f'<th scope="col">{name}</th>' for name in ("Host", "Status", "What to do", "Message"))
    body = "\n".join(
        '<tr class="attention">'
        f'<th scope="row">{_e(row["host"])}</th>'
        f"<td>{badge(row['status'])}</td>"
        f"<td>{_e(status_guide(row['status']).todo)}</td>"
        f'<td class="msg">{_message(row["message"])}</td>'
        "</tr>"
        for row in needing
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def overrides_section(report: t.Mapping[str, t.Any]) -> str:
    """The gvlk_overrides entries no host used, or nothing when every one matched."""
    unmatched = report["gvlk_overrides"]["unmatched"]
    if not unmatched:
        return ""
    items = "".join(f"<li><code>{_e(name)}</code></li>" for name in unmatched)
    return (
        "<h2>GVLK overrides that matched no host</h2>\n"
        f"<p>{_e(UNMATCHED_OVERRIDES)}</p>\n"
        f'<ul class="unmatched">{items}</ul>\n'
    )


def findings_section(report: t.Mapping[str, t.Any]) -> str:
    """What the report says of the fleet as a whole, or nothing."""
    found = finding_lines(report.get("findings") or {})
    if not found:
        return ""
    items = "".join(f"<li>{_e(line)}</li>" for line in found)
    return f'<h2>Fleet findings</h2>\n<ul class="findings">{items}</ul>\n'


def legend_section(report: t.Mapping[str, t.Any]) -> str:
    """Each status of the report with its meaning and what to do."""
    rows = "".join(
        f"<tr><td>{badge(status)}</td><td>{_e(entry['meaning'])}</td><td>{_e(entry['todo'])}</td></tr>"
        for status, entry in report["legend"].items()
    )
    return (
        '<table class="legend"><thead><tr><th scope="col">Status</th><th scope="col">Meaning</th>'
        f'<th scope="col">What to do</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def headline_section(report: t.Mapping[str, t.Any]) -> str:
    """The page's top: the title, the share of KMS clients in one sentence, the counts that matter, the context."""
    counts = report["headline"]
    check = report["mode"] == "check"
    tiles = (
        ("clients", counts["kms_clients"], "KMS client", "KMS clients"),
        ("activated", counts["activated"], "activated", "activated"),
        ("attention", counts["attention"], "needs attention", "need attention"),
        (
            "changing",
            counts["changing"],
            "would change" if check else "changed",
            "would change" if check else "changed",
        ),
        ("unread", counts["not_read"], "not reached", "not reached"),
    )
    items = "".join(
        f'<li class="tile {name}"><strong>{count}</strong> {_e(one if count == 1 else many)}</li>'
        for name, count, one, many in tiles
    )
    fleet = report["fleet"]
    observed = (
        f" \N{MIDDLE DOT} {fleet['in_run']} observed in this run, "
        f"{_plural(fleet['earlier'], 'host', 'hosts')} as an earlier run left them (fleet record)"
        if fleet["earlier"]
        else ""
    )
    if check:
        mode = "Audit (check mode): nothing was changed on the hosts"
        note = (
            "<strong>would_convert</strong> marks the hosts whose key a conversion would replace, "
            "<strong>would_reconfigure</strong> those that keep their key and would only get KMS settings or activation."
        )
    else:
        mode = "Conversion (apply mode)"
        note = (
            "<strong>converted</strong> marks the hosts whose key the conversion replaced, "
            "<strong>reconfigured</strong> those that kept their key and got KMS settings or activation."
        )
    kicker = "" if report["title"] == DEFAULT_TITLE else f'<p class="kicker">{_e(DEFAULT_TITLE)}</p>\n'
    return (
        f"{kicker}<h1>{_e(report['title'])}</h1>\n"
        f'<p class="headline">{_e(headline_text(counts))}.</p>\n'
        f'<ul class="tiles">{items}</ul>\n'
        f'<p class="meta">{mode} \N{MIDDLE DOT} {_plural(counts["hosts"], "host", "hosts")} \N{MIDDLE DOT} generated '
        f'<time datetime="{_e(report["generated"])}">{_e(report["generated"])}</time>{observed}</p>\n'
        f'<details class="note"><summary>How to read this report</summary><p>{note} A host is a KMS client when it '
        "holds the KMS client setup key (GVLK) of its edition; hosts not reached are counted in every chart as "
        "<strong>not_read</strong>.</p></details>"
    )


def render_html(report: t.Mapping[str, t.Any]) -> str:
    mode = report["mode"]
    rows = report["hosts"]
    total = len(rows)
    hosts_word = "host" if total == 1 else "hosts"
    charts = [bar_chart("Hosts by status", report["summary"], lambda name: _status_colours(name)[0])]
    charts.append(bar_chart("Key type before", report["key_types"]["before"], _key_type_colour))
    if mode == "apply":
        charts.append(bar_chart("Key type after", report["key_types"]["after"], _key_type_colour))
    charts.append(bar_chart("Activation method", report["activation_methods"], _method_colour))
    header = "".join(f'<th scope="col">{name}</th>' for name in HOST_COLUMNS)
    body = (
        "\n".join(_host_row(row) for row in rows)
        or f'<tbody><tr><td colspan="{len(HOST_COLUMNS)}" class="empty">No hosts.</td></tr></tbody>'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(report["title"])} ({_e(mode)}) \N{EM DASH} {total} {hosts_word}</title>
<style>{CSS}</style>
</head>
<body>
<header>
{headline_section(report)}
</header>
<main>
<h2>Needs attention ({len(attention_rows(rows))})</h2>
{attention_section(rows)}
{findings_section(report)}<h2>Summary</h2>
<div class="charts">
{chr(10).join(charts)}
</div>
{overrides_section(report)}<h2>Hosts</h2>
<table>
<thead><tr>{header}</tr></thead>
{body}
</table>
<h2>Legend</h2>
{legend_section(report)}
</main>
</body>
</html>
"""
