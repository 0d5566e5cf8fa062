# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After a batch: the facts kept for the hosts whose result failed or did not reach them, and the stop decision."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import HostOutcome
from ansible_collections.volume_activation.kms.plugins.plugin_utils._run._batch import kms_client_batch

TIME = "2025-06-25T14:03:07Z"


def _result(outcome: HostOutcome, **result: t.Any) -> dict[str, t.Any]:
    """A registered kms_client_key result: the module's result and fact, then what Ansible changed in it."""
    return {**outcome.result(), "ansible_facts": {"kms_client": outcome.fact(None, TIME)}, **result}


CONVERTED = _result(HostOutcome("would_convert", "would install", changed=True))
REFUSED = _result(HostOutcome("is_kms_host", "a KMS host", failed=True), failed=False)  # failed_when
KMS_UNREACHABLE = _result(HostOutcome("kms_unreachable", "no KMS host answers", failed=True))
UNREACHABLE = {"unreachable": True, "changed": False, "msg": "basic: Connection refused"}
TIMED_OUT = {"failed": True, "msg": "timed out", "timedout": {"frame": "", "period": 123}}


def _hostvars(**results: t.Any) -> dict[str, dict[str, t.Any]]:
    return {host: {"kms_client_result": result, "other": 1} for host, result in results.items()}


def test_the_hosts_whose_result_failed_get_a_fact_the_others_keep_the_one_ansible_kept() -> None:
    hostvars = _hostvars(a=CONVERTED, b=REFUSED, c=KMS_UNREACHABLE, d=UNREACHABLE, e=TIMED_OUT)
    hostvars["f"] = {}  # no result yet (another strategy than linear): left to its own run

    batch = kms_client_batch(["a", "b", "c", "d", "e", "f"], hostvars, 100, check_mode=True)

    facts = batch["facts"]
    assert list(facts) == ["c", "d", "e"]
    assert facts["c"] == {**KMS_UNREACHABLE["ansible_facts"]["kms_client"], "mode": "check"}
    assert (facts["d"]["status"], facts["d"]["mode"], facts["d"]["failed"]) == ("unreachable", "check", True)
    assert "Connection refused" in facts["d"]["msg"] and "winrm quickconfig" in facts["d"]["msg"]
    assert (facts["e"]["status"], facts["e"]["version"]) == ("timed_out", 2)
    assert "123 s" in facts["e"]["msg"]
    assert all(fact["time"] for fact in facts.values())
    assert batch["stop"] is False


def test_an_unreachable_result_that_carries_a_fact_is_kept_unreachable_at_its_time() -> None:
    lost = _result(HostOutcome("failed", "The worker failed during probe: reset", failed=True), unreachable=True)

    fact = kms_client_batch(["a"], _hostvars(a=lost), check_mode=False)["facts"]["a"]

    assert (fact["status"], fact["mode"], fact["time"]) == ("unreachable", "apply", TIME)


@pytest.mark.parametrize(
    ("failed", "percentage", "stop"),
    [(0, 0, False), (1, 0, True), (1, 25, False), (2, 25, True), (4, 99, True), (4, 100, False)],
)
def test_the_play_stops_when_more_than_the_percentage_of_the_batch_failed(
    failed: int, percentage: int, stop: bool
) -> None:
    hosts = [f"h{number}" for number in range(4)]
    results = {host: KMS_UNREACHABLE if number < failed else CONVERTED for number, host in enumerate(hosts)}

    batch = kms_client_batch(hosts, _hostvars(**results), str(percentage))

    assert batch["stop"] is stop
    assert batch["reason"].startswith(f"not run: the play stopped after a batch in which {failed} of 4 hosts failed")
    assert batch["reason"].endswith(f"more than kms_client_max_fail_percentage {percentage}%")


def test_the_reason_names_ten_failed_hosts_at_most() -> None:
    hosts = [f"h{number:02}" for number in range(12)]

    reason = kms_client_batch(hosts, _hostvars(**dict.fromkeys(hosts, UNREACHABLE)), 50)["reason"]

    assert "(h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, ...)" in reason


def test_a_result_the_module_itself_ended_on_the_task_timeout_keeps_its_own_fact() -> None:
    sent = _result(HostOutcome("timed_out", "the apply request was sent", failed=True, changed=True))

    fact = kms_client_batch(["a"], _hostvars(a=sent), check_mode=False)["facts"]["a"]

    assert (fact["status"], fact["changed"], fact["mode"], fact["time"]) == ("timed_out", True, "apply", TIME)


def test_an_outcome_that_failed_counts_though_the_task_reported_it_without_failing() -> None:
    # The role's failed_when makes kms_unreachable an ok result: Ansible keeps its fact, the batch still counts it.
    reported = {**KMS_UNREACHABLE, "failed": False}

    batch = kms_client_batch(["a", "b", "c"], _hostvars(a=reported, b=CONVERTED, c=REFUSED), 0)

    assert batch["facts"] == {}
    assert batch["stop"] is True and "1 of 3 hosts failed (a)" in batch["reason"]  # a refusal is no failure
