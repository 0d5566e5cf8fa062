# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn registered ``kms_client_key`` results into the fleet audit report (rows and summaries).

Controller only, standard library only. The report is a plain dict that every output format renders: ``{"generated",
"mode", "summary", "attention", "findings", "gvlk_overrides", "legend", "key_types", "hosts": [row, ...]}``, hosts
sorted by name. ``findings`` are about the fleet rather than one host: machines that share a ClientMachineID, the
activation errors by HRESULT, and what KMS hosts among the hosts count against the thresholds. ``attention`` lists
the hosts that need someone (statuses whose guide says so, in the vocabulary's order); ``legend`` gives the meaning
and what to do of each status present; ``gvlk_overrides`` names the override entries the hosts were given, those an
edition used and those that matched no host. A row may come from a registered result, from the ``kms_client`` fact a
host left in the fact cache, or from a report written by another run (a slice); its ``source`` says which and its
``time`` when the host's outcome was recorded.
"""

from __future__ import annotations

import datetime
import re
import typing as t
from collections import Counter

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import (
    PARTIAL_KEY_LENGTH,
    TIMESTAMP_FORMAT,
    TIMESTAMP_PATTERN,
    Activation,
    Change,
    Edition,
    HostOutcome,
    Kms,
    Override,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import NAME_LIMIT, host_text
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    ACTIVATION_ROUTES,
    KEY_TYPES,
    KMS_CLIENT_THRESHOLD,
    KMS_COUNTED_CONTACTS,
    KMS_SERVER_THRESHOLD,
    STATUSES,
    ActivationRoute,
    KeyType,
    Status,
    setting,
    status_guide,
)

MODES = ("check", "apply")
# The Markdown and HTML reports' sentence above the override names no host used.
UNMATCHED_OVERRIDES = (
    f"No host's EditionID (and build) used these {setting('gvlk_overrides')} entries; check their spelling:"
)
TIME_PATTERN = re.compile(TIMESTAMP_PATTERN)

NOT_RUN_MESSAGE = "no result registered for this host (the task did not run on it)"
FAILED_MESSAGE = "the task failed without a message"
NO_STATUS_MESSAGE = "the registered result has no status (not a volume_activation.kms.kms_client_key result)"
UNREACHABLE_HINT = "the WinRM connection failed ("
TASK_FAILED = "Task failed: "
MAX_OVERRIDE_NAMES = 100
MAX_MINUTES = 2**32 - 1
DEFAULT_TITLE = "KMS client audit"
TITLE_LIMIT = 120
SHORT_MESSAGE_LIMIT = 160
NO_KEY = "no key"  # a partial key that was not there before: the host held no product key
NOT_READ = "not_read"  # a host whose key type no run read (unreachable, timed out, not run): charts count it


def _text(value: t.Any) -> str | None:
    """A plain ``str`` (or None), whatever string subclass the controller handed over."""
    return None if value is None else str(value)


def _number(value: t.Any) -> int | str | None:
    """An ``int`` when the value is integral, else its text (builds and ports arrive as either)."""
    if value is None or isinstance(value, bool):
        return _text(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def _partial(value: t.Any) -> str | None:
    """A partial product key: never more than its last five characters."""
    text = _text(value)
    return None if text is None else text[-PARTIAL_KEY_LENGTH:]


def _mapping(value: t.Any) -> t.Mapping[str, t.Any]:
    return value if isinstance(value, t.Mapping) else {}


def _change(value: t.Any, convert: t.Callable[[t.Any], str | None] = _text) -> Change:
    pair = _mapping(value)
    return Change(convert(pair.get("before")), convert(pair.get("after")))


def _edition(value: t.Any) -> Edition | None:
    edition = _mapping(value)
    if not edition:
        return None
    return Edition(id=_text(edition.get("id")), name=_text(edition.get("name")), build=_number(edition.get("build")))


def _kms(value: t.Any) -> Kms | None:
    kms = _mapping(value)
    if not kms:
        return None
    return Kms(
        machine=_text(kms.get("machine")),
        port=_number(kms.get("port")),
        lookup_domain=_text(kms.get("lookup_domain")),
        discovered_machine=_text(kms.get("discovered_machine")),
        discovered_port=_number(kms.get("discovered_port")),
    )


def _override(value: t.Any) -> Override:
    """A row's ``gvlk_override``: the override names the host was given (bounded) and the one it used."""
    override = _mapping(value)
    given = override.get("given")
    names = [host_text(str(name), NAME_LIMIT) for name in given[:MAX_OVERRIDE_NAMES]] if isinstance(given, list) else []
    used = override.get("used")
    return Override(tuple(sorted(set(names))), host_text(str(used), NAME_LIMIT) if used else None)


def outcome_time(value: t.Any) -> str | None:
    """An ISO-8601 UTC time as the collection writes it (``2025-06-25T14:03:07Z``), else None."""
    text = _text(value)
    return text if text is not None and TIME_PATTERN.fullmatch(text) else None


def _result_time(result: t.Mapping[str, t.Any]) -> str | None:
    """When a result or fact was recorded: its ``time``, else that of the ``kms_client`` fact it carries."""
    fact = _mapping(_mapping(result.get("ansible_facts")).get("kms_client"))
    return outcome_time(result.get("time")) or outcome_time(fact.get("time"))


# What ansible-core's TaskExecutor says when a task's ``timeout`` ends it (2.16 and later).
_TASK_TIMEOUT_MESSAGE = re.compile(
    r"The \S+ action failed to execute in the expected time frame \((\d+)\) and was terminated"
)


def timed_out_message(timedout: t.Any) -> str:
    """What a result Ansible's task ``timeout`` ended means (``timedout.period``: the timeout in seconds)."""
    period = _number(_mapping(timedout).get("period"))
    return (
        f"no answer within the task timeout ({period if period is not None else '?'} s, kms_client_task_timeout): "
        "the host or its WinRM service hung and the task was stopped; what the host holds now is unknown (a key "
        "may have changed if the apply request had been sent). Check the host (slmgr /dlv) and run again."
    )


def unreachable_message(message: str) -> str:
    """The connection error, with what it means for WinRM (a message that already says it is kept, without the
    "Task failed: " ansible-core 2.19 puts before it)."""
    message = message.removeprefix(TASK_FAILED)
    if message.startswith(UNREACHABLE_HINT):
        return message
    return (
        f"the WinRM connection failed ({host_text(message) or 'no detail'}). Check that the host's WinRM listener runs "
        "(winrm quickconfig; HTTP 5985 or HTTPS 5986, ansible_port), that ansible_user/ansible_password and "
        "ansible_winrm_transport are right (HTTP 401 is a rejected login), and that no firewall blocks the port "
        "(connection refused or timed out); then run again."
    )


def host_row(host: str, result: t.Mapping[str, t.Any] | None, source: str | None = None) -> dict[str, t.Any]:
    """One report row for ``host`` from its registered result or ``kms_client`` fact (None when it has none), with
    what it tells of the licence as last read: ``activation_method`` and ``license_expires``."""
    time = None if result is None else _result_time(result)
    row = read_outcome(result).row(str(host), time, _text(source))
    row["activation_method"] = activation_method(row)
    row["license_expires"] = license_expires(row)
    return row


# Statuses that predict the state after a conversion (check mode): the host holds its "before" side.
_PREDICTED = (Status.WOULD_CONVERT.value, Status.WOULD_RECONFIGURE.value)
_LICENSED = ("licensed", "extended_grace")
_KEY_ACTIVATION = {
    KeyType.MAK.value: "MAK",
    KeyType.RETAIL.value: "retail key",
    KeyType.OEM.value: "OEM key",
    KeyType.AVMA.value: "AVMA (its Hyper-V host)",
    KeyType.CSVLK.value: "KMS host key",
    KeyType.EVAL.value: "evaluation key",
}
_CHANGING = (
    Status.CONVERTED.value,
    Status.RECONFIGURED.value,
    Status.WOULD_CONVERT.value,
    Status.WOULD_RECONFIGURE.value,
)
# Activations that do not expire (GracePeriodRemaining 0): a MAK, retail or OEM key's.
PERMANENT_METHODS = (
    _KEY_ACTIVATION[KeyType.MAK.value],
    _KEY_ACTIVATION[KeyType.RETAIL.value],
    _KEY_ACTIVATION[KeyType.OEM.value],
)
_ROUTE_WORDS = {ActivationRoute.KMS.value: "KMS", ActivationRoute.ADBA.value: "Active Directory"}


def held(row: t.Mapping[str, t.Any], field: str) -> t.Any:
    """The value of a before/after ``field`` the host holds as last read (its "before" side in check mode)."""
    pair = row[field]
    return pair["before"] if row["status"] in _PREDICTED else pair["after"] or pair["before"]


def activation_method(row: t.Mapping[str, t.Any]) -> str | None:
    """How the host is activated as last read, in words (``KMS``, ``MAK``, ``not activated``...), None when unread."""
    status, key_type = held(row, "license_status"), held(row, "key_type")
    if status is None:
        return None
    if status not in _LICENSED:
        return "not activated"
    if key_type == KeyType.GVLK.value:
        route = None if row["status"] in _PREDICTED else row.get("activation_route")
        return _ROUTE_WORDS.get(str(route), "KMS or Active Directory")
    return _KEY_ACTIVATION.get(str(key_type), "activated")


def license_expires(row: t.Mapping[str, t.Any]) -> str | None:
    """When the licence state last read ends without renewal (its observation time plus GracePeriodRemaining): the
    grace period's end, or a KMS activation's; None when permanent or unknown."""
    minutes, observed = row.get("grace_period_remaining"), outcome_time(row.get("time"))
    if not isinstance(minutes, int) or minutes <= 0 or observed is None:
        return None
    then = datetime.datetime.strptime(observed, TIMESTAMP_FORMAT) + datetime.timedelta(minutes=minutes)
    return then.strftime(TIMESTAMP_FORMAT)


def read_outcome(result: t.Mapping[str, t.Any] | None) -> HostOutcome:
    """The outcome a registered result, a ``kms_client`` fact or a report row tells (None: the host has none), its
    values typed and bounded."""
    if result is None:
        return HostOutcome(Status.NOT_RUN.value, NOT_RUN_MESSAGE)
    # ``message``: the kms_client fact of version 1, which the fact caches of earlier runs may still hold.
    message = _text(result.get("msg", result.get("message"))) or ""
    timedout = result.get("timedout")
    said = _TASK_TIMEOUT_MESSAGE.match(message)
    if not timedout and said:  # ansible-core 2.16 and 2.17 say it in the message only (no ``timedout`` key)
        timedout = {"period": int(said.group(1))}
    if timedout:
        return HostOutcome(Status.TIMED_OUT.value, timed_out_message(timedout))
    status = _text(result.get("status"))
    if result.get("unreachable") or status == Status.UNREACHABLE.value:  # the role's fact says it by its status
        return HostOutcome(Status.UNREACHABLE.value, unreachable_message(message))
    if status is None:
        if result.get("skipped"):
            return HostOutcome(Status.SKIPPED.value, _text(result.get("skip_reason")) or message)
        failed = bool(result.get("failed"))
        return HostOutcome(
            Status.FAILED.value,
            (message or FAILED_MESSAGE) if failed else NO_STATUS_MESSAGE,
            changed=bool(result.get("changed")),
        )
    return HostOutcome(
        status=status,
        msg=message,
        changed=bool(result.get("changed")),
        edition=_edition(result.get("edition")),
        gvlk=_text(result.get("gvlk")),
        key_type=_change(result.get("key_type")),
        partial_product_key=_change(result.get("partial_product_key"), _partial),
        license_status=_change(result.get("license_status")),
        kms=_kms(result.get("kms")),
        gvlk_override=_override(result.get("gvlk_override")),
        activation_route=_choice(result.get("activation_route"), ACTIVATION_ROUTES),
        client_machine_id=_bounded(result.get("client_machine_id"), 40),
        kms_count=_count(result.get("kms_count")),
        activation=_activation(result.get("activation")),
        edition_change=_change(result.get("edition_change")),
        grace_period_remaining=_minutes(result.get("grace_period_remaining")),
    )


def _choice(value: t.Any, allowed: tuple[str, ...]) -> str | None:
    return str(value) if value in allowed else None


def _bounded(value: t.Any, limit: int) -> str | None:
    return None if value is None else host_text(str(value), limit) or None


def _count(value: t.Any) -> int | None:
    number = _number(value)
    return number if isinstance(number, int) and 0 <= number <= KMS_COUNTED_CONTACTS else None


def _minutes(value: t.Any) -> int | None:
    """GracePeriodRemaining: a whole number of minutes Windows keeps in 32 bits."""
    number = _number(value)
    return number if isinstance(number, int) and 0 <= number <= MAX_MINUTES else None


def _activation(value: t.Any) -> Activation:
    """The Activate() call a result records: its HRESULT and symbol (bounded), for the fleet's tally."""
    activation = _mapping(value)
    return Activation(
        attempted=bool(activation.get("attempted")),
        hresult=_bounded(activation.get("hresult"), 10),
        symbol=_bounded(activation.get("symbol"), 64),
        message=_bounded(activation.get("message"), 300),
    )


def _ordered_counts(values: t.Iterable[str], known: tuple[str, ...]) -> dict[str, int]:
    """Counts in the vocabulary's order, then any other value alphabetically; zero counts left out."""
    counts = Counter(values)
    order = [name for name in known if name in counts] + sorted(set(counts) - set(known))
    return {name: counts[name] for name in order}


def build_report(results: t.Mapping[str, t.Mapping[str, t.Any] | None], mode: str, generated: str) -> dict[str, t.Any]:
    """The whole report: every host of ``results`` (None = no result), sorted by host name."""
    return report_from_rows([host_row(host, results[host]) for host in results], mode, generated)


def report_from_rows(
    rows: t.Iterable[t.Mapping[str, t.Any]], mode: str, generated: str, title: str | None = None
) -> dict[str, t.Any]:
    """The whole report from finished rows (one per host), sorted by host name; ``title`` names the fleet.

    A row of the fleet record that no host of this run updated says so (``in_run`` false) with its age in whole
    days (``age_days``); any other row is of this run.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    rows = sorted(({"in_run": True, "age_days": 0, **row} for row in rows), key=lambda row: str(row["host"]))
    summary = _ordered_counts((row["status"] for row in rows), STATUSES)
    in_run = sum(1 for row in rows if row["in_run"])
    return {
        "generated": generated,
        "title": report_title(title),
        "mode": mode,
        "fleet": {"hosts": len(rows), "in_run": in_run, "earlier": len(rows) - in_run},
        "headline": headline(rows),
        "summary": summary,
        "attention": [row["host"] for row in attention_rows(rows)],
        "findings": findings(rows),
        "gvlk_overrides": override_use(rows),
        "legend": {
            status: {"meaning": guide.meaning, "todo": guide.todo, "attention": guide.attention}
            for status, guide in ((status, status_guide(status)) for status in summary)
        },
        "key_types": {
            side: _ordered_counts((row["key_type"][side] or NOT_READ for row in rows), (*KEY_TYPES, NOT_READ))
            for side in ("before", "after")
        },
        "activation_methods": _ordered_counts((row.get("activation_method") or NOT_READ for row in rows), ()),
        "hosts": rows,
    }


def report_title(title: str | None) -> str:
    """The report's title: the fleet's name as given (one line, bounded), else the default."""
    text = " ".join(host_text(str(title or ""), TITLE_LIMIT).split())
    return text or DEFAULT_TITLE


def is_kms_client(row: t.Mapping[str, t.Any]) -> bool:
    """Whether the host holds a KMS client key (GVLK) as last read."""
    return held(row, "key_type") == KeyType.GVLK.value


def headline(rows: t.Sequence[t.Mapping[str, t.Any]]) -> dict[str, int]:
    """The counts a reader wants first: hosts, KMS clients, activated ones, those that need attention, those a
    conversion changes (or would), and those not read (unreachable, timed out, not run)."""
    return {
        "hosts": len(rows),
        "kms_clients": sum(1 for row in rows if is_kms_client(row)),
        "activated": sum(1 for row in rows if held(row, "license_status") in _LICENSED),
        "attention": sum(1 for row in rows if status_guide(row["status"]).attention),
        "changing": sum(1 for row in rows if row["status"] in _CHANGING),
        "not_read": sum(1 for row in rows if row["key_type"]["before"] is None and row["key_type"]["after"] is None),
    }


def headline_text(counts: t.Mapping[str, int]) -> str:
    """``13 of 18 hosts are KMS clients`` (the headline's first sentence)."""
    hosts, clients = counts["hosts"], counts["kms_clients"]
    if hosts == 1:
        return "The host is a KMS client" if clients else "The host is not a KMS client"
    verb = "is" if clients == 1 else "are"
    return f"{clients} of {hosts} hosts {verb} KMS clients"


def attention_rows(rows: t.Iterable[t.Mapping[str, t.Any]]) -> list[t.Mapping[str, t.Any]]:
    """The rows whose status needs attention, in the vocabulary's status order, then by host name."""
    rank = {name: index for index, name in enumerate(STATUSES)}
    needing = [row for row in rows if status_guide(row["status"]).attention]
    return sorted(needing, key=lambda row: (rank.get(row["status"], len(rank)), str(row["host"])))


# Statuses of hosts that ask a KMS host for activation in this run (or would, in check mode).
_REQUESTING = {
    Status.CONVERTED.value,
    Status.WOULD_CONVERT.value,
    Status.RECONFIGURED.value,
    Status.WOULD_RECONFIGURE.value,
    Status.ACTIVATION_PENDING.value,
}
DUPLICATE_REMEDY = (
    "hosts cloned from an image that was not generalized share a ClientMachineID, and a KMS host counts them once: "
    "rebuild the image with 'sysprep /generalize' (Microsoft KB 929829); where the image was generalized, "
    "'slmgr /rearm' and a restart give each host its own ID"
)


def findings(rows: t.Sequence[t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    """What the report says of the fleet as a whole (see the module docstring)."""
    by_id: dict[str, list[str]] = {}
    for row in rows:
        if row.get("client_machine_id"):
            by_id.setdefault(str(row["client_machine_id"]).lower(), []).append(str(row["host"]))
    duplicates = [{"client_machine_id": cmid, "hosts": sorted(hosts)} for cmid, hosts in sorted(by_id.items())]
    tally: dict[str, dict[str, t.Any]] = {}
    for row in rows:
        activation = row.get("activation") or {}
        code = activation.get("hresult")
        if code and code != "0x00000000":
            entry = tally.setdefault(code, {"hresult": code, "symbol": activation.get("symbol"), "hosts": []})
            entry["hosts"].append(str(row["host"]))
    return {
        "duplicate_machine_ids": [d for d in duplicates if len(d["hosts"]) > 1],
        "duplicate_remedy": DUPLICATE_REMEDY,
        "activation_errors": sorted(tally.values(), key=lambda e: (-len(e["hosts"]), e["hresult"])),
        "kms_hosts": _kms_counts(rows),
    }


def _kms_counts(rows: t.Sequence[t.Mapping[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Each KMS host of the report with its count, the distinct machines this run brings it at most (hosts of this run
    routed to KMS whose configured or discovered KMS host has its name), and whether servers (from 5) and client editions (from
    25) activate then (Microsoft's "Plan for KMS activation")."""
    requesting = [
        row
        for row in rows
        if row.get("in_run", True)
        and row.get("activation_route") == ActivationRoute.KMS.value
        and row["status"] in _REQUESTING
    ]
    counts = []
    for row in rows:
        count = row.get("kms_count")
        if count is None:
            continue
        machines = {
            str(client.get("client_machine_id") or client["host"]).lower()
            for client in requesting
            if _served_by(client, str(row["host"]))
        }
        reaches = min(KMS_COUNTED_CONTACTS, count + len(machines))
        counts.append(
            {
                "host": row["host"],
                "count": count,
                "clients_in_run": len(machines),
                "reaches": reaches,
                "servers_activate": reaches >= KMS_SERVER_THRESHOLD,
                "clients_activate": reaches >= KMS_CLIENT_THRESHOLD,
            }
        )
    return counts


def _served_by(row: t.Mapping[str, t.Any], kms_host: str) -> bool:
    """Whether a row's KMS host (configured, else discovered) is ``kms_host``, by full name or by first label."""
    kms = row.get("kms") or {}
    machine = str(kms.get("machine") or kms.get("discovered_machine") or "").lower().rstrip(".")
    wanted = kms_host.lower().rstrip(".")
    return bool(machine) and (
        machine == wanted or machine.split(".", maxsplit=1)[0] == wanted.split(".", maxsplit=1)[0]
    )


def finding_lines(found: t.Mapping[str, t.Any]) -> list[str]:
    """The findings as sentences, for the text formats (empty when there is nothing to say)."""
    lines = []
    for kms in found.get("kms_hosts") or []:
        lines.append(
            f"KMS host {kms['host']} counts {kms['count']} machines; this run brings at most {kms['clients_in_run']} "
            f"more ({kms['reaches']}): servers {'activate' if kms['servers_activate'] else 'do not activate yet'} "
            f"(from {KMS_SERVER_THRESHOLD}), client editions "
            f"{'activate' if kms['clients_activate'] else 'do not activate yet'} (from {KMS_CLIENT_THRESHOLD})."
        )
    for error in found.get("activation_errors") or []:
        hosts = error["hosts"]
        shown = ", ".join(hosts[:5]) + (" ..." if len(hosts) > 5 else "")
        lines.append(
            f"{len(hosts)} host(s) got {error['hresult']} ({error['symbol'] or 'unknown'}) from Activate(): {shown}."
        )
    for duplicate in found.get("duplicate_machine_ids") or []:
        lines.append(
            f"{len(duplicate['hosts'])} hosts share the ClientMachineID {duplicate['client_machine_id']} "
            f"({', '.join(duplicate['hosts'][:5])}): {found.get('duplicate_remedy', DUPLICATE_REMEDY)}."
        )
    return lines


def override_use(rows: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, list[str]]:
    """The gvlk_overrides names the hosts were given, those a host's edition used, and those none used.

    Names compare without case, as the module matches them; a name is shown as first given.
    """
    given: dict[str, str] = {}
    used: dict[str, str] = {}
    for row in rows:
        override = row.get("gvlk_override") or {}
        for name in override.get("given") or []:
            given.setdefault(name.lower(), name)
        if override.get("used"):
            used.setdefault(override["used"].lower(), override["used"])
    return {
        "given": sorted(given.values(), key=str.lower),
        "used": sorted(used.values(), key=str.lower),
        "unmatched": sorted((name for key, name in given.items() if key not in used), key=str.lower),
    }


def summary_line(report: t.Mapping[str, t.Any], dest: str) -> str:
    """``kms audit (check): 12 hosts: 5 would_convert, 3 compliant, ... — reports in /path``."""
    summary = report["summary"]
    rank = {name: index for index, name in enumerate(STATUSES)}
    ordered = sorted(summary, key=lambda name: (-summary[name], rank.get(name, len(rank)), name))
    counts = ", ".join(f"{summary[name]} {name}" for name in ordered) or "nothing to report"
    total = len(report["hosts"])
    return (
        f"kms audit ({report['mode']}): {total} host{'' if total == 1 else 's'}: {counts} \N{EM DASH} reports in {dest}"
    )


def failing_hosts(report: t.Mapping[str, t.Any], fail_statuses: t.Iterable[str]) -> dict[str, str]:
    """The hosts of this run whose status is one of ``fail_statuses``, with that status, in the report's order."""
    failing = set(fail_statuses)
    return {row["host"]: row["status"] for row in report["hosts"] if row["status"] in failing}


def verdict_line(report: t.Mapping[str, t.Any], failing: t.Mapping[str, str], dest: str) -> str:
    """Why the run fails, counted as the printed table counts (empty when no host fails it): ``Needs attention: 5
    hosts, of which 2 fail the run (1 kms_unreachable, 1 unreachable: ...); the report in /path names them.``"""
    if not failing:
        return ""
    attention = len(report["attention"])
    counts = Counter(failing.values())
    counted = ", ".join(f"{counts[status]} {status}" for status in STATUSES if counts[status])
    return (
        f"Needs attention: {attention} host{'' if attention == 1 else 's'}, of which {len(failing)} "
        f"fail{'s' if len(failing) == 1 else ''} the run "
        f"({counted}: statuses in kms_client_report_fail_statuses); the report in {dest} names them."
    )


def change_text(pair: t.Mapping[str, t.Any], escape: t.Callable[[t.Any], str], missing: str = "not read") -> str:
    """``before → after`` of a before/after pair (each value through ``escape``), or one value when unchanged; a
    missing "before" is said in words (``missing``: ``no key → VCFB2``)."""
    before, after = escape(pair["before"]), escape(pair["after"])
    if not after or before == after:
        return before
    return f"{before or missing} \N{RIGHTWARDS ARROW} {after}"


def observed_text(row: t.Mapping[str, t.Any]) -> str:
    """When a row's outcome was observed, in words: ``2025-06-25 14:03 UTC (this run)``, or how many days before."""
    time = outcome_time(row.get("time"))
    age = row.get("age_days")
    if row.get("in_run", True):
        said = "this run"
    elif age is None:
        said = "an earlier run"
    else:
        said = "an earlier run, " + ("the same day" if age == 0 else f"{age} day{'' if age == 1 else 's'} before")
    return f"{time.replace('T', ' ')[:16]} UTC ({said})" if time else said


def short_message(message: t.Any, limit: int = SHORT_MESSAGE_LIMIT) -> str:
    """The first sentence of a message (cut to ``limit`` characters): what a reader sees before the details."""
    text = " ".join(str(message or "").split())
    end = text.find(". ")
    first = text if end < 0 else text[: end + 1]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def kms_text(kms: t.Mapping[str, t.Any] | None) -> str:
    """``machine:port`` of the configured KMS host, else of the discovered one, else empty."""
    for machine, port, label in (("machine", "port", ""), ("discovered_machine", "discovered_port", " (discovered)")):
        if kms and kms.get(machine):
            suffix = f":{kms[port]}" if kms.get(port) else ""
            return f"{kms[machine]}{suffix}{label}"
    return ""
