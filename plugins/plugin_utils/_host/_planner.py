# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decide what to do with one host: identify the key it should hold, refuse, skip, or plan worker steps.

Precedence (first match wins):

1. the primary product holds a KMS host key (csvlk), or
   SoftwareLicensingService says the KMS host service runs    -> ``is_kms_host`` refusal
2. an evaluation key (TIMEBASED_) or an evaluation edition    -> ``evaluation_edition`` refusal, unless
   ``convert_evaluation`` is on and the host offers the edition
   wanted (_evaluation.choose): then the edition change, the
   restart and the plan of the host as it will come back      -> ``would_convert``
3. the catalog cannot identify the edition (no override)      -> ``unknown_edition`` refusal
4. the edition has no published key (no override)             -> ``unsupported_edition`` refusal
5. the key must change but its type is not in convert_from    -> ``skipped``
6. the key must change on a licensed host that no route will
   activate (``on_kms_unreachable: keep``; _routes.decide):
   its activation type setting rules out the route that works -> ``activation_type_restricted``
   neither an activation object nor the KMS host answers     -> ``kms_unreachable``, the key stays
7. ... or the KMS host's known count (``kms_count``) cannot
   reach the threshold of its edition in this run            -> ``kms_count_short``, the key stays
8. nothing to change                                          -> ``compliant``
9. otherwise the steps below                                  -> ``would_convert`` (the key changes) or
                                                                 ``would_reconfigure`` (only KMS settings,
                                                                 the activation type or activation change) /
                                                                 applied

An unlicensed host that no route will activate is converted (it has no activation to lose) without calling
Activate(); the outcome is ``activation_failed`` naming why. Activation through ADBA needs no KMS host: a host whose
forest holds an activation object is converted and activated although its KMS route fails.

Refusals fail the task with ``on_unsupported: fail`` and become ``skipped`` (with ``skip_reason``
naming the refusal) with ``on_unsupported: skip``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import (
    CatalogError,
    Resolution,
    UnsupportedEdition,
    resolve,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._evaluation import (
    EditionChange,
    TargetEditions,
    choose,
    dism_edition,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import KmsRoute
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import Options
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._routes import AdActivation, Routes, decide
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState, Product
from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import Edition
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import NAME_LIMIT, bound
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    DEFAULT_KMS_PORT,
    KMS_CLIENT_THRESHOLD,
    KMS_COUNTED_CONTACTS,
    KMS_SERVER_THRESHOLD,
    STEPS,
    ActivationRoute,
    KeyType,
    Status,
    changes_state,
)


@dataclass(frozen=True)
class Target:
    """The edition as identified, and the key it should hold (``gvlk`` None when refused)."""

    edition: Edition
    gvlk: str | None = None
    source: str | None = None  # "catalog" or "override"
    override_name: str | None = None
    refusal: Status | None = None
    reason: str = ""

    @property
    def partial(self) -> str | None:
        return self.gvlk[-5:] if self.gvlk else None

    @property
    def shown_gvlk(self) -> str | None:
        """The key as results may show it: the public catalog GVLK in full, an override's last five characters."""
        if not self.gvlk:
            return None
        return self.gvlk if self.source == "catalog" else self.partial


@dataclass
class Plan:
    """Outcome of planning: a final status (refusal, skip, compliant) or steps to run."""

    target: Target
    status: Status
    msg: str
    failed: bool = False
    skip_reason: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    key_change: bool = False
    expected: dict[str, Any] = field(default_factory=dict)
    route_failure: str = ""  # why no route will activate the host (empty when one will, or none is needed)
    activation_route: str | None = None  # the route that will activate the host: adba or kms
    # An evaluation edition to change first: steps starts with set_edition and reboot, then the plan of the host as
    # it will come back (which the action plugin makes again once it is back).
    edition_change: EditionChange | None = None

    @property
    def changes(self) -> bool:
        return any(changes_state(step["action"]) for step in self.steps)


def _known_name(state: HostState) -> str | None:
    """The edition's name for a host the catalog offers no key to: the catalog's name of the edition when it
    knows one (a KMS host, an evaluation or Home edition), else the caption the host reported (one line)."""
    try:
        return _resolve(state).edition
    except UnsupportedEdition as exc:
        return exc.edition.name
    except CatalogError:
        caption = " ".join((state.caption or "").split())
        return bound(caption, NAME_LIMIT) if caption else None


def _edition(state: HostState, resolution: Resolution | None = None) -> Edition:
    return Edition(
        id=resolution.edition_id if resolution else state.lookup_edition_id,
        name=resolution.edition if resolution else _known_name(state),
        family=resolution.family if resolution else None,
        build=state.build,
        caption=state.caption,
        installation_type=state.installation_type,
    )


def _resolve(state: HostState) -> Resolution:
    """The catalog's answer for what the host reports; raises the catalog's errors."""
    return resolve(
        edition_id=state.lookup_edition_id,
        build=state.build,
        os_sku=state.os_sku,
        caption=state.caption,
        installation_type=state.installation_type,
    )


def _evaluation_refusal(state: HostState, detail: str) -> Target:
    """The evaluation refusal: what the host runs, and ``detail`` (what it can become, or why it cannot)."""
    channel = f", channel {state.product.channel}" if state.product and state.product.channel else ""
    return Target(
        _edition(state),
        refusal=Status.EVALUATION_EDITION,
        reason=(
            f"The host runs the evaluation edition {dism_edition(state) or 'of an unknown edition'} (build "
            f"{state.build}{channel}); evaluation editions accept no KMS client key (installing one fails with "
            f"0xC004F069). {detail}"
        ),
    )


def _override_target(state: HostState, override: tuple[str, str], resolution: Resolution | None = None) -> Target:
    return Target(_edition(state, resolution), gvlk=override[1], source="override", override_name=override[0])


def identify(state: HostState, options: Options) -> Target:
    """Resolve the edition through the catalog and the overrides; return the key or the refusal."""
    edition_id = state.lookup_edition_id
    override = options.override_for(edition_id, state.build)
    try:
        resolution = _resolve(state)
    except UnsupportedEdition as exc:
        if exc.reason_code == "evaluation":
            return Target(_edition(state), refusal=Status.EVALUATION_EDITION)
        if override:
            return _override_target(state, override)
        return Target(
            _edition(state),
            refusal=Status.UNSUPPORTED_EDITION,
            reason=(
                f"Microsoft publishes no KMS client setup key for edition {edition_id} (build {state.build}, "
                f"'{state.caption}'): {exc}. If you have a volume key for it, give it with "
                f"gvlk_overrides: {{'{edition_id}': <key>}} (or '{edition_id}@{state.build}' for this build only)."
            ),
        )
    except CatalogError as exc:
        if override:
            return _override_target(state, override)
        return Target(
            _edition(state),
            refusal=Status.UNKNOWN_EDITION,
            reason=(
                f"The catalog cannot identify the edition the host reports: EditionID/LicenseFamily "
                f"{edition_id!r}, build {state.build}, OperatingSystemSKU {state.os_sku}, caption "
                f"'{state.caption}', installation type {state.installation_type!r} ({exc}). If you know its "
                f"KMS client key, give it with gvlk_overrides: {{'{edition_id}@{state.build}': <key>}}."
            ),
        )
    if override:
        return _override_target(state, override, resolution)
    return Target(_edition(state, resolution), gvlk=resolution.gvlk, source="catalog")


def same_name(a: str | None, b: str | None) -> bool:
    """Host and domain names compare without case and without a trailing dot."""
    return (a or "").rstrip(".").lower() == (b or "").rstrip(".").lower()


def _kms_steps(state: HostState, options: Options) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    kms = state.kms
    if options.kms_host and not same_name(kms.machine, options.kms_host):
        steps.append({"action": "set_kms_machine", "machine": options.kms_host})
    if options.kms_port and options.kms_port != kms.effective_port:
        steps.append({"action": "set_kms_port", "port": options.kms_port})
    if options.kms_discovery == "dns":
        if kms.machine:
            steps.append({"action": "clear_kms_machine"})
        if kms.effective_port != DEFAULT_KMS_PORT:
            steps.append({"action": "clear_kms_port"})
    if options.kms_lookup_domain and not same_name(kms.lookup_domain, options.kms_lookup_domain):
        steps.append({"action": "set_kms_lookup_domain", "domain": options.kms_lookup_domain})
    return steps


def _product_kms_steps(state: HostState, options: Options) -> list[dict[str, Any]]:
    """Clear product-level KMS settings that would override what was asked of the service-wide ones.

    ``slmgr /skms host:port <ActivationID>`` sets them on one SoftwareLicensingProduct, and they win over the
    service's; once cleared, the service-wide settings planned by ``_kms_steps`` apply.
    """
    kms = state.kms
    dns = options.kms_discovery == "dns"
    steps: list[dict[str, Any]] = []
    if kms.product_machine and (dns or (options.kms_host and not same_name(kms.product_machine, options.kms_host))):
        steps.append({"action": "clear_product_kms_machine"})
    if kms.product_port and (dns or (options.kms_port and options.kms_port != kms.product_port)):
        steps.append({"action": "clear_product_kms_port"})
    return steps


def expected_kms(state: HostState, options: Options) -> dict[str, Any]:
    """The KMS settings the host should report once the plan ran."""
    kms = state.kms
    machine, port = kms.machine, kms.port
    if options.kms_discovery == "dns":
        machine, port = None, None
    if options.kms_host:
        machine = options.kms_host
    if options.kms_port:
        port = options.kms_port
    return {
        "machine": machine,
        "port": port or DEFAULT_KMS_PORT,
        "lookup_domain": options.kms_lookup_domain or kms.lookup_domain,
        # A product-level KMS host that may remain: "" none (DNS discovery asked), the asked host, or None (any).
        "product_machine": "" if options.kms_discovery == "dns" else options.kms_host,
    }


def route_failure(state: HostState, options: Options, route: KmsRoute | None, problem: str = "") -> str:
    """Why the KMS route the host will use after the plan is not known to work; empty when it answered."""
    if problem:
        return f"The KMS route could not be tested: {problem}."
    if route is None:
        return ""
    wanted = expected_kms(state, options)
    machine = (wanted["machine"] or "").strip("[]")
    if machine and (not same_name(route.machine, machine) or route.port != wanted["port"]):
        return (
            f"The worker tested the KMS host {route.machine or 'found through DNS'} port {route.port}, "
            f"not {machine} port {wanted['port']}."
        )
    if not machine and route.srv is None:
        return "The worker tested no _vlmcs._tcp SRV lookup although the host will discover its KMS host through DNS."
    return route.failure()


def _kms_unreachable(state: HostState, options: Options, target: Target, routes: Routes) -> Plan:
    wanted = expected_kms(state, options)
    kms = wanted["machine"] or "found through DNS (_vlmcs._tcp)"
    kept = (
        f"The key was not replaced: the host is licensed ({state.key_type} key, partial key "
        f"{state.partial_product_key})"
    )
    if routes.restriction:
        return Plan(
            target,
            Status.ACTIVATION_TYPE_RESTRICTED,
            (
                f"{kept} and no route it may use will activate it: {routes.failure}. A KMS client key would leave "
                f"it unactivated. Run {routes.fix} on the host, or set on_activation_type: clear to clear the setting "
                "in this run."
            ),
            failed=True,
        )
    return Plan(
        target,
        Status.KMS_UNREACHABLE,
        (
            f"{kept} and the KMS host {kms} (port {wanted['port']}) is not reachable from it, so a KMS client key "
            f"would leave it unactivated: {routes.failure}. Run again once the route works (or an activation object "
            "is published in its forest), or set on_kms_unreachable: convert to replace the key anyway."
        ),
        failed=True,
    )


def count_shortfall(state: HostState, options: Options, hosts_in_run: int | None) -> str:
    """Why the KMS host will not reach the count this host's edition needs in this run; empty when it may.

    The prediction counts every host of the run as a new distinct machine: the most the count can grow by
    (``kms_count`` is what the KMS host counts now; it keeps at most 50 machines)."""
    if options.kms_count is None or hosts_in_run is None:
        return ""
    threshold = KMS_SERVER_THRESHOLD if state.is_server else KMS_CLIENT_THRESHOLD
    reachable = min(KMS_COUNTED_CONTACTS, options.kms_count + hosts_in_run)
    if reachable >= threshold:
        return ""
    family = "servers" if state.is_server else "client editions"
    return (
        f"the KMS host counts {options.kms_count} machines (kms_count); with the {hosts_in_run} hosts of this run it "
        f"reaches at most {reachable}, and it activates {family} from {threshold}"
    )


def _count_short(state: HostState, target: Target, shortfall: str) -> Plan:
    return Plan(
        target,
        Status.KMS_COUNT_SHORT,
        (
            f"The key was not replaced: the host is licensed ({state.key_type} key, partial key "
            f"{state.partial_product_key}) and its KMS host would not activate it yet: {shortfall}. Activate enough "
            "other hosts against the KMS host first (hosts already holding a KMS client key count too), or use Active "
            "Directory-based activation, then run again."
        ),
        failed=True,
    )


def _refuse(target: Target, options: Options) -> Plan:
    refusal = target.refusal or Status.FAILED
    if options.on_unsupported == "skip":
        return Plan(
            target,
            Status.SKIPPED,
            f"Skipped ({refusal.value}, on_unsupported=skip): {target.reason}",
            skip_reason=refusal.value,
        )
    return Plan(target, refusal, target.reason, failed=True)


# How a KMS host's refusal ends; the role replaces the example with the kms_client_target that leaves it out.
LEAVE_OUT = "Leave it out of this task"


def _kms_host_refusal(state: HostState) -> Target:
    product = state.product
    signals = []
    if state.key_type == KeyType.CSVLK:
        signals.append(
            f"it holds a KMS host key (CSVLK: '{product.description if product else ''}', channel "
            f"{product.channel if product else None}, partial key {state.partial_product_key})"
        )
    if state.kms_host_signal:
        signals.append(f"SoftwareLicensingService reports the KMS host service ({state.kms_host_signal})")
    return Target(
        _edition(state),
        refusal=Status.IS_KMS_HOST,
        reason=(
            f"The host is a KMS host: {'; '.join(signals)}. A KMS host is never converted to a KMS client. "
            f"{LEAVE_OUT} (for example a group without KMS hosts)."
        ),
    )


def _clears_type(state: HostState, options: Options) -> bool:
    return options.on_activation_type == "clear" and state.activation_type != 0


def _routes(state: HostState, options: Options, context: _Context, *, clears_type: bool) -> Routes:
    """The routes that will activate ``state`` once the plan ran (_routes.decide over the probe's answers)."""
    return decide(
        state,
        options.activation_routes,
        route_failure(state, options, context.route, context.route_problem),
        context.ad,
        context.ad_problem,
        clears_type=clears_type,
    )


def _kept(
    state: HostState, after: HostState, options: Options, target: Target, *, routes: Routes, context: _Context
) -> Plan | None:
    """The refusal that keeps a licensed host as it is (``on_kms_unreachable: keep``) when no route will activate it
    as it will be (``after``, with ``routes``), or its KMS host's count cannot reach its threshold in this run; None
    otherwise."""
    if not state.is_licensed or options.on_kms_unreachable != "keep":
        return None
    if routes.failure:
        return _kms_unreachable(state, options, target, routes)
    shortfall = count_shortfall(after, options, context.hosts_in_run) if routes.route == ActivationRoute.KMS else ""
    return _count_short(state, target, shortfall) if shortfall else None


def _converted_state(state: HostState, change: EditionChange) -> HostState:
    """The host as it will come back from the edition change: the target edition, holding its KMS client key,
    unactivated (DISM installs the key; the new edition starts in its grace period)."""
    product = Product(
        id=None,
        name=None,
        description=None,
        license_family=change.target,
        partial_product_key=change.gvlk[-5:],
        channel="Volume:GVLK",
        license_status=2,
        license_status_reason=None,
        grace_period_remaining=None,
    )
    return replace(
        state, edition_id=change.target, os_sku=None, caption=None, product=product, key_type=KeyType.GVLK.value
    )


def _evaluation_plan(state: HostState, options: Options, editions: TargetEditions | None, context: _Context) -> Plan:
    """An evaluation edition: refuse, naming what it can become (or why not), or plan the edition change."""
    change = choose(state, options, editions)
    if isinstance(change, str):
        return _refuse(_evaluation_refusal(state, f"No edition change is planned: {change}."), options)
    offered = ", ".join(editions.targets) if editions else change.target
    if not options.convert_evaluation:
        detail = (
            f"DISM lists the editions it can become: {offered}. Set convert_evaluation: true to change it to "
            f"{change.target} in this run ({change.name}'s KMS client key, then a restart), or run "
            f"'{change.dism_command()}', restart it, and run this task again."
        )
        return _refuse(_evaluation_refusal(state, detail), options)

    post = _converted_state(state, change)
    resolution = _resolve(post)
    target = Target(_edition(post, resolution), gvlk=change.gvlk, source="catalog")
    routes = _routes(post, options, context, clears_type=_clears_type(state, options))
    kept = _kept(state, post, options, target, routes=routes, context=context)
    if kept is not None:
        return kept
    after = _plan_identified(post, options, target, context)
    steps: list[dict[str, Any]] = [
        {"action": "set_edition", "edition": change.target, "product_key": change.gvlk},
        {"action": "reboot"},
    ]
    then = (
        "once it is back, " + after.msg.removeprefix("Would ")
        if after.steps
        else f"once it is back, nothing more: {after.msg}"
    )
    return Plan(
        target,
        Status.WOULD_CONVERT,
        f"Would {describe_steps(steps, state, target)} (within reboot_timeout, {options.reboot_timeout} s); {then}",
        steps=steps + after.steps,
        key_change=True,
        expected=after.expected,
        route_failure=after.route_failure,
        activation_route=after.activation_route,
        edition_change=change,
    )


@dataclass(frozen=True)
class _Context:
    """What the probe found besides the host's state: the KMS route, the activation objects, the run's size."""

    route: KmsRoute | None = None
    route_problem: str = ""
    ad: AdActivation | None = None
    ad_problem: str = ""
    hosts_in_run: int | None = None


def plan(
    state: HostState,
    options: Options,
    route: KmsRoute | None = None,
    route_problem: str = "",
    *,
    ad: AdActivation | None = None,
    ad_problem: str = "",
    hosts_in_run: int | None = None,
    editions: TargetEditions | None = None,
) -> Plan:
    """The plan for one probed host (see the module docstring for the precedence).

    ``route`` is the probe's KMS route pre-flight (None when it was not run); ``route_problem`` says why its
    answer could not be read; ``ad`` and ``ad_problem`` the same for the forest's activation objects;
    ``hosts_in_run`` how many hosts this run may add to the KMS host's count; ``editions`` what DISM says an
    evaluation edition can become.
    """
    context = _Context(route, route_problem, ad, ad_problem, hosts_in_run)
    if state.key_type == KeyType.CSVLK or state.kms_host_signal:
        return _refuse(_kms_host_refusal(state), options)
    if state.key_type == KeyType.EVAL:
        return _evaluation_plan(state, options, editions, context)

    target = identify(state, options)
    if target.refusal == Status.EVALUATION_EDITION:
        return _evaluation_plan(state, options, editions, context)
    if target.refusal:
        return _refuse(target, options)
    return _plan_identified(state, options, target, context)


def _plan_identified(state: HostState, options: Options, target: Target, context: _Context) -> Plan:
    """The plan for a host whose edition and key are known (steps 5 to 9 of the precedence)."""
    key_change = not (
        state.key_type == KeyType.GVLK and (state.partial_product_key or "").upper() == (target.partial or "").upper()
    )
    name = target.edition.name or target.edition.id
    if key_change and state.key_type != KeyType.GVLK and state.key_type not in options.convert_from:
        return Plan(
            target,
            Status.SKIPPED,
            skip_reason="key_type_not_allowed",
            msg=(
                f"The host holds a {state.key_type} key (partial key {state.partial_product_key}); "
                f"{state.key_type} is not in convert_from ({', '.join(options.convert_from) or 'empty'}), so the "
                f"KMS client key for {name} was not installed. Add '{state.key_type}' to convert_from to convert it."
            ),
        )

    clears_type = _clears_type(state, options)
    routes = _routes(state, options, context, clears_type=clears_type)
    kept = _kept(state, state, options, target, routes=routes, context=context) if key_change else None
    if kept is not None:
        return kept
    failure = routes.failure
    if options.kms_lookup_domain and state.lacks("service", "KeyManagementServiceLookupDomain"):
        return Plan(
            target,
            Status.FAILED,
            f"This Windows (build {state.build}) has no KMS lookup-domain support: its SoftwareLicensingService "
            "has no KeyManagementServiceLookupDomain property. Leave kms_lookup_domain unset for this host, or give "
            "the KMS host with kms_host.",
            failed=True,
        )

    steps: list[dict[str, Any]] = []
    if clears_type:
        # The service-wide setting and the product's own; the product reports whichever applies.
        steps += [{"action": "clear_vl_activation_type"}, {"action": "clear_product_vl_activation_type"}]
    if key_change:
        steps += [{"action": "install_product_key", "product_key": target.gvlk}, {"action": "refresh_license_status"}]
    else:
        # A new key is a new product (its own activation ID), which holds no product-level settings.
        steps += _product_kms_steps(state, options)
    steps += _kms_steps(state, options)
    activate = options.activate and (key_change or not state.is_licensed) and not failure
    if activate:
        # slmgr /ato: Activate, then RefreshLicenseStatus, then the state is read again.
        steps += [{"action": "activate"}, {"action": "refresh_license_status"}]

    expected = {
        "key_type": KeyType.GVLK.value,
        "partial_product_key": target.partial,
        "license_status": "licensed" if activate or (state.is_licensed and not key_change) else None,
        "kms": expected_kms(state, options),
        "activation_type": 0 if clears_type else None,
    }
    wants_activation = options.activate and (key_change or not state.is_licensed)
    unactivated = f" Activation would not be tried: {failure}" if failure and wants_activation else ""
    route_name = routes.route.value if routes.route else None
    if not steps and failure and wants_activation:
        return Plan(
            target,
            Status.ACTIVATION_FAILED,
            f"The host holds the KMS client key of {name} but is {state.license_status_name}; activation was "
            f"not tried: {failure}",
            failed=True,
            expected=expected,
            route_failure=failure,
        )
    if not steps:
        return Plan(
            target,
            Status.COMPLIANT,
            key_change=False,
            expected=expected,
            activation_route=route_name,
            msg=(
                f"The host holds the KMS client key of {name} (partial key {state.partial_product_key}, "
                f"license status {state.license_status_name}); the KMS settings are as requested."
            ),
        )
    through = ""
    if activate and routes.route == ActivationRoute.ADBA:
        through = f" through Active Directory-based activation ({routes.adba})"
    elif activate and routes.route == ActivationRoute.KMS:
        through = " through the KMS host"
    return Plan(
        target,
        Status.WOULD_CONVERT if key_change else Status.WOULD_RECONFIGURE,
        f"Would {describe_steps(steps, state, target)}{through}.{unactivated}",
        steps=steps,
        key_change=key_change,
        expected=expected,
        route_failure=failure if wants_activation else "",
        activation_route=route_name,
    )


def _replacing(state: HostState) -> str:
    """What the new key takes the place of, in words (a host may hold no key at all)."""
    if state.key_type == KeyType.NONE.value:
        return "on a host that held no product key"
    partial = f" {state.partial_product_key}" if state.partial_product_key else ""
    return f"replacing the {state.key_type} key{partial}"


def describe_steps(steps: list[dict[str, Any]], state: HostState, target: Target) -> str:
    """A sentence listing what the steps do, without any non-public key."""
    kms = state.kms
    known = {
        "edition": target.edition.name or target.edition.id,
        "target_partial": target.partial,
        "source": target.source,
        "replacing": _replacing(state),
        "machine_was": kms.machine or "DNS discovery",
        "port_was": kms.effective_port,
        "domain_was": kms.lookup_domain or "none",
        "kms_machine": kms.machine,
        "kms_port": kms.port,
        "product_machine_was": kms.product_machine,
        "product_port_was": kms.product_port,
        "license_status": state.license_status_name,
        "edition_was": dism_edition(state),
    }
    parts = []
    for step in steps:
        definition = STEPS.get(step["action"])
        if definition and definition.describe:
            values = {**known, **{k: v for k, v in step.items() if k != "product_key"}}
            parts.append(definition.describe.format_map(values))
    return "; ".join(parts)


def public_step(step: dict[str, Any], target: Target) -> dict[str, Any]:
    """A planned step as results show it: the product key replaced by its last five characters."""
    shown = {k: v for k, v in step.items() if k != "product_key"}
    if "product_key" in step:
        shown["partial_product_key"] = step["product_key"][-5:]
        shown["source"] = target.source
    return shown
