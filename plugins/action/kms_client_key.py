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

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import is_valid_product_key
from ansible_collections.volume_activation.kms.plugins.plugin_utils import _result
from ansible_collections.volume_activation.kms.plugins.plugin_utils._assess import assess, ran_steps
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host_state import (
    HostState,
    ProbeError,
    parse_probe,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._kms_route import (
    KmsRoute,
    RouteError,
    parse_route,
    request,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._options import (
    ARGUMENT_SPEC,
    OptionError,
    Options,
    build_options,
    override_warnings,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._planner import Plan, describe_steps, plan
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import Status

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
        warnings: list[str] = []
        try:
            _validation, params = self.validate_argument_spec(ARGUMENT_SPEC)
            options = build_options(params, is_valid_product_key)
        except (AnsibleActionFail, OptionError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            result = _result.skeleton(Status.FAILED, f"Invalid options: {message}", True)
        else:
            secrets |= set(options.gvlk_overrides.values())
            warnings += override_warnings(options)
            result = self._convert(options, task_vars, warnings)
        if warnings:
            result["warnings"] = warnings
        if secrets:  # any override key that reached the result (it should not) becomes Ansible's mask
            result = remove_values(result, secrets | {s.upper() for s in secrets})
        return result

    def _convert(self, options: Options, task_vars: dict[str, Any] | None, warnings: list[str]) -> dict[str, Any]:
        """Probe, plan, apply and verify one host; ``warnings`` collects what the result should warn about."""
        route_args = request(options)
        probe_args: dict[str, Any] = {"operation": "probe"}
        if route_args is not None:
            probe_args["kms_route"] = route_args
        probe = self._worker(probe_args, task_vars)
        if probe.get("failed") or probe.get("unreachable"):
            return self._worker_failure("probe", probe)
        try:
            before = parse_probe(probe.get("probe"))
        except ProbeError as exc:
            return _result.skeleton(Status.FAILED, f"The worker's probe is not usable: {exc}", True)
        route: KmsRoute | None = None
        route_problem = ""
        if route_args is not None:
            try:
                route = parse_route(probe.get("kms_route"))
            except RouteError as exc:
                route_problem = str(exc)

        planned = plan(before, options, route, route_problem)
        warnings += self._warnings(before, probe)
        check_mode, diff = bool(self._task.check_mode), bool(self._task.diff)
        if not planned.steps or check_mode:
            return self._with_route(_result.build(before, planned, check_mode=check_mode, diff=diff), route)

        applied = self._worker({"operation": "apply", "steps": planned.steps}, task_vars)
        if applied.get("failed") or applied.get("unreachable"):
            return self._after_apply(self._worker_failure("apply", applied), planned, before, applied)
        try:
            after: HostState = parse_probe(applied.get("probe"))
        except ProbeError as exc:
            failure = _result.skeleton(
                Status.FAILED, f"The steps ran but the worker's probe afterwards is not usable: {exc}", True
            )
            return self._after_apply(failure, planned, before, applied)
        outcome = assess(planned, before, list(applied.get("steps") or []), after)
        built = _result.build(before, planned, check_mode=False, diff=diff, outcome=outcome, after=after)
        return self._with_route(built, route)

    @staticmethod
    def _with_route(result: dict[str, Any], route: KmsRoute | None) -> dict[str, Any]:
        """The pre-flight's answer, as data, in the result (None when it was not run)."""
        result["kms_route"] = route.as_dict() if route else None
        return result

    def _worker(self, module_args: dict[str, Any], task_vars: dict[str, Any] | None) -> dict[str, Any]:
        """One worker execution; connection errors propagate so that Ansible reports the host unreachable."""
        return self._execute_module(module_name=WORKER, module_args=module_args, task_vars=task_vars)

    @staticmethod
    def _worker_failure(operation: str, raw: dict[str, Any]) -> dict[str, Any]:
        result = _result.skeleton(
            Status.FAILED, f"The worker failed during {operation}: {raw.get('msg') or 'no message'}", True
        )
        if raw.get("unreachable"):
            result["unreachable"] = True
        return result

    @staticmethod
    def _after_apply(
        failure: dict[str, Any], planned: Plan, before: HostState, applied: dict[str, Any]
    ) -> dict[str, Any]:
        """A failure after the apply request: keep the target, the steps that ran and the plan."""
        record = ran_steps(list(applied.get("steps") or []))
        failure.update(
            edition=dict(planned.target.edition),
            gvlk=planned.target.shown_gvlk,
            steps=record.shown,
            changed=record.changed,
        )
        said = failure["msg"].rstrip()
        failure["msg"] = (said if said.endswith((".", "!", "?")) else said + ".") + (
            f" Planned: {describe_steps(planned.steps, before, planned.target)}."
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
