# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows Server evaluation editions: the edition change the host offers, or why there is none.

The host's own answer decides (DISM's target editions, read by the worker with ``target_editions``); Microsoft's
"Upgrade and conversion options for Windows Server" decides what is refused although DISM might offer it, and names
the documented path: a domain controller is never converted, Desktop Experience and Server Core are never switched,
and the Datacenter evaluation never becomes Standard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import (
    CatalogError,
    is_server_core,
    resolve,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import RouteError
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import Options
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState, json_type
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import NAME_LIMIT, bound, host_text

EDITIONS_OUTCOMES = ("found", "none", "not_evaluation", "error")
# A DISM edition name (ServerDatacenterCor); anything else in the answer is refused as hostile.
_EDITION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
_SERVER_FAMILY = re.compile(r"Server(Standard|Datacenter)(?:Eval)?(?:Cor)?")
_MAX_TARGETS = 32
# Win32_OperatingSystem.ProductType 2 and Win32_ComputerSystem.DomainRole 4, 5: a domain controller.
_DC_PRODUCT_TYPE = 2
_DC_DOMAIN_ROLES = (4, 5)
UPGRADE_PAGE = "Microsoft's 'Upgrade and conversion options for Windows Server'"


@dataclass(frozen=True)
class TargetEditions:
    """The worker's ``editions`` answer: the editions DISM offers the host (docs/worker_contract.md)."""

    current: str | None
    outcome: str
    targets: tuple[str, ...] = ()
    hresult: int | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "outcome": self.outcome,
            "targets": list(self.targets),
            "hresult": None if self.hresult is None else f"0x{self.hresult:08X}",
            "message": self.message,
        }


def parse_target_editions(raw: Any) -> TargetEditions:
    """The ``editions`` answer, validated (RouteError names what is wrong)."""
    if not isinstance(raw, dict):
        raise RouteError(f"editions is {json_type(raw)}, expected an object")
    outcome = raw.get("outcome")
    if outcome not in EDITIONS_OUTCOMES:
        raise RouteError(f"editions.outcome {host_text(str(outcome))!r} is not one of {', '.join(EDITIONS_OUTCOMES)}")
    targets = raw.get("targets")
    if not isinstance(targets, list) or len(targets) > _MAX_TARGETS:
        raise RouteError(f"editions.targets is not a list of at most {_MAX_TARGETS} edition names")
    for target in targets:
        if not isinstance(target, str) or not _EDITION_NAME.fullmatch(target):
            raise RouteError(f"editions.targets holds {host_text(str(target))!r}, which is no edition name")
    current = raw.get("current")
    hresult = raw.get("hresult")
    return TargetEditions(
        current=bound(current, NAME_LIMIT) if isinstance(current, str) else None,
        outcome=outcome,
        targets=tuple(targets),
        hresult=hresult if isinstance(hresult, int) and 0 <= hresult <= 0xFFFFFFFF else None,
        message=host_text(str(raw.get("message") or "")),
    )


@dataclass(frozen=True)
class EditionChange:
    """An evaluation edition to change: from the DISM edition it runs to the target, with the target's GVLK."""

    source: str
    target: str
    gvlk: str
    name: str  # the target edition's name in Microsoft's key table

    def dism_command(self) -> str:
        return f"DISM /online /Set-Edition:{self.target} /ProductKey:{self.gvlk} /AcceptEula"


def dism_edition(state: HostState) -> str:
    """The edition as DISM names it: Server Core editions carry ``Cor`` (the registry EditionID need not)."""
    edition = state.edition_id or ""
    if edition.startswith("Server") and not edition.endswith("Cor") and server_core(state):
        return edition + "Cor"
    return edition


def server_core(state: HostState) -> bool:
    return is_server_core(state.edition_id, state.installation_type, state.os_sku)


def is_domain_controller(state: HostState) -> bool:
    return state.product_type == _DC_PRODUCT_TYPE or state.domain_role in _DC_DOMAIN_ROLES


def _family(edition: str) -> str | None:
    """standard or datacenter, for a Server edition name (evaluation, Core or not)."""
    match = _SERVER_FAMILY.fullmatch(edition)
    return match.group(1).lower() if match else None


def choose(state: HostState, options: Options, editions: TargetEditions | None) -> EditionChange | str:
    """The edition change for an evaluation host, or why there is none (a sentence naming the documented path)."""
    reported = dism_edition(state) or "an evaluation edition"
    family = _family(reported)
    if family is None or not reported.startswith("Server"):
        return (
            f"{reported} cannot change its edition on a running system: reinstall it from volume-licensed media "
            "(DISM /Set-Edition converts Windows Server evaluations only)"
        )
    if is_domain_controller(state):
        return (
            f"it is a domain controller (ProductType {state.product_type}, DomainRole {state.domain_role}), and an "
            f"evaluation domain controller cannot be converted ({UPGRADE_PAGE}): install another domain controller "
            "on a volume-licensed edition, move the FSMO roles to it, then remove AD DS from this host and convert it"
        )
    if editions is None:
        return "the worker did not say which editions the host can become"
    if editions.outcome == "error":
        code = f" ({editions.hresult:#010x})" if editions.hresult is not None else ""
        return f"DISM could not list its target editions{code}: {editions.message or 'no message'}"
    if editions.outcome == "not_evaluation":
        return f"DISM was not asked: the host's EditionID {editions.current!r} names no evaluation edition"
    core = server_core(state)
    installation = "Server Core" if core else "Desktop Experience"
    offered = ", ".join(editions.targets) or "none"
    wanted = options.evaluation_target or family
    if family == "datacenter" and wanted == "standard":
        return (
            f"a Datacenter evaluation converts only to Datacenter ({UPGRADE_PAGE}); install Standard from "
            "volume-licensed media, or set evaluation_target: datacenter"
        )
    same_installation = [t for t in editions.targets if t.endswith("Cor") == core and _family(t) is not None]
    matching = [t for t in same_installation if _family(t) == wanted]
    if not matching:
        if not editions.targets:
            return (
                f"DISM lists no edition it can become; {UPGRADE_PAGE} says to install the edition wanted from "
                "volume-licensed media then"
            )
        if not same_installation:
            return (
                f"DISM offers only {offered}, which would switch {installation} to another installation option; that "
                f"is not supported ({UPGRADE_PAGE}): install from volume-licensed media"
            )
        other = ", ".join(same_installation)
        return (
            f"DISM offers {offered}, not {wanted.capitalize()} {installation}"
            + (
                " (a Standard Server Core evaluation converts only to Datacenter Server Core)"
                if core and wanted == "standard"
                else ""
            )
            + f": set evaluation_target: {_family(same_installation[0])} to convert it to {other} if you are licensed "
            "for it, or install from volume-licensed media"
        )
    target = matching[0]
    try:
        resolution = resolve(edition_id=target, build=state.build)
    except CatalogError as exc:
        return f"the catalog has no KMS client key for the target edition {target} at build {state.build}: {exc}"
    return EditionChange(source=reported, target=target, gvlk=resolution.gvlk, name=resolution.edition)
