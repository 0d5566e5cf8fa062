# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's variables checked once for a whole run, before any host is contacted.

The playbook convert_to_kms checks the values every host of the target would see (inventory, group_vars,
extra vars) with the checks of the module (:mod:`._options`) and of the report (``kms_client_report``), and
refuses the run with one message that names each variable, its value, what is allowed and the hosts concerned.
Variables the run uses once (batch size, report, audit gate) must be the same for every host.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import typing as t
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import is_valid_product_key
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._deadline import (
    TASK_TIMEOUT_VARIABLE,
    task_timeout,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import (
    ARGUMENT_SPEC,
    OptionError,
    build_options,
    role_wording,
    whole_number,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._files import dest_problem
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._merge import report_path
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import TITLE_LIMIT
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._options import ARGUMENT_SPEC as REPORT_SPEC
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._record import record_problem
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import bound, shown
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    CONVERTIBLE_KEY_TYPES,
    ROLE_PREFIX,
    STATUSES,
)

DEFAULT_TARGET = "windows"
PATH_LIMIT = 4096  # a path the user gave is named whole (PATH_MAX on Linux)
HOSTS_SHOWN = 5
# What the report play passes to kms_client_report, checked with that module's own choices.
REPORT_CHOICES = {option: tuple(REPORT_SPEC[option]["choices"]) for option in ("results_from", "mode", "view")}
FORMATS = tuple(REPORT_SPEC["formats"]["choices"])
# Variables the run uses once: every host of the target must see the same value.
RUN_VARIABLES = (
    "kms_client_max_fail_percentage",
    "kms_client_report_dest",
    "kms_client_report_formats",
    "kms_client_report_fail_statuses",
    "kms_client_report_results_from",
    "kms_client_report_merge",
    "kms_client_report_mode",
    "kms_client_report_view",
    "kms_client_report_title",
    "kms_client_audit_gate",
)
# Play keywords: Ansible templates them with extra vars and play vars only, never with the inventory.
PLAY_KEYWORD_VARIABLES = {"kms_client_target": "hosts", "kms_client_serial": "serial"}
# Variables the role and the playbook set themselves (registered results, facts, the report's host list).
SET_BY_THE_RUN = (
    "kms_client_result",
    "kms_client_stop",
    "kms_client_report",
    "kms_client_report_hosts",
    "kms_client_run",
)
_PERCENT = re.compile(r"^(\d+)%$")
# The module says to leave KMS hosts out; through the playbook, that is done with the target.
KMS_HOSTS_OUT = "leave KMS hosts out of this task"
KMS_HOSTS_OUT_OF_TARGET = "leave KMS hosts out of the target, for example -e 'kms_client_target=windows:!kms01'"

Problems = list[str]
Variables = Callable[[str], Mapping[str, t.Any]]


class RunRefused(ValueError):
    """The run must not start; the message is meant for the user."""


def _kind(value: t.Any) -> str:
    """What a value is, in YAML's words."""
    for kind, name in ((bool, "a boolean"), (str, "a string"), (int, "a number"), (float, "a number")):
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "a mapping"
    return "a list" if isinstance(value, (list, tuple)) else "a " + type(value).__name__


def _whole(name: str, value: t.Any, bounds: tuple[int, int | None], problems: Problems, allowed: str) -> int | None:
    """A whole number from low to high (an int, or its decimal text as ``-e name=value`` gives it)."""
    low, high = bounds
    number = whole_number(value)
    if number is None or number < low or (high is not None and number > high):
        problems.append(f"{name} is {shown(value)}; expected {allowed}")
        return None
    return number


def _flag(name: str, value: t.Any, problems: Problems) -> bool:
    try:
        return boolean(value, strict=True)
    except TypeError:
        problems.append(f"{name} is {shown(value)}; expected true or false")
        return False


def _names(name: str, value: t.Any, allowed: Sequence[str], problems: Problems, *, empty: bool) -> None:
    """A YAML list of names, each one of ``allowed``."""
    if not isinstance(value, list):
        kind = "the string" if isinstance(value, str) else _kind(value)
        example = [part.strip() for part in value.split(",")] if isinstance(value, str) else list(allowed[:2])
        problems.append(
            f"{name} is {kind} {shown(value)}, not a list; give a list (of {', '.join(allowed)}), for example "
            f"-e '{json.dumps({name: example})}'"
        )
        return
    unknown = [item for item in value if not isinstance(item, str) or item not in allowed]
    if unknown:
        problems.append(f"{name} is {shown(value)}: {shown(unknown)} unknown; allowed: {', '.join(allowed)}")
    elif not value and not empty:
        problems.append(f"{name} is []; name at least one of {', '.join(allowed)}")


def _choice(name: str, value: t.Any, allowed: Sequence[str], problems: Problems) -> None:
    if value not in allowed:
        problems.append(f"{name} is {shown(value)}; allowed: {', '.join(allowed)}")


def _directory(name: str, value: t.Any, problems: Problems) -> None:
    """A directory the report can be written into (created when missing)."""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{name} is {shown(value)}; expected a directory path")
    elif (problem := dest_problem(value) or record_problem(value)) is not None:
        problems.append(f"{name} is {shown(value, PATH_LIMIT)}; the report cannot be written there: {problem}")


def _conversion(variables: Mapping[str, t.Any], problems: Problems) -> None:
    """The module's options as the role passes them (a null variable is left out), with the module's checks."""
    params: dict[str, t.Any] = {}
    for option, spec in ARGUMENT_SPEC.items():
        name = ROLE_PREFIX + option
        value = variables.get(name)
        if value is None:
            continue
        if spec["type"] == "dict" and not isinstance(value, Mapping):
            problems.append(f"{name} is {_kind(value)}, not a mapping (not shown: it may hold product keys)")
        elif spec["type"] == "list" and not isinstance(value, list):
            _names(name, value, spec.get("choices") or CONVERTIBLE_KEY_TYPES, problems, empty=True)
        elif spec["type"] == "int":
            params[option] = _whole(name, value, (-(2**31), None), problems, "a whole number")
        elif spec["type"] == "bool":
            params[option] = _flag(name, value, problems)
        else:
            params[option] = value
    if problems:
        return
    validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate(params)
    if validated.error_messages:
        problems.extend(role_wording(message) for message in validated.error_messages)
        return
    try:
        build_options(validated.validated_parameters, is_valid_product_key)
    except OptionError as error:
        problems.append(role_wording(str(error)).replace(KMS_HOSTS_OUT, KMS_HOSTS_OUT_OF_TARGET))


def host_problems(variables: Mapping[str, t.Any]) -> Problems:
    """What is wrong with the role variables one host sees (undefined variables take the role's defaults)."""
    problems: Problems = []
    _conversion(variables, problems)
    timeout = variables.get(TASK_TIMEOUT_VARIABLE)
    if timeout is not None:
        try:
            task_timeout(timeout)
        except OptionError as error:
            problems.append(str(error))
    return problems


def run_problems(variables: Mapping[str, t.Any], check_mode: bool) -> Problems:
    """What is wrong with the variables the run uses once."""
    problems: Problems = []
    value = variables.get("kms_client_max_fail_percentage")
    if value is not None:
        _whole("kms_client_max_fail_percentage", value, (0, 100), problems, "a percentage from 0 to 100")
    if (value := variables.get("kms_client_report_dest")) is not None:
        _directory("kms_client_report_dest", value, problems)
    if (value := variables.get("kms_client_report_formats")) is not None:
        _names("kms_client_report_formats", value, FORMATS, problems, empty=False)
    if (value := variables.get("kms_client_report_fail_statuses")) is not None:
        _names("kms_client_report_fail_statuses", value, STATUSES, problems, empty=True)
    if (value := variables.get("kms_client_report_merge")) is not None and not isinstance(value, list):
        problems.append(f"kms_client_report_merge is {shown(value)}, not a list of kms_audit.json paths")
    elif missing := [
        path for path in value or [] if not isinstance(path, str) or not os.path.exists(report_path(path))
    ]:
        problems.append(
            f"kms_client_report_merge names {shown(missing, PATH_LIMIT)}: no such kms_audit.json (or directory with one)"
        )
    if (value := variables.get("kms_client_report_title")) is not None and (
        not isinstance(value, str) or len(value) > TITLE_LIMIT
    ):
        problems.append(
            f"kms_client_report_title is {shown(value)}; expected a line of text, {TITLE_LIMIT} characters at most"
        )
    for option, allowed in REPORT_CHOICES.items():
        if (value := variables.get(f"kms_client_report_{option}")) is not None:
            _choice(f"kms_client_report_{option}", value, allowed, problems)
    gate = variables.get("kms_client_audit_gate")
    if gate is not None and _flag("kms_client_audit_gate", gate, problems) and not check_mode:
        problems.append(
            "kms_client_audit_gate is true but the run is not in check mode; the gate is for audits: add --check "
            "(a conversion with the gate set does not start, so an audit job that lost its --check changes nothing)"
        )
    return problems


def serial_problems(value: t.Any) -> Problems:
    """``kms_client_serial``: a batch size (1 or more), a percentage (1% to 100%), or a list of them."""
    problems: Problems = []
    allowed = "a number of hosts (1 or more), a percentage such as 25%, or a list of them such as [1, '25%']"
    for size in value if isinstance(value, list) and value else [value]:
        match = _PERCENT.match(size.strip()) if isinstance(size, str) else None
        if match and 1 <= int(match.group(1)) <= 100:
            continue
        if match or _whole("kms_client_serial", size, (1, None), [], allowed) is None:
            problems.append(f"kms_client_serial is {shown(value)}; expected {allowed}")
            break
    return problems


def target_problems(value: t.Any) -> Problems:
    """``kms_client_target``: an inventory group or host pattern."""
    if isinstance(value, str) and value.strip():
        return []
    return [f"kms_client_target is {shown(value)}; expected an inventory group or pattern, for example windows:!kms01"]


@dataclass
class _Findings:
    """Problems, each with the hosts it was found on (none for a problem of the run)."""

    by_problem: dict[str, list[str]] = field(default_factory=dict)
    host_count: int = 0

    def add(self, problems: Problems, host: str | None = None) -> None:
        for problem in problems:
            hosts = self.by_problem.setdefault(problem, [])
            if host is not None:
                hosts.append(host)

    def message(self) -> str:
        parts = []
        for problem, hosts in self.by_problem.items():
            if not hosts:
                parts.append(problem)
            elif len(hosts) == self.host_count and self.host_count > 1:
                parts.append(f"{problem} (all {len(hosts)} hosts)")
            else:
                more = f" and {len(hosts) - HOSTS_SHOWN} more" if len(hosts) > HOSTS_SHOWN else ""
                parts.append(f"{problem} (host{'s' if len(hosts) > 1 else ''} {', '.join(hosts[:HOSTS_SHOWN])}{more})")
        return "Invalid options, nothing was run: " + "; ".join(parts)


def _read(variables: Variables, host: str, names: Sequence[str], findings: _Findings) -> dict[str, t.Any] | None:
    """The values a host sees, or None (and a finding) when one cannot be templated."""
    try:
        seen = variables(host)
        return {name: seen.get(name) for name in names}
    except Exception as error:  # an inventory template that fails: say which host, not a traceback
        findings.add([f"the role variables of host {host} cannot be templated: {bound(str(error), 300)}"], host)
        return None


def _differing(name: str, seen: dict[str, t.Any]) -> str:
    values: dict[str, list[str]] = {}
    for host, value in seen.items():
        values.setdefault(shown(value), []).append(host)
    listed = "; ".join(f"{value} for {', '.join(hosts[:HOSTS_SHOWN])}" for value, hosts in values.items())
    return (
        f"{name} differs between the hosts of the target ({listed}); the run uses it once: set it for the whole "
        "target (group_vars of the target group, or -e)"
    )


def check_run(play: Mapping[str, t.Any], hosts: Sequence[str], variables: Variables, *, check_mode: bool) -> None:
    """Refuse the run (RunRefused, one message) when any host of the target would see an invalid value.

    ``play`` holds the values the play keywords see (``kms_client_target``, ``kms_client_serial``);
    ``variables(host)`` the variables of a host (hostvars).
    """
    findings = _Findings(host_count=len(hosts))
    target = play.get("kms_client_target", DEFAULT_TARGET)
    findings.add(target_problems(target))
    if play.get("kms_client_serial") is not None:
        findings.add(serial_problems(play["kms_client_serial"]))
    names = [ROLE_PREFIX + option for option in ARGUMENT_SPEC]
    names += [TASK_TIMEOUT_VARIABLE, *RUN_VARIABLES, *PLAY_KEYWORD_VARIABLES]
    checked: dict[str, Problems] = {}
    run_values: dict[str, dict[str, t.Any]] = {name: {} for name in RUN_VARIABLES}
    for host in hosts:
        seen = _read(variables, host, names, findings)
        if seen is None:
            continue
        for name, keyword in PLAY_KEYWORD_VARIABLES.items():
            if seen[name] is not None and seen[name] != play.get(name):
                findings.add(
                    [
                        f"{name} is {shown(seen[name])} in the inventory, which the play keyword {keyword} never sees "
                        f"(it sees extra vars only); give it with -e {name}=..."
                    ],
                    host,
                )
        for name in RUN_VARIABLES:
            run_values[name][host] = seen[name]
        signature = json.dumps(seen, default=str, sort_keys=True)
        if signature not in checked:
            checked[signature] = host_problems(seen)
        findings.add(checked[signature], host)
    for name, seen_by in run_values.items():
        if len({shown(value) for value in seen_by.values()}) > 1:
            findings.add([_differing(name, seen_by)])
    first = {name: next(iter(seen_by.values()), None) for name, seen_by in run_values.items()}
    findings.add(run_problems(first, check_mode))
    if findings.by_problem:
        raise RunRefused(findings.message())


def role_variable_names() -> set[str]:
    """Every kms_client_* variable the role and the playbook read or set."""
    names = {ROLE_PREFIX + option for option in ARGUMENT_SPEC}
    return names | {TASK_TIMEOUT_VARIABLE, *RUN_VARIABLES, *PLAY_KEYWORD_VARIABLES, *SET_BY_THE_RUN}


def unknown_variables(hosts: Sequence[str], variables: Callable[[str], Iterable[t.Any]]) -> list[str]:
    """A warning for each variable a host sets that the role does not know though the user may have meant one of its
    variables: a kms_client_* name with a typo, or a variable named without the prefix (``on_kms_unreachable``,
    ``kms_host``: the module's option names). A typo is not a setting. ``variables(host)``: the names of the host's
    variables (or its variables)."""
    known = role_variable_names()
    # The role's variables without their prefix (those the run sets itself aside): what -e kms_host=... gives.
    unprefixed = {name[len(ROLE_PREFIX) :]: name for name in known - set(SET_BY_THE_RUN)}
    unknown: dict[str, list[str]] = {}
    for host in hosts:
        try:
            names = [str(name) for name in variables(host)]
        except Exception:  # check_run has already said why this host's variables cannot be read
            continue
        for name in names:
            if (name.startswith(ROLE_PREFIX) and name not in known) or name in unprefixed:
                unknown.setdefault(name, []).append(host)
    warnings = []
    for name, seen_by in sorted(unknown.items()):
        nearest = (
            [unprefixed[name]]
            if name in unprefixed
            else difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        )
        hint = f"; did you mean {nearest[0]}?" if nearest else ""
        shown_hosts = ", ".join(seen_by[:HOSTS_SHOWN]) + (", ..." if len(seen_by) > HOSTS_SHOWN else "")
        warnings.append(
            f"{name} is set (hosts {shown_hosts}) but is no variable of the role, so it changes nothing{hint}"
        )
    return warnings


def no_hosts_message(target: t.Any, limit: t.Any) -> str:
    """Why a target without hosts does not run, and what to do."""
    limited = f" after --limit {shown(limit)}" if limit else ""
    return (
        f"kms_client_target {shown(target)} matches no host of the inventory{limited} (an empty or missing group, "
        "or a --limit that leaves none of its hosts); nothing was run. Name a group that has hosts, for example "
        "-e kms_client_target=windows"
    )
