# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gates of the playbook convert_to_kms (filters), run while Ansible templates play keywords, outside any task.

An error raised there ends ansible-playbook before the play runs: AnsibleParserError gives exit code 4 while a
play's ``hosts`` is templated, and AnsibleError gives exit code 1 while a play's ``vars_files`` is templated, on
every supported ansible-core (2.16 to 2.19).
"""

from __future__ import annotations

import typing as t

from ansible import context
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.utils.display import Display

from ansible_collections.volume_activation.kms.plugins.plugin_utils._run._role_options import (
    DEFAULT_TARGET,
    RunRefused,
    check_run,
    no_hosts_message,
    target_problems,
    unknown_variables,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import Status

# The fact the first play of convert_to_kms leaves on localhost: {"target": pattern, "hosts": [names]}.
RUN_FACT = "kms_client_run"
REPORT_VAR = "kms_client_report"
# The vars file of the playbook's last play, loaded once the audit gate has passed (playbooks/vars/).
GATE_PASSED = "audit_gate.yml"
# What the audit gate counts: the hosts a run without --check would change.
GATED = (Status.WOULD_CONVERT.value, Status.WOULD_RECONFIGURE.value)
# ansible-playbook options that only read the playbook (no play runs, so no host was found): nothing to check.
LISTING = ("syntax", "listhosts", "listtasks", "listtags")


def _listing() -> bool:
    return any(context.CLIARGS.get(option) for option in LISTING)


def _run_hosts(hostvars: t.Any, target: str) -> list[str]:
    """The hosts the first play found for this target (none when it matched no host)."""
    if hostvars is None:
        return []
    try:
        recorded = hostvars["localhost"].get(RUN_FACT)
    except (KeyError, AttributeError):
        return []
    if not isinstance(recorded, t.Mapping) or recorded.get("target") != target:
        return []
    return [str(host) for host in recorded.get("hosts") or []]


def kms_client_target(target: t.Any) -> str:
    """The target pattern, checked (AnsibleParserError when it is not a pattern)."""
    problems = target_problems(target)
    if problems:
        raise AnsibleParserError("Invalid options, nothing was run: " + "; ".join(problems))
    return str(target)


def kms_client_checked(
    target: t.Any, hostvars: t.Any, serial: t.Any = None, check_mode: bool = False, limit: t.Any = None
) -> str:
    """The target pattern once every host of it sees valid role variables (AnsibleParserError otherwise)."""
    target = kms_client_target(target)
    if _listing():
        return target
    hosts = _run_hosts(hostvars, target)
    if not hosts:
        raise AnsibleParserError(no_hosts_message(target, limit))
    play = {"kms_client_target": target, "kms_client_serial": serial}
    # Each host's variables are read once (about a millisecond each): for the checks, and the names it sets.
    names: dict[str, list[str]] = {}

    def variables(host: str) -> t.Any:
        seen = hostvars[host]
        names[host] = [str(name) for name in seen]
        return seen

    try:
        check_run(play, hosts, variables, check_mode=bool(check_mode))
        for warning in unknown_variables(hosts, lambda host: names.get(host, [])):
            Display().warning(warning)
    except RunRefused as refused:
        raise AnsibleParserError(str(refused)) from None
    return target


def _report(hostvars: t.Any, hosts: list[str]) -> t.Mapping[str, t.Any]:
    """The kms_client_report result the report play registered (on every host of it: the task runs once)."""
    for host in hosts:
        try:
            registered = hostvars[host].get(REPORT_VAR)
        except (KeyError, AttributeError):
            continue
        if isinstance(registered, t.Mapping):
            return registered
    return {}


def kms_client_failing(hostvars: t.Any, target: t.Any = DEFAULT_TARGET) -> list[str]:
    """The hosts of this run whose status fails it (the report's ``failing``): the last play's hosts."""
    failing = _report(hostvars, _run_hosts(hostvars, str(target))).get("failing")
    return [str(host) for host in failing] if isinstance(failing, t.Mapping) else []


def kms_client_audit_gate(hostvars: t.Any, target: t.Any = DEFAULT_TARGET) -> str:
    """The vars file of the passed gate; AnsibleError when kms_client_audit_gate is set and the audit would convert
    (when hosts fail the run, the last play ends it with exit code 2 or 4 instead)."""
    hosts = _run_hosts(hostvars, str(target))
    if not hosts:
        return GATE_PASSED
    variables = hostvars[hosts[0]]
    if not boolean(variables.get("kms_client_audit_gate") or False, strict=False):
        return GATE_PASSED
    report = _report(hostvars, hosts)
    if report.get("failing"):
        return GATE_PASSED
    summary = report.get("summary")
    found = {status: int(summary.get(status) or 0) for status in GATED} if isinstance(summary, t.Mapping) else {}
    count = sum(found.values())
    if report.get("mode") == "check" and count > 0:
        counted = ", ".join(f"{number} {status}" for status, number in found.items() if number)
        raise AnsibleError(
            f"Audit gate (kms_client_audit_gate): the audit found {count} host(s) to convert or reconfigure "
            f"({counted}); "
            f"the report in {variables.get('kms_client_report_dest') or 'kms_reports'} names them. "
            "Run without --check to convert them."
        )
    return GATE_PASSED
