# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A batch of the conversion play once its kms_client_key task has run on every host of it (filter kms_client_batch).

kms_client_key returns each host's outcome as its ``kms_client`` fact, and Ansible keeps the facts of the results
that did not fail (the role's task fails only when its result tells no outcome). This works out, in one pass over
the batch on the controller, the fact to keep for each host whose result failed, was unreachable or timed out, and
whether the play stops after the batch (``kms_client_max_fail_percentage``): more than that share of it failed, by
its result or by its outcome.
"""

from __future__ import annotations

import typing as t
from dataclasses import replace

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import utc_timestamp
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import outcome_time, read_outcome
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import REFUSALS

# The variable the role registers the kms_client_key result of each host in.
RESULT_VAR = "kms_client_result"
FAILED_SHOWN = 10
# What the report says of the hosts the stop left out; the role's message drops the "not run: " head.
STOPPED = "not run: the play stopped"


def _mapping(value: t.Any) -> t.Mapping[str, t.Any]:
    return value if isinstance(value, t.Mapping) else {}


def _result(hostvars: t.Any, host: str) -> t.Mapping[str, t.Any] | None:
    """The host's registered kms_client_key result, or None when it has none (yet)."""
    try:
        result = hostvars[host].get(RESULT_VAR)
    except (KeyError, AttributeError):
        return None
    return result if isinstance(result, t.Mapping) else None


def _outcome_failed(fact: t.Mapping[str, t.Any]) -> bool:
    """Whether a host's outcome is a failure: failed, and no refusal by design (a KMS host, an evaluation edition)."""
    return bool(fact.get("failed")) and fact.get("status") not in REFUSALS


def kept_fact(result: t.Mapping[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    """The ``kms_client`` fact of a host whose result failed, so that Ansible kept no fact from it: the fact the result
    carries, or, for an unreachable host or one Ansible's task timeout ended, the (failed) outcome its result tells."""
    mode = "check" if check_mode else "apply"
    carried = _mapping(_mapping(result.get("ansible_facts")).get("kms_client"))
    if carried and not result.get("unreachable"):
        return {**carried, "mode": carried.get("mode") or mode}
    outcome = replace(read_outcome(result), failed=True)
    return outcome.fact(mode, outcome_time(carried.get("time")) or utc_timestamp())


def kms_client_batch(
    batch: t.Sequence[str], hostvars: t.Any, max_fail_percentage: t.Any = 100, check_mode: bool = False
) -> dict[str, t.Any]:
    """``facts``: the fact to keep of each host of ``batch`` whose result failed or did not reach it; ``stop``: more
    than ``max_fail_percentage`` of the batch failed (so, or by its outcome), and ``reason``: what the report says of
    the hosts left out."""
    facts: dict[str, dict[str, t.Any]] = {}
    failed: list[str] = []
    for host in batch:
        result = _result(hostvars, str(host))
        if result is None:
            continue
        if result.get("failed") or result.get("unreachable"):
            facts[str(host)] = kept_fact(result, check_mode)
            failed.append(str(host))
        elif _outcome_failed(_mapping(_mapping(result.get("ansible_facts")).get("kms_client"))):
            failed.append(str(host))  # an outcome that failed, which the task reported without failing
    percentage = int(max_fail_percentage)
    shown = ", ".join(failed[:FAILED_SHOWN]) + (", ..." if len(failed) > FAILED_SHOWN else "")
    return {
        "facts": facts,
        "stop": len(failed) * 100 > percentage * len(batch),
        "reason": f"{STOPPED} after a batch in which {len(failed)} of {len(batch)} hosts failed ({shown}), more than "
        f"kms_client_max_fail_percentage {percentage}%",
    }
