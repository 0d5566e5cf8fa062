# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit gate: what it counts, and when it passes."""

from __future__ import annotations

import typing as t

import pytest
from ansible.errors import AnsibleError

from ansible_collections.volume_activation.kms.plugins.plugin_utils._run._gates import (
    GATE_PASSED,
    RUN_FACT,
    kms_client_audit_gate,
)


def _hostvars(summary: dict[str, int], mode: str = "check", gate: t.Any = True) -> dict[str, t.Any]:
    report = {"mode": mode, "summary": summary}
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
        None,
    ],
)
def test_the_gate_passes_a_compliant_audit_an_unset_gate_and_an_apply(hostvars: t.Any) -> None:
    assert kms_client_audit_gate(hostvars) == GATE_PASSED
