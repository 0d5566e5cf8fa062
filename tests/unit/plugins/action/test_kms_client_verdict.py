# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kms_client_verdict action plugin: a host is counted failed, or unreachable, as its status says."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.volume_activation.kms.plugins.action.kms_client_verdict import ActionModule

VERDICT = "Needs attention: 2 hosts, of which 2 fail the run (...); the report in out names them."


def run(args: dict) -> dict:
    task = Task()
    task.action = "volume_activation.kms.kms_client_verdict"
    task.args = args
    loader = DataLoader()
    connection = MagicMock()
    action = ActionModule(task, connection, PlayContext(), loader, Templar(loader=loader), None)
    action._load_name = task.action
    result = action.run(task_vars={})
    assert not connection.method_calls  # no host is contacted
    return result


@pytest.mark.parametrize("status", ["kms_unreachable", "failed", "timed_out", "not_run"])
def test_a_host_whose_status_fails_the_run_fails_with_the_runs_verdict(status: str) -> None:
    assert run({"status": status, "msg": VERDICT}) == {
        "failed": True,
        "changed": False,
        "status": status,
        "msg": VERDICT,
    }


def test_a_host_the_run_did_not_reach_is_unreachable() -> None:
    with pytest.raises(AnsibleConnectionFailure) as raised:
        run({"status": "unreachable", "msg": VERDICT})
    assert str(raised.value).startswith("This host was not reached in this run") and VERDICT in str(raised.value)


def test_a_status_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(AnsibleActionFail, match="status"):
        run({"status": "broken", "msg": VERDICT})
