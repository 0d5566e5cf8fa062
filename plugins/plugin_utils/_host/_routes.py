# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which route will activate a host once it holds its GVLK: Active Directory-based activation or a KMS host.

A domain-joined KMS client asks its forest for an activation object first and uses KMS only when it gets none
(Microsoft's "Activate using Active Directory-based activation": "If the AD DS object cannot be retrieved, client
computers use KMS activation"); ADBA needs Windows 8 / Server 2012 or later. The product's VLActivationTypeEnabled
(``slmgr /act-type``) may restrict the client to one route (1 AD, 2 KMS) or to token-based activation (3), which this
collection never relies on. The worker's ``ad_activation`` answer (docs/worker_contract.md) says what the forest holds.

Which editions an activation object covers is decided inside the licensing service (the KMS IDs it enables match
the client's edition); no WMI property tells, so an object in the forest counts as a route and every message names
the objects found, for the administrator to check against Microsoft's "Activation versions" table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import RouteError
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import (
    HostState,
    is_partial_key,
    json_type,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import NAME_LIMIT, TEXT_LIMIT, host_text
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    ACTIVATION_TYPE_NAMES,
    ACTIVATION_TYPE_ROUTES,
    ActivationRoute,
)

AD_OUTCOMES = ("found", "none", "not_domain_member", "no_container", "error")
MAX_OBJECTS = 64
ADBA_FIRST_BUILD = 9200  # Windows 8 / Server 2012


@dataclass(frozen=True)
class ActivationObject:
    """One activation object of the forest, as the host read it."""

    name: str | None
    partial_product_key: str | None

    def shown(self) -> str:
        return f"'{self.name or 'unnamed'}' (CSVLK partial key {self.partial_product_key or 'unknown'})"


@dataclass(frozen=True)
class AdActivation:
    """What the host read of its forest's activation objects."""

    domain: str | None
    outcome: str
    objects: tuple[ActivationObject, ...] = ()
    message: str = ""
    hresult: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The answer as results show it (data, bounded)."""
        return {
            "domain": self.domain,
            "outcome": self.outcome,
            "objects": [{"name": o.name, "partial_product_key": o.partial_product_key} for o in self.objects],
            "message": self.message,
        }

    def describe(self) -> str:
        """What was found, for messages."""
        if self.outcome == "found":
            shown = ", ".join(o.shown() for o in self.objects[:5]) + (" ..." if len(self.objects) > 5 else "")
            return f"its forest ({self.domain}) holds the activation object(s) {shown}"
        if self.outcome == "not_domain_member":
            return "it is not a member of an Active Directory domain"
        if self.outcome == "none":
            return f"its forest ({self.domain}) holds no activation object"
        if self.outcome == "no_container":
            return f"its forest ({self.domain}) has no activation objects container (no ADBA in its schema)"
        code = f"0x{self.hresult:08X}: " if self.hresult is not None else ""
        return f"its forest's activation objects could not be read ({code}{self.message or 'no message'})"


def parse_ad_activation(raw: Any) -> AdActivation:
    """Read the worker's ``ad_activation`` answer; RouteError when it is not the contract's shape."""
    if not isinstance(raw, dict):
        raise RouteError(f"the worker returned no ad_activation object (got {json_type(raw)})")
    outcome = raw.get("outcome")
    if outcome not in AD_OUTCOMES:
        raise RouteError(f"ad_activation.outcome is {str(outcome)[:40]!r}, expected one of {', '.join(AD_OUTCOMES)}")
    objects = raw.get("objects") or []
    if not isinstance(objects, list) or len(objects) > MAX_OBJECTS:
        raise RouteError(f"ad_activation.objects is not a list of at most {MAX_OBJECTS} objects")
    parsed = []
    for index, item in enumerate(objects):
        if not isinstance(item, dict):
            raise RouteError(f"ad_activation.objects[{index}] is {json_type(item)}, expected an object")
        parsed.append(
            ActivationObject(
                name=_text(item.get("name"), f"ad_activation.objects[{index}].name"),
                partial_product_key=_partial_key(item.get("partial_product_key"), index),
            )
        )
    code = raw.get("hresult")
    return AdActivation(
        domain=_text(raw.get("domain"), "ad_activation.domain"),
        outcome=str(outcome),
        objects=tuple(parsed),
        message=_text(raw.get("message"), "ad_activation.message", TEXT_LIMIT) or "",
        hresult=code if isinstance(code, int) and not isinstance(code, bool) and 0 <= code <= 0xFFFFFFFF else None,
    )


def _partial_key(value: Any, index: int) -> str | None:
    """An activation object's CSVLK partial key: absent, or five key characters (the value is never echoed)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not is_partial_key(value):
        raise RouteError(f"ad_activation.objects[{index}].partial_product_key is not five product key characters")
    return value.strip().upper()


def _text(value: Any, where: str, limit: int = NAME_LIMIT) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RouteError(f"{where} is {json_type(value)}, expected a string")
    return host_text(value.strip(), limit) or None


@dataclass(frozen=True)
class Routes:
    """The route that will activate the host, or why none will.

    ``route`` is the one Windows takes first among those that work and are allowed (ADBA before KMS); ``restriction``
    names the activation type setting when it, not the network, leaves the host without a route; ``failure`` says
    why no route will activate the host (empty when one will).
    """

    route: ActivationRoute | None
    failure: str
    restriction: str = ""
    adba: str = ""
    fix: str = ""  # the slmgr /act-type commands that open the route that works


def _adba(state: HostState, ad: AdActivation | None, problem: str) -> tuple[bool, str]:
    """Whether the forest offers the host an activation object, and what was found."""
    if problem:
        return False, f"its forest's activation objects could not be read: {problem}"
    if state.build is not None and state.build < ADBA_FIRST_BUILD:
        return False, f"Windows build {state.build} cannot use Active Directory-based activation (Windows 8 or later)"
    if ad is None:
        return False, "its forest's activation objects were not read (activation_routes leaves out adba)"
    return ad.outcome == "found" and bool(ad.objects), ad.describe()


def decide(
    state: HostState,
    routes_allowed: tuple[str, ...],
    kms_failure: str,
    ad: AdActivation | None,
    ad_problem: str = "",
    *,
    clears_type: bool = False,
) -> Routes:
    """The route for a host that will hold a GVLK (see the module docstring).

    ``kms_failure`` is why the KMS route fails (empty when it works); ``clears_type`` is true when the plan clears the
    activation type setting (``on_activation_type: clear``), so that every route is open.
    """
    setting = 0 if clears_type else state.activation_type
    typed = ACTIVATION_TYPE_ROUTES.get(setting, ())
    adba_works, adba_text = _adba(state, ad, ad_problem)
    works = {ActivationRoute.ADBA: adba_works, ActivationRoute.KMS: not kms_failure}
    for route in (ActivationRoute.ADBA, ActivationRoute.KMS):
        if works[route] and route in typed and route.value in routes_allowed:
            return Routes(route, "", adba=adba_text)
    excluded = [r for r in (ActivationRoute.ADBA, ActivationRoute.KMS) if works[r] and r not in typed]
    restriction = fix = ""
    if setting and (excluded or setting == 3):
        name = ACTIVATION_TYPE_NAMES.get(setting, str(setting))
        what = " and ".join("Active Directory" if r == ActivationRoute.ADBA else "KMS" for r in excluded)
        restriction = (
            f"its activation type setting allows {name} activation only (VLActivationTypeEnabled {setting}, "
            f"set with slmgr /act-type {setting})" + (f", which rules out {what}, the route that works" if what else "")
        )
        opening = [f"'slmgr /act-type {_TYPE_OF[r]}' ({_WORD[r]} only)" for r in excluded]
        fix = " or ".join(["'slmgr /act-type 0' (any route)", *opening])
    reasons = [
        f"the KMS route fails: {kms_failure.rstrip('. ')}" if kms_failure else "",
        f"Active Directory-based activation is out: {adba_text}" if not adba_works else "",
    ]
    if restriction:
        reasons.insert(0, restriction)
    not_allowed = [r.value for r in works if works[r] and r.value not in routes_allowed]
    if not_allowed:
        reasons.append(f"activation_routes leaves out {', '.join(not_allowed)}")
    return Routes(None, "; ".join(r for r in reasons if r), restriction=restriction, adba=adba_text, fix=fix)


_TYPE_OF = {ActivationRoute.ADBA: 1, ActivationRoute.KMS: 2}
_WORD = {ActivationRoute.ADBA: "Active Directory", ActivationRoute.KMS: "KMS"}
