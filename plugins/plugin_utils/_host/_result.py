# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build one host's outcome of kms_client_key (:class:`HostOutcome`) from the state read, the plan and the
assessment of an apply: every documented key, and no secret."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._assess import Assessment
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._evaluation import dism_edition
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._planner import (
    Plan,
    describe_steps,
    public_step,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState
from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import (
    Activation,
    Change,
    HostOutcome,
    Override,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import ActivationRoute, Status


def failure(msg: str, *, unreachable: bool = False) -> HostOutcome:
    """A failed outcome where nothing was learned about the host (``unreachable`` when the connection failed)."""
    return HostOutcome(Status.FAILED.value, msg, failed=True, unreachable=unreachable)


def _snapshot(state: HostState) -> dict[str, Any]:
    return {
        "edition": dism_edition(state) or None,
        "key_type": state.key_type,
        "partial_product_key": state.partial_product_key,
        "license_status": state.license_status_name,
        "kms_machine": state.kms.machine,
        "kms_port": state.kms.effective_port,
        "kms_lookup_domain": state.kms.lookup_domain,
        "activation_type": state.activation_type,
    }


def _predicted(before: HostState, plan: Plan) -> dict[str, Any]:
    kms = plan.expected.get("kms", {})
    return {
        "edition": plan.edition_change.target if plan.edition_change else dism_edition(before) or None,
        "key_type": plan.expected.get("key_type", before.key_type),
        "partial_product_key": plan.expected.get("partial_product_key", before.partial_product_key),
        "license_status": plan.expected.get("license_status") or "unknown",
        "kms_machine": kms.get("machine"),
        "kms_port": kms.get("port"),
        "kms_lookup_domain": kms.get("lookup_domain"),
        "activation_type": (
            before.activation_type if plan.expected.get("activation_type") is None else plan.expected["activation_type"]
        ),
    }


# VLActivationType, how the product was last activated (slmgr's IsADActivated tests 1).
_ACTIVATED_BY = {1: ActivationRoute.ADBA.value, 2: ActivationRoute.KMS.value}


def _route(before: HostState, plan: Plan, after: HostState | None) -> str | None:
    """The route that activated the host as read back (after an apply, or a host with nothing to change), else the
    one the plan expects."""
    read = after if after is not None else (None if plan.steps else before)
    activated_by = read.product.activated_by if read is not None and read.product is not None else None
    if read is not None and read.is_licensed and activated_by in _ACTIVATED_BY:
        return _ACTIVATED_BY[activated_by]
    return plan.activation_route


def build(
    before: HostState,
    plan: Plan,
    *,
    diff: bool,
    assessment: Assessment | None = None,
    after: HostState | None = None,
) -> HostOutcome:
    """The outcome for a probed host: refusal/skip/compliant, check-mode prediction or applied outcome."""
    real_after = after or before
    activation = Activation()
    steps: tuple[dict[str, Any], ...] = ()
    if assessment is not None:
        status, failed, changed, msg = assessment.status, assessment.failed, assessment.changed, assessment.msg
        activation, steps = assessment.activation, tuple(assessment.steps)
        after_view = _snapshot(real_after)
    elif plan.steps:  # check mode: the prediction
        status, failed, changed, msg = plan.status, False, plan.changes, plan.msg
        steps = tuple(public_step(s, plan.target) for s in plan.steps)
        after_view = _predicted(before, plan)
    else:
        status, failed, changed, msg = plan.status, plan.failed, False, plan.msg
        after_view = _snapshot(before)

    return HostOutcome(
        status=status.value,
        msg=msg,
        failed=failed,
        changed=changed,
        edition=plan.target.edition,
        gvlk=plan.target.shown_gvlk,
        key_type=Change(before.key_type, after_view["key_type"]),
        partial_product_key=Change(before.partial_product_key, after_view["partial_product_key"]),
        license_status=Change(before.license_status_name, after_view["license_status"]),
        kms=real_after.kms.shown(),
        gvlk_override=Override(used=plan.target.override_name),
        activation_route=_route(before, plan, after),
        client_machine_id=real_after.machine_id or before.machine_id,
        kms_count=before.kms_count,
        activation=activation,
        grace_period_remaining=real_after.product.grace_period_remaining if real_after.product else None,
        steps=steps,
        skip_reason=plan.skip_reason,
        diff={"before": _snapshot(before), "after": after_view} if diff else None,
    )


def timed_out_unread(period: int) -> HostOutcome:
    """The task timeout (``period`` seconds) ended the task before the apply request was sent: nothing was written,
    and the host's state was not read (or not to the end)."""
    return HostOutcome(
        Status.TIMED_OUT.value,
        f"No answer within the task timeout ({period} s, kms_client_task_timeout) before any change was sent: the host "
        "or its WinRM service hung and the task was stopped; nothing was changed. Check the host's WinRM service (or "
        "raise kms_client_task_timeout), then run again.",
        failed=True,
    )


def timed_out(before: HostState, plan: Plan, period: int | None) -> HostOutcome:
    """The task timeout (``period`` seconds) ended the task once the apply request was sent: the host as the probe
    read it before, the plan, and an unknown state after; changed whenever the plan writes, since it may have run."""
    outcome = build(before, plan, diff=False)
    edition = plan.edition_change.source if plan.edition_change else None
    return replace(
        outcome,
        status=Status.TIMED_OUT.value,
        failed=True,
        changed=plan.changes,
        msg=f"The task timeout ({period if period is not None else '?'} s) ended the task after the apply request "
        f"was sent ({describe_steps(plan.steps, before, plan.target)}): what the host holds now is unknown, a key may "
        f"have changed. Before, it held its {before.key_type} key (partial key {before.partial_product_key or 'none'}, "
        f"license status {before.license_status_name}). Check the host (slmgr /dlv) and its WinRM service, then run "
        "again.",
        key_type=Change(before.key_type, None),
        partial_product_key=Change(before.partial_product_key, None),
        license_status=Change(before.license_status_name, None),
        kms=before.kms.shown(),
        activation_route=None,
        edition_change=Change(edition, None) if edition else Change(),
        steps=(),
    )
