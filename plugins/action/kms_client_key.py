# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of volume_activation.kms.kms_client_key: probe -> plan -> apply -> verify -> result.

All decisions are made here, on the controller. The worker of the same name (a shim and its C# engine) only reads
the licensing state and runs the steps it is given (docs/worker_contract.md).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

try:  # what ansible-core raises in the task when the task's timeout expires (a BaseException)
    from ansible._internal._errors._task_timeout import TaskTimeoutError  # ansible-core 2.19
except ImportError:  # ansible-core 2.16 to 2.18
    from ansible.executor.task_executor import TaskTimeoutError

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import is_valid_product_key
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _result
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._assess import (
    assess,
    assess_lost_reply,
    ran_steps,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._deadline import (
    DEFAULT_READ_TIMEOUT,
    TASK_TIMEOUT_VARIABLE,
    HostTimeout,
    deadline,
    sized_timeout,
    task_timeout,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._evaluation import (
    EditionChange,
    TargetEditions,
    dism_edition,
    parse_target_editions,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._hresults import lookup
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import (
    KmsRoute,
    RouteError,
    parse_route,
    request,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import (
    ARGUMENT_SPEC,
    OptionError,
    Options,
    build_options,
    override_warnings,
    role_wording,
    whole_number,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._planner import (
    LEAVE_OUT,
    Plan,
    describe_steps,
    plan,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._routes import (
    AdActivation,
    parse_ad_activation,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import (
    HostState,
    ProbeError,
    parse_probe,
    parse_step_results,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import (
    Change,
    HostOutcome,
    Override,
    utc_timestamp,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import host_text
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    ROLE_PREFIX,
    STATUS_GUIDE,
    ActivationRoute,
    Status,
)

display = Display()

WORKER = "volume_activation.kms.kms_client_key"
# Run through this role, messages name the role's variables (kms_client_kms_host), not the module's options.
ROLE = "volume_activation.kms.kms_client"
# The read-only probe is sent up to this many times when the transport fails (a refused or reset connection,
# an HTTP error, a read timeout), PROBE_RETRY_DELAY seconds times the attempt number apart. apply is never re-sent:
# a lost apply reply is answered by one more probe instead.
PROBE_ATTEMPTS = 3
PROBE_RETRY_DELAY = 1.0
# Run through the role, the task is bounded by kms_client_task_timeout, unset sized from the WinRM read timeout this
# variable sets (plugin_utils/_host/_deadline.py).
READ_TIMEOUT_VARIABLE = "ansible_winrm_read_timeout_sec"
# While an evaluation host restarts after its edition change, it is looked at this often (seconds) until it answers
# with a new LastBootUpTime or reboot_timeout ends.
RESTART_POLL_DELAY = 3.0


# What a failed WinRM attempt says, in words (the transport's own text is urllib3's and pywinrm's).
_CONNECTION_FAILURES = (
    (("refused",), "the connection was refused"),
    (("timed out", "timeout"), "the connection timed out"),
    (("remotedisconnected", "aborted", "reset", "closed"), "the connection was closed without a reply"),
    (("401", "unauthorized", "credentials were rejected"), "the credentials were rejected (HTTP 401)"),
    (
        ("name or service not known", "failed to resolve", "nodename nor servname", "getaddrinfo"),
        "the name did not resolve",
    ),
    (("no route to host", "network is unreachable"), "there is no route to the host"),
    (("certificate verify failed", "sslerror", "ssl:"), "the TLS handshake failed (the certificate, or HTTP on 5986)"),
)
# The endpoint urllib3 names: HTTPConnectionPool(host='127.0.0.1', port=5985).
_ENDPOINT = re.compile(r"host='([^']+)', port=(\d+)")


def _connection_failure(text: str) -> str:
    lowered = text.lower()
    for words, said in _CONNECTION_FAILURES:
        if any(word in lowered for word in words):
            return said
    return host_text(text, 200)


def _unreachable(error: BaseException) -> AnsibleConnectionFailure:
    """The probe's last connection failure as one line: what failed, where, and what to check (the transport's own
    text is shown with -vvv)."""
    text = str(getattr(error, "message", None) or error)
    display.vvv(f"kms_client_key probe: {text}")
    endpoint = _ENDPOINT.search(text)
    where = f", {endpoint.group(1)}:{endpoint.group(2)}" if endpoint else ""
    guide = STATUS_GUIDE[Status.UNREACHABLE].todo
    return AnsibleConnectionFailure(f"the WinRM connection failed ({_connection_failure(text)}{where}): {guide}")


@dataclass(frozen=True)
class _Applied:
    """One step applied on its own: what went wrong (empty: nothing), its record, the host as the reply read it."""

    problem: str
    record: list[dict[str, Any]]
    after: HostState | None = None


class ActionModule(ActionBase):
    """Make a Windows host a KMS client: install its edition's GVLK, set KMS settings, activate."""

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        super().run(tmp, task_vars)
        del tmp
        through_role = self._through_role()
        if through_role and not self._task.args:
            self._task.args = self._role_options(task_vars or {})
        # An option set to null is not given (the role passes its unset variables so).
        self._task.args = {name: value for name, value in self._task.args.items() if value is not None}
        secrets = self._secret_values()
        warnings: list[str] = []
        try:
            _validation, params = self.validate_argument_spec(ARGUMENT_SPEC)
            options = build_options(params, is_valid_product_key)
            bound = self._role_bound(options, task_vars or {}) if through_role else None
        except (AnsibleActionFail, OptionError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            outcome, mode = _result.failure(f"Invalid options: {message}"), None
        else:
            secrets |= set(options.gvlk_overrides.values())
            warnings += override_warnings(options)
            try:
                with deadline(bound):
                    outcome, mode = self._convert(options, task_vars, warnings)
            except HostTimeout as expired:  # before the apply request was sent (_convert reports a later one)
                outcome, mode = _result.timed_out_unread(expired.period), None
            # Every host says which override names it was given, so that the report can name unused ones.
            given = tuple(sorted(options.gvlk_overrides))
            outcome = replace(outcome, gvlk_override=replace(outcome.gvlk_override, given=given))
        if through_role:
            outcome = replace(outcome, msg=self._role_message(outcome, task_vars or {}))
            warnings = [role_wording(warning) for warning in warnings]
        result = outcome.result()
        result["ansible_facts"] = {"kms_client": outcome.fact(mode, utc_timestamp())}
        if through_role:
            # The role reports every outcome as the host's status (its fact keeps ``failed``): one ok or changed line,
            # not an Ansible error. The playbook's last play fails the hosts whose status fails the run.
            result["failed"] = False
        if warnings:
            result["warnings"] = warnings
        if secrets:  # any override key that reached the result (it should not) becomes Ansible's mask
            result = remove_values(result, secrets | {s.upper() for s in secrets})
        return result

    def _role_options(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        """The options the role gives: each role variable ``kms_client_<option>`` as this host sees it, templated."""
        return {
            name: self._templar.template(task_vars[variable])
            for name in ARGUMENT_SPEC
            if (variable := f"{ROLE_PREFIX}{name}") in task_vars
        }

    def _role_bound(self, options: Options, task_vars: dict[str, Any]) -> int | None:
        """The bound of this host's task the role sets: ``kms_client_task_timeout``, or unset, the default sized from
        the WinRM read timeout and the options (docs/reliability.md). None when the task has its own ``timeout``
        keyword, which ansible-core keeps."""
        if self._task.timeout:
            return None
        value = self._templar.template(task_vars.get(TASK_TIMEOUT_VARIABLE))
        if value is not None:
            return task_timeout(value)
        read_timeout = whole_number(self._templar.template(task_vars.get(READ_TIMEOUT_VARIABLE)))
        return sized_timeout(
            read_timeout if read_timeout is not None and read_timeout >= 1 else DEFAULT_READ_TIMEOUT,
            options.tcp_timeout,
            options.convert_evaluation,
            options.reboot_timeout,
        )

    def _through_role(self) -> bool:
        role = getattr(self._task, "_role", None)
        return role is not None and role.get_name() == ROLE

    @staticmethod
    def _role_message(outcome: HostOutcome, task_vars: dict[str, Any]) -> str:
        """The message as the role's user reads it: role variables, and how to leave a KMS host out of the target."""
        message = role_wording(outcome.msg)
        if outcome.status == Status.IS_KMS_HOST and LEAVE_OUT in message:
            target = str(task_vars.get("kms_client_target") or "windows")
            host = str(task_vars.get("inventory_hostname") or "<host>")
            head = message.split(LEAVE_OUT, 1)[0]
            message = f"{head}{LEAVE_OUT}: -e 'kms_client_target={target}:!{host}'."
        return message

    def _convert(
        self, options: Options, task_vars: dict[str, Any] | None, warnings: list[str]
    ) -> tuple[HostOutcome, str | None]:
        """Probe, plan, apply and verify one host: the outcome and the run's mode (None until the host was read).

        ``warnings`` collects what the result should warn about.
        """
        route_args = request(
            options.kms_host,
            options.kms_port,
            options.kms_lookup_domain,
            dns_discovery=options.kms_discovery == "dns",
            tcp_timeout=options.tcp_timeout,
        )
        probe = self._probe(
            task_vars, route_args, activation_objects=ActivationRoute.ADBA in options.activation_routes, editions=True
        )
        if probe.get("failed") or probe.get("unreachable"):
            return self._worker_failure("probe", probe), None
        try:
            before = parse_probe(probe.get("probe"))
        except ProbeError as exc:
            return _result.failure(f"The worker's probe is not usable: {exc}"), None
        route: KmsRoute | None = None
        route_problem = ""
        if route_args is not None:
            try:
                route = parse_route(probe.get("kms_route"))
            except RouteError as exc:
                route_problem = str(exc)

        ad: AdActivation | None = None
        ad_problem = ""
        if "ad_activation" in probe:
            try:
                ad = parse_ad_activation(probe.get("ad_activation"))
            except RouteError as exc:
                ad_problem = str(exc)
        editions: TargetEditions | None = None
        if "editions" in probe:
            try:
                editions = parse_target_editions(probe.get("editions"))
            except RouteError as exc:
                warnings.append(f"The worker's answer about target editions is not usable: {exc}")
        # The hosts of this play: the most a KMS host's count can grow by in this run.
        run_hosts = (task_vars or {}).get("ansible_play_hosts_all")
        planned = plan(
            before,
            options,
            route,
            route_problem,
            ad=ad,
            ad_problem=ad_problem,
            hosts_in_run=len(run_hosts) if isinstance(run_hosts, list) else None,
            editions=editions,
        )
        warnings += self._warnings(before, probe)
        if before.addon_keys and before.product is None:
            warnings.append(
                "No keyed Windows product that is not an add-on; keyed add-ons only: "
                + ", ".join(before.addon_keys)
                + ". Like slmgr, which reports no product key then, the host is taken as holding no Windows key."
            )
        try:
            if planned.edition_change is not None and not self._task.check_mode:
                return self._change_edition(
                    planned, planned.edition_change, before, options=options, task_vars=task_vars, warnings=warnings
                )
            outcome, mode = self._carry_out(planned, before, task_vars)
        except (TaskTimeoutError, HostTimeout) as expired:  # the apply request was sent: its steps may have run
            period = expired.period if isinstance(expired, HostTimeout) else self._task.timeout
            return _result.timed_out(before, planned, period), "apply"
        # The pre-flight's answers, as data.
        shown_ad = ad.as_dict() if ad else None
        return replace(outcome, kms_route=route.as_dict() if route else None, ad_activation=shown_ad), mode

    def _carry_out(self, planned: Plan, before: HostState, task_vars: dict[str, Any] | None) -> tuple[HostOutcome, str]:
        """Report the plan (check mode, or nothing to do) or apply it and judge what the host reports after."""
        check_mode, diff = bool(self._task.check_mode), bool(self._task.diff)
        if not planned.steps or check_mode:
            return _result.build(before, planned, diff=diff), "check" if check_mode else "apply"

        try:
            applied = self._worker({"operation": "apply", "steps": planned.steps}, task_vars)
        except (AnsibleError, OSError) as exc:  # the connection dropped after the request: the reply is lost
            applied = {"unreachable": True, "msg": str(exc)}
        if applied.get("failed") or applied.get("unreachable"):
            return self._lost_reply(planned, before, applied, task_vars, diff=diff), "apply"
        try:
            results = parse_step_results(applied.get("steps"))
            after: HostState = parse_probe(applied.get("probe"))
        except ProbeError as exc:
            reason = f"The steps ran but the worker's reply afterwards is not usable: {exc}"
            return self._lost_reply(planned, before, applied, task_vars, diff=diff, reason=reason), "apply"
        assessment = assess(planned, before, results, after)
        return _result.build(before, planned, diff=diff, assessment=assessment, after=after), "apply"

    def _change_edition(
        self,
        planned: Plan,
        change: EditionChange,
        before: HostState,
        *,
        options: Options,
        task_vars: dict[str, Any] | None,
        warnings: list[str],
    ) -> tuple[HostOutcome, str]:
        """An evaluation host: DISM /Set-Edition, the restart, the wait until it is back with the new edition, then
        the usual conversion of the host as it came back. Every stage that fails is reported with what is known."""
        shown = f"{change.source} to {change.target}"
        set_edition, reboot = planned.steps[0], planned.steps[1]
        changing = self._apply_one(set_edition, task_vars)
        record = list(changing.record)
        if changing.problem:
            return self._edition_outcome(
                planned,
                before,
                changing,
                f"The edition change {shown} (DISM /Set-Edition) {changing.problem}. The host was not restarted; read it "
                "with 'DISM /online /Get-CurrentEdition', restart it if the change is staged, and run again.",
                changed=changing.problem.startswith("got no reply"),
            )
        restarting = self._apply_one(reboot, task_vars, reply_expected=False)
        record += restarting.record
        if restarting.problem:
            return self._edition_outcome(
                planned,
                before,
                replace(restarting, record=record),
                f"The edition change {shown} is staged (DISM /Set-Edition succeeded; it completes at the next "
                f"restart), but the restart {restarting.problem}. Restart the host, then run this task again.",
                changed=True,
            )
        started = time.monotonic()
        back, waiting = self._await_restart(before.boot_time, task_vars, options.reboot_timeout)
        waited = time.monotonic() - started
        if back is None:
            return self._edition_outcome(
                planned,
                before,
                _Applied("", record),
                f"The edition change {shown} ran (DISM /Set-Edition) and the host was restarted, but it has not come "
                f"back within reboot_timeout ({options.reboot_timeout} s): {waiting}. The new edition takes effect "
                "when it starts; once it answers, run this task again to finish its conversion.",
                changed=True,
                status=Status.REBOOT_PENDING,
            )
        if dism_edition(back) != change.target:
            return self._edition_outcome(
                planned,
                before,
                _Applied("", record, back),
                f"The host restarted after the edition change {shown} but reports the edition "
                f"{dism_edition(back) or 'none'} (EditionID {back.edition_id!r}, InstallationType "
                f"{back.installation_type!r}), not {change.target}. Read it with 'DISM /online /Get-CurrentEdition' and "
                "run again.",
                changed=True,
            )
        outcome, mode = self._convert(options, task_vars, warnings)
        status = outcome.status
        if status in (Status.RECONFIGURED.value, Status.COMPLIANT.value):
            status = Status.CONVERTED.value  # the key changed with the edition
        return (
            replace(
                outcome,
                status=status,
                changed=True,
                msg=f"Changed the evaluation edition {shown} with DISM /Set-Edition and {change.name}'s KMS client key; "
                f"the host restarted and answered again after {waited:.0f} s. {outcome.msg}",
                edition_change=Change(change.source, change.target),
                key_type=Change(before.key_type, outcome.key_type.after),
                partial_product_key=Change(before.partial_product_key, outcome.partial_product_key.after),
                license_status=Change(before.license_status_name, outcome.license_status.after),
                steps=(*record, *outcome.steps),
            ),
            mode or "apply",
        )

    def _apply_one(
        self, step: dict[str, Any], task_vars: dict[str, Any] | None, *, reply_expected: bool = True
    ) -> _Applied:
        """Run one step: what went wrong (empty when it succeeded, or when, ``reply_expected`` false, its reply was
        lost as the host went down), the step's record as results show it, and the host as the reply read it."""
        try:
            applied = self._worker({"operation": "apply", "steps": [step]}, task_vars)
        except (AnsibleError, OSError) as exc:
            applied = {"unreachable": True, "msg": str(exc)}
        if applied.get("unreachable") or (applied.get("failed") and "steps" not in applied):
            said = host_text(str(applied.get("msg") or "no message"))
            lost = [{"action": step["action"], "hresult": None, "symbol": None, "message": f"no reply: {said}"}]
            return _Applied("" if not reply_expected else f"got no reply ({said}): it may have run", lost)
        try:
            record = ran_steps(parse_step_results(applied.get("steps")))
            after = parse_probe(applied.get("probe")) if "probe" in applied else None
        except ProbeError as exc:
            return _Applied(f"got an unusable reply ({exc})", [])
        if not record.shown:
            return _Applied("got a reply without the step's result", [], after)
        if record.hresult:
            said = f": {record.shown[0]['message']}" if record.shown[0].get("message") else ""
            info = lookup(record.hresult)
            why = f" {info.cause} {info.remedy}" if info else ""
            problem = f"failed with {record.hresult:#010x} ({record.shown[0]['symbol']}){said}.{why}"
            return _Applied(problem.rstrip("."), record.shown, after)
        return _Applied("", record.shown, after)

    def _await_restart(
        self, boot_time: str | None, task_vars: dict[str, Any] | None, timeout: int
    ) -> tuple[HostState | None, str]:
        """Wait until the host answers with a LastBootUpTime other than ``boot_time``, as ansible.windows' reboot
        does: a new connection each time (the host's WinRM shells are gone), bounded by ``timeout`` seconds. The
        host as it came back, or None and what the last look saw."""
        deadline = time.monotonic() + timeout
        seen = "it did not answer"
        while time.monotonic() < deadline:
            time.sleep(min(RESTART_POLL_DELAY, max(0.0, deadline - time.monotonic())))
            try:
                self._connection.reset()
                raw = self._worker({"operation": "probe"}, task_vars)
                if raw.get("failed") or raw.get("unreachable"):
                    raise ProbeError(host_text(str(raw.get("msg") or "no message")))
                state = parse_probe(raw.get("probe"))
            except Exception as exc:  # down, starting, or its WinRM service not up yet: look again
                seen = f"it did not answer over WinRM (the last attempt: {_connection_failure(str(exc))})"
                continue
            if state.boot_time is not None and state.boot_time != boot_time:
                return state, ""
            seen = f"it answers, but LastBootUpTime is still {state.boot_time} (it has not restarted)"
        return None, seen

    def _edition_outcome(
        self,
        planned: Plan,
        before: HostState,
        applied: _Applied,
        msg: str,
        *,
        changed: bool,
        status: Status = Status.FAILED,
    ) -> tuple[HostOutcome, str]:
        """A stage of an edition change that failed: what the probe read before, the edition planned, the steps that
        ran, the message, and the host as last read (unknown when no reply read it)."""
        outcome = _result.build(before, planned, diff=bool(self._task.diff))
        after = applied.after
        source = planned.edition_change.source if planned.edition_change else None
        return (
            replace(
                outcome,
                status=status.value,
                failed=True,
                changed=changed,
                msg=msg,
                edition_change=Change(
                    source, dism_edition(after) if after and after.boot_time != before.boot_time else None
                ),
                key_type=Change(before.key_type, after.key_type if after else None),
                partial_product_key=Change(before.partial_product_key, after.partial_product_key if after else None),
                license_status=Change(before.license_status_name, after.license_status_name if after else None),
                kms=(after or before).kms.shown(),
                steps=tuple(applied.record),
            ),
            "apply",
        )

    def _lost_reply(
        self,
        planned: Plan,
        before: HostState,
        applied: dict[str, Any],
        task_vars: dict[str, Any] | None,
        *,
        diff: bool,
        reason: str | None = None,
    ) -> HostOutcome:
        """The apply reply is lost or a failure: read the host once more and report what is really there.

        When that read fails too, the state is unknown: ``failed``, and ``changed`` true whenever the plan
        had a step that writes, since it may have run.
        """
        failure = self._worker_failure("apply", applied)
        if reason:  # the reply came back but is not usable: not a connection failure
            failure = _result.failure(reason)
        try:
            reread = self._probe(task_vars)
        except (AnsibleError, OSError) as exc:
            reread = {"unreachable": True, "msg": str(exc)}
        try:
            if reread.get("failed") or reread.get("unreachable"):
                raise ProbeError(host_text(str(reread.get("msg") or "no message")))
            after = parse_probe(reread.get("probe"))
        except ProbeError as exc:
            failure = replace(
                failure,
                msg=f"{failure.msg.rstrip('.')}. Reading the host again failed too ({exc}): the state is unknown, "
                "a key may have changed. Run this task again.",
            )
            outcome = self._after_apply(failure, planned, before, applied)
            return replace(outcome, changed=outcome.changed or planned.changes)
        assessment = assess_lost_reply(planned, before, ran_steps(self._step_results(applied)), after, failure.msg)
        return _result.build(before, planned, diff=diff, assessment=assessment, after=after)

    @staticmethod
    def _step_results(applied: dict[str, Any]) -> list[dict[str, Any]]:
        """The step results of a failed apply reply, or none when they are not usable."""
        try:
            return parse_step_results(applied.get("steps"))
        except ProbeError:
            return []

    def _probe(
        self,
        task_vars: dict[str, Any] | None,
        route_args: dict[str, Any] | None = None,
        *,
        activation_objects: bool = False,
        editions: bool = False,
    ) -> dict[str, Any]:
        """The probe (with the KMS route pre-flight and the forest's activation objects when asked), retried on
        transport errors (PROBE_ATTEMPTS). The last connection failure, or a socket error the connection plugin lets
        through (a connection the host closed, as pywinrm raises it), is raised as one line saying what failed and
        what to check, so that Ansible reports the host unreachable rather than the task failed; any other error
        propagates."""
        args: dict[str, Any] = {"operation": "probe"}
        if route_args is not None:
            args["kms_route"] = route_args
        if activation_objects:
            args["activation_objects"] = True
        if editions:  # the worker asks DISM on an evaluation edition only
            args["target_editions"] = True
        for attempt in range(1, PROBE_ATTEMPTS):
            try:
                return self._worker(args, task_vars)
            except Exception:  # any transport error: the probe reads only, so sending it again is safe
                time.sleep(PROBE_RETRY_DELAY * attempt)
        try:
            return self._worker(args, task_vars)
        except (AnsibleConnectionFailure, OSError) as exc:  # OSError: requests' ConnectionError, a closed socket
            raise _unreachable(exc) from None  # ansible-core 2.19 would print the cause's text after the line

    def _worker(self, module_args: dict[str, Any], task_vars: dict[str, Any] | None) -> dict[str, Any]:
        """One worker execution; connection errors propagate so that Ansible reports the host unreachable."""
        return self._execute_module(module_name=WORKER, module_args=module_args, task_vars=task_vars)

    @staticmethod
    def _worker_failure(operation: str, raw: dict[str, Any]) -> HostOutcome:
        said = host_text(str(raw.get("msg") or "no message"))
        return _result.failure(
            f"The worker failed during {operation}: {said}", unreachable=bool(raw.get("unreachable"))
        )

    @staticmethod
    def _after_apply(failure: HostOutcome, planned: Plan, before: HostState, applied: dict[str, Any]) -> HostOutcome:
        """A failure after the apply request: keep the target, the steps that ran and the plan."""
        record = ran_steps(ActionModule._step_results(applied))
        said = failure.msg.rstrip()
        return replace(
            failure,
            edition=planned.target.edition,
            gvlk=planned.target.shown_gvlk,
            gvlk_override=Override(used=planned.target.override_name),
            steps=tuple(record.shown),
            changed=record.changed,
            msg=(said if said.endswith((".", "!", "?")) else said + ".")
            + f" Planned: {describe_steps(planned.steps, before, planned.target)}.",
        )

    def _secret_values(self) -> set[str]:
        """Override keys as given in the task, to mask them even in messages about invalid options."""
        raw = self._task.args.get("gvlk_overrides")
        if isinstance(raw, dict):
            return {str(v).strip() for v in raw.values() if isinstance(v, str) and v.strip()}
        return set()

    @staticmethod
    def _warnings(state: HostState, raw: dict[str, Any]) -> list[str]:
        raw_warnings = raw.get("warnings")
        warnings = [host_text(w) for w in raw_warnings if isinstance(w, str)] if isinstance(raw_warnings, list) else []
        if state.key_type_disagreement and state.product:
            warnings.append(
                f"Description '{state.product.description}' and ProductKeyChannel "
                f"'{state.product.channel}' name different key types; using the description "
                f"({state.key_type}) as slmgr does."
            )
        return warnings
