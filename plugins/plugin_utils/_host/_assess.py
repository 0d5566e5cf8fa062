# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge an apply: the worker's step results and the state it read back become the task's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._hresults import (
    describe,
    format_hresult,
    lookup,
    normalize,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._planner import (
    Plan,
    describe_steps,
    same_name,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState
from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import Activation
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    DEFAULT_KMS_PORT,
    KMS_CLIENT_THRESHOLD,
    KMS_RETRY_MINUTES,
    KMS_SERVER_THRESHOLD,
    KeyType,
    Status,
    changes_state,
)

# The KMS host's count is below the client's threshold (slerror.h; Microsoft's activation error codes).
SL_E_VL_NOT_ENOUGH_COUNT = 0xC004F038


@dataclass
class StepRecord:
    """The worker's step results as the task shows them, up to the first failure."""

    shown: list[dict[str, Any]] = field(default_factory=list)
    failed_step: dict[str, Any] | None = None
    hresult: int = 0
    changed: bool = False


@dataclass(frozen=True)
class Assessment:
    """What the applied steps did, decided from their HRESULTs and the state read afterwards."""

    status: Status
    failed: bool
    changed: bool
    msg: str
    activation: Activation
    steps: list[dict[str, Any]]


def ran_steps(results: list[dict[str, Any]]) -> StepRecord:
    """The record of the steps the worker ran; ``changed`` when a state-changing step succeeded."""
    record = StepRecord()
    for result in results:
        code = normalize(result.get("hresult")) or 0
        info = lookup(code) if code else None
        record.shown.append(
            {
                "action": result.get("action"),
                "hresult": format_hresult(code),
                "symbol": info.symbol if info else "S_OK",
                "message": result.get("message") or "",
            }
        )
        if code:
            record.failed_step, record.hresult = result, code
            break
        if changes_state(result.get("action")):
            record.changed = True
    return record


def done_status(plan: Plan) -> Status:
    """A plan that ran as planned: ``converted`` when it replaced the key, else ``reconfigured``."""
    return Status.CONVERTED if plan.key_change else Status.RECONFIGURED


def _holds_target(plan: Plan, after: HostState) -> bool:
    return (
        after.key_type == KeyType.GVLK
        and (after.partial_product_key or "").upper() == (plan.target.partial or "").upper()
    )


def _not_activated(before: HostState, after: HostState) -> str:
    """The license status read back, said against the one before: no longer / not / still activated."""
    if after.is_licensed:
        return f"the host still reports licensed (license status {after.license_status_name})"
    said = "no longer activated" if before.is_licensed else "not activated"
    return f"the host is {said} (license status {after.license_status_name})"


def _key_left(plan: Plan, before: HostState, after: HostState) -> str:
    """What a failure after the key was installed leaves: the new key, the license status read back, what to do."""
    if not (plan.key_change and _holds_target(plan, after)):
        return ""
    return (
        f" The KMS client key (partial key {after.partial_product_key}) is installed and "
        f"{_not_activated(before, after)}. "
        "Fix the cause and run this task again: it keeps the key, sets the KMS settings and activates."
    )


def _state_left(before: HostState, after: HostState) -> str:
    """What a failed step that installed no key leaves, as read back: nothing changed, or what the host holds now."""
    kms = after.kms
    held = f"{after.key_type} key (partial key {after.partial_product_key}, license status {after.license_status_name})"
    if _view(before) == _view(after):
        return f" Nothing changed: the host still holds its {held}. Fix the cause and run this task again."
    product = (
        f"; product-level KMS host {kms.product_machine or 'none'}, port {kms.product_port or 'none'}"
        if before.kms.product_machine or before.kms.product_port or kms.product_machine or kms.product_port
        else ""
    )
    return (
        f" The host now holds its {held}; KMS host {kms.machine or 'found through DNS'}, port {kms.effective_port}"
        f"{product}. Fix the cause and run this task again: it sets the remaining KMS settings and activates."
    )


def _view(state: HostState) -> tuple[Any, ...]:
    kms = state.kms
    return (
        state.key_type,
        state.partial_product_key,
        state.license_status,
        kms.machine,
        kms.port,
        kms.lookup_domain,
        kms.product_machine,
        kms.product_port,
    )


def assess_lost_reply(plan: Plan, before: HostState, record: StepRecord, after: HostState, reason: str) -> Assessment:
    """The outcome of an apply whose reply was lost, from the state read again afterwards.

    ``changed`` is what the two reads show (any difference in key, license status or KMS settings), so a
    key that changed is never reported unchanged.
    """
    changed = _view(before) != _view(after)
    done = describe_steps(plan.steps, before, plan.target)
    activation = Activation(attempted=any(s.get("action") == "activate" for s in record.shown))
    said = reason.rstrip(".") + ". The host was read again:"

    def outcome(status: Status, failed: bool, msg: str) -> Assessment:
        return Assessment(
            status=status, failed=failed, changed=changed, msg=msg, activation=activation, steps=record.shown
        )

    problems = _verify(plan, after)
    wants_licensed = plan.expected.get("license_status") == "licensed"
    if not problems and (after.is_licensed or not wants_licensed):
        return outcome(done_status(plan), False, f"{said} it reports what was planned. Done: {done}.")
    if _holds_target(plan, after) and plan.key_change:
        return outcome(
            Status.ACTIVATION_FAILED,
            True,
            f"{said} the KMS client key (partial key {after.partial_product_key}) is installed and the host is "
            f"not activated (license status {after.license_status_name})"
            + (f"; {'; '.join(problems)}" if problems else "")
            + ". Run this task again: it keeps the key, sets the KMS settings and activates.",
        )
    if not changed:
        return outcome(Status.FAILED, True, f"{said} nothing changed. Run this task again. Planned: {done}.")
    return outcome(
        Status.FAILED,
        True,
        f"{said} it differs from before and from the plan: {'; '.join(problems)}. Run this task again. Planned: {done}.",
    )


def _verify(plan: Plan, after: HostState) -> list[str]:
    """Differences between what the plan promised and what the host reports after the steps."""
    problems = []
    if not _holds_target(plan, after):
        problems.append(
            f"the host reports a {after.key_type} key with partial key {after.partial_product_key}, "
            f"expected the KMS client key ending {plan.target.partial}"
        )
    if plan.expected.get("activation_type") == 0 and after.activation_type != 0:
        problems.append(f"the activation type setting is {after.activation_type}, expected it cleared")
    want = plan.expected.get("kms", {})
    if not same_name(after.kms.machine, want.get("machine")):
        problems.append(f"KMS host is {after.kms.machine or 'not set'}, expected {want.get('machine') or 'not set'}")
    if after.kms.effective_port != want.get("port", DEFAULT_KMS_PORT):
        problems.append(f"KMS port is {after.kms.effective_port}, expected {want.get('port')}")
    allowed = want.get("product_machine")
    if allowed is not None and after.kms.product_machine and not same_name(after.kms.product_machine, allowed):
        problems.append(f"the product-level KMS host {after.kms.product_machine} overrides the requested one")
    if want.get("lookup_domain") and not same_name(after.kms.lookup_domain, want.get("lookup_domain")):
        problems.append(
            f"KMS lookup domain is {after.kms.lookup_domain or 'not set'}, expected {want.get('lookup_domain')}"
        )
    return problems


def assess(plan: Plan, before: HostState, results: list[dict[str, Any]], after: HostState) -> Assessment:
    """Turn the worker's step results and the state it read afterwards into the task's outcome."""
    record = ran_steps(results)
    failed_step, code = record.failed_step, record.hresult

    def outcome(status: Status, failed: bool, msg: str) -> Assessment:
        return Assessment(
            status=status, failed=failed, changed=record.changed, msg=msg, activation=activation, steps=record.shown
        )

    activation = Activation(attempted=any(r.get("action") == "activate" for r in results))
    if failed_step is not None and failed_step.get("action") == "activate":
        info = lookup(code)
        activation = replace(
            activation,
            hresult=info.hex,
            symbol=info.symbol,
            message=describe(code, str(failed_step.get("message") or "")),
        )
    elif activation.attempted:
        activation = replace(
            activation,
            hresult=format_hresult(0),
            symbol="S_OK",
            message=f"Activated; license status {after.license_status_name}.",
        )

    done = describe_steps(plan.steps, before, plan.target)
    if failed_step is not None:
        action = failed_step.get("action")
        detail = describe(code, str(failed_step.get("message") or ""))
        if action == "activate" and code == SL_E_VL_NOT_ENOUGH_COUNT and after.key_type == KeyType.GVLK:
            threshold = KMS_SERVER_THRESHOLD if before.is_server else KMS_CLIENT_THRESHOLD
            family = "servers" if before.is_server else "client editions"
            return outcome(
                Status.ACTIVATION_PENDING,
                False,
                f"Activation is pending: {detail} The KMS client key (partial key {after.partial_product_key}) is "
                f"installed and counted by the KMS host; this host will activate when the count reaches {threshold} "
                f"(the threshold of {family}). It retries every {KMS_RETRY_MINUTES // 60} hours by itself.",
            )
        if action == "activate":
            kept = (
                f" The KMS client key (partial key {after.partial_product_key}) is installed and kept; "
                f"{_not_activated(before, after)}. Run this task again once the cause is fixed: it keeps the key "
                "and activates."
                if plan.key_change and after.key_type == KeyType.GVLK
                else ""
            )
            return outcome(Status.ACTIVATION_FAILED, True, f"Activation failed: {detail}{kept}")
        left = _key_left(plan, before, after) or _state_left(before, after)
        return outcome(Status.FAILED, True, f"Step {action} failed: {detail}{left} Planned: {done}.")
    planned = [s["action"] for s in plan.steps]
    if len(results) < len(planned):
        ran = [r.get("action") for r in results]
        return outcome(
            Status.FAILED,
            True,
            f"The worker ran {ran} of the planned steps {planned} and reported no error; the result is incomplete.",
        )

    problems = _verify(plan, after)
    if problems:
        return outcome(
            Status.FAILED,
            True,
            "The steps reported success but the host state does not match: " + "; ".join(problems) + ".",
        )
    if plan.route_failure:
        activation = replace(activation, message=f"Activation was not tried: {plan.route_failure}")
        return outcome(Status.ACTIVATION_FAILED, True, f"Done: {done}. {activation.message}")
    if activation.attempted and not after.is_licensed:
        message = f"Activate() returned success but the license status is {after.license_status_name}."
        activation = replace(activation, message=message)
        return outcome(Status.ACTIVATION_FAILED, True, message)
    return outcome(done_status(plan), False, f"Done: {done}.")
