# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the kms_client_key task result: every documented key, always present, and no secret."""

from __future__ import annotations

import datetime
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._assess import Outcome, not_attempted
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._planner import Plan, public_step
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import Status

FACT_VERSION = 1
FACT_KEYS = ("edition", "gvlk", "key_type", "partial_product_key", "license_status", "kms", "gvlk_override")
PARTIAL_KEY_LENGTH = 5


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def facts(result: dict[str, Any], mode: str | None) -> dict[str, Any]:
    """``ansible_facts.kms_client``: the stable record of this run's outcome, for any fact cache and the report.

    Built from the task result itself (so the fact and the result never disagree), with the time of the run
    and its mode (``check``, ``apply``, or None when the task failed before it knew).
    """
    fact: dict[str, Any] = {
        "version": FACT_VERSION,
        "time": _now(),
        "mode": mode,
        "status": result["status"],
        "changed": bool(result["changed"]),
        "failed": bool(result["failed"]),
        "message": result["msg"],
    }
    for key in FACT_KEYS:
        value = result[key]
        fact[key] = dict(value) if isinstance(value, dict) else value
    fact["partial_product_key"] = {
        side: None if value is None else str(value)[-PARTIAL_KEY_LENGTH:]
        for side, value in fact["partial_product_key"].items()
    }
    return fact


def with_facts(result: dict[str, Any], mode: str | None) -> dict[str, Any]:
    """The result with its ``ansible_facts.kms_client``, built from the finished result."""
    result["ansible_facts"] = {"kms_client": facts(result, mode)}
    return result


def skeleton(status: Status, msg: str, failed: bool) -> dict[str, Any]:
    """A result with every key, for outcomes where nothing was learned about the host."""
    result = {
        "changed": False,
        "failed": failed,
        "msg": msg,
        "status": status.value,
        "refused": status.refusal,
        "edition": None,
        "gvlk": None,
        "key_type": {"before": None, "after": None},
        "partial_product_key": {"before": None, "after": None},
        "license_status": {"before": None, "after": None},
        "kms": None,
        "gvlk_override": no_override(),
        "activation": not_attempted(),
        "steps": [],
        "kms_route": None,
    }
    return result


def no_override() -> dict[str, Any]:
    """The ``gvlk_override`` of a result before the options were read: none given, none used."""
    return {"given": [], "used": None}


def _snapshot(state: HostState) -> dict[str, Any]:
    return {
        "key_type": state.key_type,
        "partial_product_key": state.partial_product_key,
        "license_status": state.license_status_name,
        "kms_machine": state.kms.machine,
        "kms_port": state.kms.effective_port,
        "kms_lookup_domain": state.kms.lookup_domain,
    }


def _predicted(before: HostState, plan: Plan) -> dict[str, Any]:
    kms = plan.expected.get("kms", {})
    return {
        "key_type": plan.expected.get("key_type", before.key_type),
        "partial_product_key": plan.expected.get("partial_product_key", before.partial_product_key),
        "license_status": plan.expected.get("license_status") or "unknown",
        "kms_machine": kms.get("machine"),
        "kms_port": kms.get("port"),
        "kms_lookup_domain": kms.get("lookup_domain"),
    }


def build(
    before: HostState,
    plan: Plan,
    *,
    diff: bool,
    outcome: Outcome | None = None,
    after: HostState | None = None,
) -> dict[str, Any]:
    """The task result for a probed host: refusal/skip/compliant, check-mode prediction or applied outcome."""
    real_after = after or before
    if outcome is not None:
        status, failed, changed, msg = outcome.status, outcome.failed, outcome.changed, outcome.msg
        activation, steps = outcome.activation, outcome.steps
        after_view = _snapshot(real_after)
    elif plan.steps:  # check mode: the prediction
        status, failed, changed, msg = plan.status, False, plan.changes, plan.msg
        activation = not_attempted()
        steps = [public_step(s, plan.target) for s in plan.steps]
        after_view = _predicted(before, plan)
    else:
        status, failed, changed, msg = plan.status, plan.failed, False, plan.msg
        activation = not_attempted()
        steps = []
        after_view = _snapshot(before)

    result: dict[str, Any] = {
        "changed": changed,
        "failed": failed,
        "msg": msg,
        "status": status.value,
        "refused": status.refusal,
        "edition": dict(plan.target.edition),
        "gvlk": plan.target.shown_gvlk,
        "key_type": {"before": before.key_type, "after": after_view["key_type"]},
        "partial_product_key": {"before": before.partial_product_key, "after": after_view["partial_product_key"]},
        "license_status": {"before": before.license_status_name, "after": after_view["license_status"]},
        "kms": real_after.kms.as_dict(),
        "gvlk_override": {"given": [], "used": plan.target.override_name},
        "activation": activation,
        "steps": steps,
        "kms_route": None,
    }
    if plan.skip_reason:
        result["skip_reason"] = plan.skip_reason
    if diff:
        result["diff"] = {"before": _snapshot(before), "after": after_view}
    return result
