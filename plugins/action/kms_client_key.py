# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of volume_activation.kms.kms_client_key: probe -> plan -> apply -> verify -> result.

All decisions are made here, on the controller. The PowerShell worker of the same name only reads
the licensing state and runs the steps it is given (docs/worker_contract.md).
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from ansible_collections.volume_activation.kms.plugins.plugin_utils import _hresults, _planner, _result
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host_state import (
    HostState,
    ProbeError,
    parse_probe,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._options import (
    ARGUMENT_SPEC,
    OptionError,
    build_options,
)

WORKER = "volume_activation.kms.kms_client_key"


class ActionModule(ActionBase):
    """Make a Windows host a KMS client: install its edition's GVLK, set KMS settings, activate."""

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        super().run(tmp, task_vars)
        del tmp
        secrets = self._secret_values()
        try:
            _validation, params = self.validate_argument_spec(ARGUMENT_SPEC)
            options = build_options(params, gvlk_catalog.is_valid_product_key)
        except (AnsibleActionFail, OptionError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            return self._masked(_result.skeleton("failed", f"Invalid options: {message}", True), secrets)
        secrets |= set(options.gvlk_overrides.values())

        probe = self._worker({"operation": "probe"}, task_vars)
        if probe.get("failed") or probe.get("unreachable"):
            return self._masked(self._worker_failure("probe", probe), secrets)
        try:
            before = parse_probe(probe.get("probe"))
        except ProbeError as exc:
            return self._masked(_result.skeleton("failed", f"The worker's probe is not usable: {exc}", True), secrets)

        plan = _planner.plan(before, options, gvlk_catalog)
        warnings = self._warnings(before, probe)
        if not plan.steps or self._task.check_mode:
            result = _result.build(before, plan, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff))
            return self._masked(self._with_warnings(result, warnings), secrets)

        applied = self._worker({"operation": "apply", "steps": plan.steps}, task_vars)
        if applied.get("failed") or applied.get("unreachable"):
            failure = self._after_apply(self._worker_failure("apply", applied), plan, before, applied)
            return self._masked(self._with_warnings(failure, warnings), secrets)
        try:
            after: HostState = parse_probe(applied.get("probe"))
        except ProbeError as exc:
            failure = self._after_apply(
                _result.skeleton(
                    "failed", f"The steps ran but the worker's probe afterwards is not usable: {exc}", True
                ),
                plan,
                before,
                applied,
            )
            return self._masked(self._with_warnings(failure, warnings), secrets)
        outcome = _planner.assess(plan, before, list(applied.get("steps") or []), after, _hresults)
        result = _result.build(before, plan, check_mode=False, diff=bool(self._task.diff), outcome=outcome, after=after)
        return self._masked(self._with_warnings(result, warnings), secrets)

    def _worker(self, module_args: dict[str, Any], task_vars: dict[str, Any] | None) -> dict[str, Any]:
        """One worker execution; connection errors propagate so that Ansible reports the host unreachable."""
        return self._execute_module(module_name=WORKER, module_args=module_args, task_vars=task_vars)

    @staticmethod
    def _worker_failure(operation: str, raw: dict[str, Any]) -> dict[str, Any]:
        result = _result.skeleton(
            "failed", f"The worker failed during {operation}: {raw.get('msg') or 'no message'}", True
        )
        if raw.get("unreachable"):
            result["unreachable"] = True
        return result

    @staticmethod
    def _after_apply(
        failure: dict[str, Any], plan: _planner.Plan, before: HostState, applied: dict[str, Any]
    ) -> dict[str, Any]:
        """A failure after the apply request: keep the target, the steps that ran and the plan."""
        shown, _failed_step, _code, changed = _planner.ran_steps(list(applied.get("steps") or []), _hresults)
        failure.update(edition=dict(plan.target.edition), gvlk=plan.target.shown_key, steps=shown, changed=changed)
        said = failure["msg"].rstrip()
        failure["msg"] = (said if said.endswith((".", "!", "?")) else said + ".") + (
            f" Planned: {_planner.describe_steps(plan.steps, before, plan.target)}."
        )
        return failure

    def _secret_values(self) -> set[str]:
        """Override keys as given in the task, to mask them even in messages about invalid options."""
        raw = self._task.args.get("gvlk_overrides")
        if isinstance(raw, dict):
            return {str(v).strip() for v in raw.values() if isinstance(v, str) and v.strip()}
        return set()

    @staticmethod
    def _warnings(state: HostState, raw: dict[str, Any]) -> list[str]:
        warnings = [w for w in raw.get("warnings") or [] if isinstance(w, str)]
        if state.key_type_disagreement and state.product:
            warnings.append(
                f"Description '{state.product.description}' and ProductKeyChannel "
                f"'{state.product.channel}' name different key types; using the description "
                f"({state.key_type}) as slmgr does."
            )
        return warnings

    @staticmethod
    def _with_warnings(result: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
        if warnings:
            result["warnings"] = warnings
        return result

    @staticmethod
    def _masked(result: dict[str, Any], secrets: set[str]) -> dict[str, Any]:
        """Replace any override key that reached the result (it should not) by Ansible's mask."""
        if not secrets:
            return result
        return remove_values(result, secrets | {s.upper() for s in secrets})
