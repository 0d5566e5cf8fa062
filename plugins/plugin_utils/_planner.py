# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide what to do with one host: identify the target key, refuse, skip, or plan worker steps.

Precedence (first match wins):

1. the primary product holds a KMS host key (csvlk)          -> ``kms_host`` refusal
2. an evaluation key (TIMEBASED_) or an evaluation edition    -> ``evaluation_edition`` refusal
3. the catalog cannot identify the edition (no override)      -> ``unknown_edition`` refusal
4. the edition has no published key (no override)             -> ``unsupported_edition`` refusal
5. the key must change but its type is not in convert_from    -> ``skipped``
6. nothing to change                                          -> ``compliant``
7. otherwise the steps below                                  -> ``would_convert`` / applied

Refusals fail the task with ``on_unsupported: fail`` and become ``skipped`` (with ``skip_reason``
naming the refusal) with ``on_unsupported: skip``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host_state import DEFAULT_KMS_PORT, HostState
from ansible_collections.volume_activation.kms.plugins.plugin_utils._options import Options

REFUSALS = ("kms_host", "evaluation_edition", "unknown_edition", "unsupported_edition")
STATE_CHANGING = (
    "install_product_key",
    "set_kms_machine",
    "clear_kms_machine",
    "set_kms_port",
    "clear_kms_port",
    "set_kms_lookup_domain",
    "clear_kms_lookup_domain",
    "activate",
)


@dataclass(frozen=True)
class Target:
    """The edition as identified, and the key it should hold (None when refused)."""

    edition: dict[str, Any]
    key: str | None = None
    source: str | None = None  # "catalog" or "override"
    override_name: str | None = None
    refusal: str | None = None
    reason: str = ""

    @property
    def partial(self) -> str | None:
        return self.key[-5:] if self.key else None

    @property
    def shown_key(self) -> str | None:
        """The key as results may show it: the public catalog GVLK in full, an override's last five characters."""
        if not self.key:
            return None
        return self.key if self.source == "catalog" else self.partial


@dataclass
class Plan:
    """Outcome of planning: a final status (refusal, skip, compliant) or steps to run."""

    target: Target
    status: str
    msg: str
    failed: bool = False
    skip_reason: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    key_change: bool = False
    expected: dict[str, Any] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        return any(step["action"] in STATE_CHANGING for step in self.steps)


def _edition(state: HostState, entry: Any = None) -> dict[str, Any]:
    return {
        "id": getattr(entry, "edition_id", None) or state.lookup_edition_id,
        "name": getattr(entry, "edition", None),
        "family": getattr(entry, "family", None),
        "build": state.build,
        "caption": state.caption,
        "installation_type": state.installation_type,
    }


def _dism_command(target_edition: str | None, target_gvlk: str | None) -> str:
    return (
        f"DISM /online /Set-Edition:{target_edition or '<edition>'} "
        f"/ProductKey:{target_gvlk or '<GVLK of that edition>'} /AcceptEula"
    )


def _evaluation_reason(state: HostState, target_edition: str | None, target_gvlk: str | None) -> str:
    reported = state.lookup_edition_id or "an evaluation edition"
    channel = f", channel {state.product.channel}" if state.product and state.product.channel else ""
    return (
        f"The host runs the evaluation edition {reported} (build {state.build}{channel}); evaluation "
        f"editions accept no KMS client key (installing one fails with 0xC004F069). Convert it with "
        f"'{_dism_command(target_edition, target_gvlk)}', reboot, and run this task again. "
        "Datacenter evaluation converts only to Datacenter, Standard evaluation to Standard or Datacenter; "
        "a domain controller cannot be converted (demote it first)."
    )


def _resolve(state: HostState, catalog: ModuleType) -> Any:
    """The catalog entry for what the host reports; raises the catalog's errors."""
    return catalog.resolve(
        edition_id=state.lookup_edition_id,
        build=state.build,
        os_sku=state.os_sku,
        caption=state.caption,
        installation_type=state.installation_type,
    )


def _evaluation_refusal(state: HostState, exc: Exception | None = None) -> Target:
    """The evaluation refusal, with the DISM target edition and key when the catalog's error names them."""
    return Target(
        _edition(state),
        refusal="evaluation_edition",
        reason=_evaluation_reason(state, getattr(exc, "target_edition_id", None), getattr(exc, "target_gvlk", None)),
    )


def _is_evaluation(exc: Exception) -> bool:
    return getattr(exc, "reason_code", None) == "evaluation"


def _override_target(state: HostState, override: tuple[str, str], entry: Any = None) -> Target:
    return Target(_edition(state, entry), key=override[1], source="override", override_name=override[0])


def identify(state: HostState, options: Options, catalog: ModuleType) -> Target:
    """Resolve the edition through the catalog and the overrides; return the key or the refusal."""
    edition_id = state.lookup_edition_id
    override = options.override_for(edition_id, state.build)
    try:
        entry = _resolve(state, catalog)
    except catalog.UnsupportedEdition as exc:
        if _is_evaluation(exc):
            return _evaluation_refusal(state, exc)
        if override:
            return _override_target(state, override)
        return Target(
            _edition(state),
            refusal="unsupported_edition",
            reason=(
                f"Microsoft publishes no KMS client setup key for edition {edition_id} (build {state.build}, "
                f"'{state.caption}'): {exc}. If you have a volume key for it, give it with "
                f"gvlk_overrides: {{'{edition_id}': <key>}} (or '{edition_id}@{state.build}' for this build only)."
            ),
        )
    except catalog.CatalogError as exc:
        if override:
            return _override_target(state, override)
        return Target(
            _edition(state),
            refusal="unknown_edition",
            reason=(
                f"The catalog cannot identify the edition the host reports: EditionID/LicenseFamily "
                f"{edition_id!r}, build {state.build}, OperatingSystemSKU {state.os_sku}, caption "
                f"'{state.caption}', installation type {state.installation_type!r} ({exc}). If you know its "
                f"KMS client key, give it with gvlk_overrides: {{'{edition_id}@{state.build}': <key>}}."
            ),
        )
    if override:
        return _override_target(state, override, entry)
    return Target(_edition(state, entry), key=entry.gvlk, source="catalog")


def _same_name(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip(".").lower() == (b or "").rstrip(".").lower()


def _kms_steps(state: HostState, options: Options) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    kms = state.kms
    if options.kms_machine and not _same_name(kms.machine, options.kms_machine):
        steps.append({"action": "set_kms_machine", "machine": options.kms_machine})
    if options.kms_port and options.kms_port != kms.effective_port:
        steps.append({"action": "set_kms_port", "port": options.kms_port})
    if options.kms_discovery == "dns":
        if kms.machine:
            steps.append({"action": "clear_kms_machine"})
        if kms.effective_port != DEFAULT_KMS_PORT:
            steps.append({"action": "clear_kms_port"})
    if options.kms_lookup_domain and not _same_name(kms.lookup_domain, options.kms_lookup_domain):
        steps.append({"action": "set_kms_lookup_domain", "domain": options.kms_lookup_domain})
    return steps


def expected_kms(state: HostState, options: Options) -> dict[str, Any]:
    """The KMS settings the host should report once the plan ran."""
    kms = state.kms
    machine, port = kms.machine, kms.port
    if options.kms_discovery == "dns":
        machine, port = None, None
    if options.kms_machine:
        machine = options.kms_machine
    if options.kms_port:
        port = options.kms_port
    return {
        "machine": machine,
        "port": port or DEFAULT_KMS_PORT,
        "lookup_domain": options.kms_lookup_domain or kms.lookup_domain,
    }


def _tcp_step(state: HostState, options: Options) -> dict[str, Any] | None:
    if options.tcp_timeout <= 0:
        return None
    wanted = expected_kms(state, options)
    if not wanted["machine"]:
        return None
    host = wanted["machine"].strip("[]")
    return {"action": "test_tcp", "host": host, "port": wanted["port"], "timeout_ms": options.tcp_timeout * 1000}


def _refuse(target: Target, options: Options) -> Plan:
    if options.on_unsupported == "skip":
        return Plan(
            target,
            "skipped",
            f"Skipped ({target.refusal}, on_unsupported=skip): {target.reason}",
            skip_reason=target.refusal,
        )
    return Plan(target, target.refusal or "failed", target.reason, failed=True)


def plan(state: HostState, options: Options, catalog: ModuleType) -> Plan:
    """The plan for one probed host (see the module docstring for the precedence)."""
    if state.key_type == "csvlk":
        desc = state.product.description if state.product else ""
        target = Target(
            _edition(state),
            refusal="kms_host",
            reason=(
                f"The host holds a KMS host key (CSVLK: '{desc}', channel {state.product.channel if state.product else None}, "
                f"partial key {state.partial_product_key}); it is a KMS host and is never converted to a KMS client. "
                "Leave it out of this task (for example a group without KMS hosts)."
            ),
        )
        return _refuse(target, options)
    if state.key_type == "eval":
        try:
            _resolve(state, catalog)
        except catalog.UnsupportedEdition as exc:
            if _is_evaluation(exc):
                return _refuse(_evaluation_refusal(state, exc), options)
        except catalog.CatalogError:
            pass
        return _refuse(_evaluation_refusal(state), options)

    target = identify(state, options, catalog)
    if target.refusal:
        return _refuse(target, options)

    key_change = not (
        state.key_type == "gvlk" and (state.partial_product_key or "").upper() == (target.partial or "").upper()
    )
    name = target.edition.get("name") or target.edition.get("id")
    if key_change and state.key_type != "gvlk" and state.key_type not in options.convert_from:
        return Plan(
            target,
            "skipped",
            skip_reason="key_type_not_allowed",
            msg=(
                f"The host holds a {state.key_type} key (partial key {state.partial_product_key}); "
                f"{state.key_type} is not in convert_from ({', '.join(options.convert_from) or 'empty'}), so the "
                f"KMS client key for {name} was not installed. Add '{state.key_type}' to convert_from to convert it."
            ),
        )

    steps: list[dict[str, Any]] = []
    if key_change:
        steps += [{"action": "install_product_key", "product_key": target.key}, {"action": "refresh_license_status"}]
    steps += _kms_steps(state, options)
    activate = options.activate and (key_change or not state.is_licensed)
    if activate:
        tcp = _tcp_step(state, options)
        if tcp:
            steps.append(tcp)
        steps.append({"action": "activate"})

    kms_after = expected_kms(state, options)
    expected = {
        "key_type": "gvlk",
        "partial_product_key": target.partial,
        "license_status": "licensed" if activate or (state.is_licensed and not key_change) else None,
        "kms": kms_after,
    }
    if not steps:
        return Plan(
            target,
            "compliant",
            key_change=False,
            expected=expected,
            msg=(
                f"The host holds the KMS client key of {name} (partial key {state.partial_product_key}, "
                f"license status {state.license_status_name}); the KMS settings are as requested."
            ),
        )
    return Plan(
        target,
        "would_convert",
        f"Would {describe_steps(steps, state, target)}.",
        steps=steps,
        key_change=key_change,
        expected=expected,
    )


def describe_steps(steps: list[dict[str, Any]], state: HostState, target: Target) -> str:
    """A sentence listing what the steps do, without any non-public key."""
    parts: list[str] = []
    for step in steps:
        action = step["action"]
        if action == "install_product_key":
            parts.append(
                f"install the KMS client key of {target.edition.get('name') or target.edition.get('id')} "
                f"(partial key {target.partial}, from {target.source}) replacing the {state.key_type} key"
                + (f" {state.partial_product_key}" if state.partial_product_key else "")
            )
        elif action == "set_kms_machine":
            parts.append(f"set the KMS host to {step['machine']} (was {state.kms.machine or 'DNS discovery'})")
        elif action == "set_kms_port":
            parts.append(f"set the KMS port to {step['port']} (was {state.kms.effective_port})")
        elif action == "clear_kms_machine":
            parts.append(f"clear the KMS host {state.kms.machine} (back to DNS discovery)")
        elif action == "clear_kms_port":
            parts.append(f"clear the KMS port {state.kms.port} (back to 1688)")
        elif action == "set_kms_lookup_domain":
            parts.append(f"set the KMS lookup domain to {step['domain']} (was {state.kms.lookup_domain or 'none'})")
        elif action == "test_tcp":
            parts.append(f"test TCP {step['host']}:{step['port']}")
        elif action == "activate":
            parts.append(f"activate (license status was {state.license_status_name})")
    return "; ".join(parts)


def public_step(step: dict[str, Any], target: Target) -> dict[str, Any]:
    """A planned step as results show it: the product key replaced by its last five characters."""
    shown = {k: v for k, v in step.items() if k != "product_key"}
    if "product_key" in step:
        shown["partial_product_key"] = step["product_key"][-5:]
        shown["source"] = target.source
    return shown


def not_attempted() -> dict[str, Any]:
    """The ``activation`` result of a run that did not call Activate()."""
    return {"attempted": False, "hresult": None, "symbol": None, "message": None}


@dataclass
class Outcome:
    """What the applied steps did, decided from their HRESULTs and the state read afterwards."""

    status: str
    failed: bool
    changed: bool
    msg: str
    activation: dict[str, Any]
    steps: list[dict[str, Any]]


def _verify(plan_: Plan, after: HostState) -> list[str]:
    """Differences between what the plan promised and what the host reports after the steps."""
    problems = []
    if after.key_type != "gvlk" or (after.partial_product_key or "").upper() != (plan_.target.partial or "").upper():
        problems.append(
            f"the host reports a {after.key_type} key with partial key {after.partial_product_key}, "
            f"expected the KMS client key ending {plan_.target.partial}"
        )
    want = plan_.expected.get("kms", {})
    if not _same_name(after.kms.machine, want.get("machine")):
        problems.append(f"KMS host is {after.kms.machine or 'not set'}, expected {want.get('machine') or 'not set'}")
    if after.kms.effective_port != want.get("port", DEFAULT_KMS_PORT):
        problems.append(f"KMS port is {after.kms.effective_port}, expected {want.get('port')}")
    if want.get("lookup_domain") and not _same_name(after.kms.lookup_domain, want.get("lookup_domain")):
        problems.append(
            f"KMS lookup domain is {after.kms.lookup_domain or 'not set'}, expected {want.get('lookup_domain')}"
        )
    return problems


def ran_steps(
    results: list[dict[str, Any]], hresults: ModuleType
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int, bool]:
    """The worker's step results as the task shows them, up to the first failure.

    Returns the shown steps, the failed step (or None), its HRESULT (0 when none failed), and whether a
    state-changing step succeeded.
    """
    shown: list[dict[str, Any]] = []
    failed_step: dict[str, Any] | None = None
    code = 0
    changed = False
    for result in results:
        code = hresults.normalize(result.get("hresult")) or 0
        info = hresults.lookup(code) if code else None
        shown.append(
            {
                "action": result.get("action"),
                "hresult": hresults.format_hresult(code),
                "symbol": info.symbol if info else "S_OK",
                "message": result.get("message") or "",
            }
        )
        if code:
            failed_step = result
            break
        if result.get("action") in STATE_CHANGING:
            changed = True
    return shown, failed_step, code, changed


def assess(
    plan_: Plan, before: HostState, results: list[dict[str, Any]], after: HostState, hresults: ModuleType
) -> Outcome:
    """Turn the worker's step results and the state it read afterwards into the task's outcome."""
    shown, failed_step, code, changed = ran_steps(results, hresults)

    activation = not_attempted()
    planned_actions = [s["action"] for s in plan_.steps]
    if "activate" in [r.get("action") for r in results]:
        activation["attempted"] = True
    if failed_step is not None and failed_step.get("action") in ("activate", "test_tcp"):
        info = hresults.lookup(code)
        activation.update(
            hresult=info.hex, symbol=info.symbol, message=hresults.describe(code, str(failed_step.get("message") or ""))
        )
    elif activation["attempted"]:
        activation.update(
            hresult=hresults.format_hresult(0),
            symbol="S_OK",
            message=f"Activated; license status {after.license_status_name}.",
        )

    done = describe_steps(plan_.steps, before, plan_.target)
    if failed_step is not None:
        action = failed_step.get("action")
        detail = hresults.describe(code, str(failed_step.get("message") or ""))
        if action in ("activate", "test_tcp"):
            kept = (
                f" The KMS client key (partial key {after.partial_product_key}) is installed and kept."
                if plan_.key_change and after.key_type == "gvlk"
                else ""
            )
            what = (
                "Activation failed"
                if action == "activate"
                else f"The KMS host {failed_step.get('host', '')} did not answer the TCP test, so activation was not tried"
            )
            return Outcome("activation_failed", True, changed, f"{what}: {detail}{kept}", activation, shown)
        return Outcome("failed", True, changed, f"Step {action} failed: {detail} Planned: {done}.", activation, shown)
    if len(results) < len(planned_actions):
        ran = [r.get("action") for r in results]
        return Outcome(
            "failed",
            True,
            changed,
            f"The worker ran {ran} of the planned steps {planned_actions} "
            "and reported no error; the result is incomplete.",
            activation,
            shown,
        )

    problems = _verify(plan_, after)
    if problems:
        return Outcome(
            "failed",
            True,
            changed,
            "The steps reported success but the host state does not match: " + "; ".join(problems) + ".",
            activation,
            shown,
        )
    if activation["attempted"] and not after.is_licensed:
        activation.update(message=f"Activate() returned success but the license status is {after.license_status_name}.")
        return Outcome("activation_failed", True, changed, activation["message"], activation, shown)
    return Outcome("converted", False, changed, f"Done: {done}.", activation, shown)
