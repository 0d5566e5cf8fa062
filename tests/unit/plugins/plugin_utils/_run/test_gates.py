# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit gate: what it counts, and when it passes."""

from __future__ import annotations

import collections
import typing as t
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError

from ansible_collections.volume_activation.kms.plugins.plugin_utils._run._gates import (
    GATE_PASSED,
    RUN_FACT,
    kms_client_audit_gate,
    kms_client_checked,
    kms_client_failing,
)

ROOT = Path(__file__).resolve().parents[5]


def _hostvars(
    summary: dict[str, int], mode: str = "check", gate: t.Any = True, failing: t.Any = None
) -> dict[str, t.Any]:
    report = {"mode": mode, "summary": summary, "failing": failing or {}}
    return {
        "localhost": {RUN_FACT: {"target": "windows", "hosts": ["a"]}},
        "a": {"kms_client_audit_gate": gate, "kms_client_report": report, "kms_client_report_dest": "out"},
    }


@pytest.mark.parametrize(
    ("summary", "counted"),
    [
        ({"would_convert": 2, "compliant": 1}, "2 would_convert"),
        ({"would_reconfigure": 1, "compliant": 3}, "1 would_reconfigure"),
        ({"would_convert": 1, "would_reconfigure": 2}, "1 would_convert, 2 would_reconfigure"),
    ],
)
def test_the_gate_counts_every_host_a_conversion_would_change(summary: dict[str, int], counted: str) -> None:
    with pytest.raises(AnsibleError) as raised:
        kms_client_audit_gate(_hostvars(summary))
    assert f"({counted})" in str(raised.value) and "the report in out names them" in str(raised.value)


@pytest.mark.parametrize(
    "hostvars",
    [
        _hostvars({"compliant": 3, "is_kms_host": 1}),
        _hostvars({"would_convert": 2}, gate=False),
        _hostvars({"would_convert": 2}, mode="apply"),
        # Hosts fail the run: the last play ends it (2 or 4), not the gate (1).
        _hostvars({"would_convert": 2, "kms_unreachable": 1}, failing={"b": "kms_unreachable"}),
        None,
    ],
)
def test_the_gate_passes_a_compliant_audit_an_unset_gate_and_an_apply(hostvars: t.Any) -> None:
    assert kms_client_audit_gate(hostvars) == GATE_PASSED


class _CountedHostvars(dict):  # type: ignore[type-arg]
    """hostvars that count how often each host's variables are read."""

    def __init__(self, *args: t.Any) -> None:
        super().__init__(*args)
        self.reads: collections.Counter[str] = collections.Counter()

    def __getitem__(self, host: str) -> t.Any:
        self.reads[host] += 1
        return super().__getitem__(host)


def test_the_target_check_reads_each_hosts_variables_once() -> None:
    """Reading a host's variables is the check's cost per host: once for the checks and the typo warning."""
    defaults = yaml.safe_load((ROOT / "roles" / "kms_client" / "defaults" / "main.yml").read_text(encoding="utf-8"))
    role = {**defaults, "kms_client_task_timeout": 153}
    hosts = [f"h{number}" for number in range(5)]
    hostvars = _CountedHostvars({host: dict(role) for host in hosts})
    hostvars["localhost"] = {RUN_FACT: {"target": "windows", "hosts": hosts}}

    assert kms_client_checked("windows", hostvars, None, True) == "windows"
    assert {host: hostvars.reads[host] for host in hosts} == dict.fromkeys(hosts, 1)


@pytest.mark.parametrize(
    ("hostvars", "failing"),
    [
        (
            _hostvars({"kms_unreachable": 1, "unreachable": 1}, failing={"b": "kms_unreachable", "c": "unreachable"}),
            ["b", "c"],
        ),
        (_hostvars({"compliant": 1}), []),
        ({"localhost": {RUN_FACT: {"target": "windows", "hosts": ["a"]}}, "a": {}}, []),  # no report (yet)
        (
            {
                "localhost": {RUN_FACT: {"target": "other", "hosts": ["a"]}},
                "a": {"kms_client_report": {"failing": {"a": "failed"}}},
            },
            [],
        ),
        (None, []),
    ],
)
def test_the_last_play_has_the_hosts_whose_status_fails_the_run_and_no_other(hostvars: t.Any, failing: list) -> None:
    assert kms_client_failing(hostvars) == failing
