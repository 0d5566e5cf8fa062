# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KMS route pre-flight: what the probe is asked to test, and what the host answered.

The worker tests the route from the host itself in the probe's execution (docs/worker_contract.md, section
``kms_route``): TCP to every address of the named KMS host, or the ``_vlmcs._tcp`` SRV records of the lookup
domain and TCP to what they name. Each attempt comes back as data; this module bounds and reads it, and says
in one sentence what failed and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import json_type
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import DEFAULT_KMS_PORT

OUTCOMES = ("connected", "refused", "timed_out", "name_not_found", "invalid_argument", "error")
SRV_OUTCOMES = ("found", "name_not_found", "no_domain", "error")
MAX_ATTEMPTS = 32
MAX_TEXT = 255

_FIXES = {
    "refused": "start the Software Protection service on the KMS host, or open TCP port {port} on its firewall",
    "timed_out": "open TCP port {port} from this host to the KMS host (a firewall drops the connection)",
    "name_not_found": "register the KMS host's name in DNS, or give its address as kms_host",
    "invalid_argument": "give a host name or an address the host can use",
    "error": "check the host's network configuration",
}


class RouteError(ValueError):
    """The worker's route answer does not have the contract's shape."""


@dataclass(frozen=True)
class Attempt:
    """One TCP connection attempt from the host (or a name lookup that failed before it)."""

    name: str
    address: str | None
    family: str | None
    port: int
    outcome: str
    message: str = ""


@dataclass(frozen=True)
class SrvLookup:
    """The ``_vlmcs._tcp`` SRV query and the targets it named."""

    domain: str | None
    outcome: str
    targets: tuple[tuple[str, int], ...] = ()
    message: str = ""


@dataclass(frozen=True)
class KmsRoute:
    """What the host answered: the KMS host it tried (or the SRV lookup) and every attempt."""

    machine: str | None
    port: int
    srv: SrvLookup | None
    attempts: tuple[Attempt, ...]

    @property
    def reachable(self) -> bool:
        return any(a.outcome == "connected" for a in self.attempts)

    def failure(self) -> str:
        """What failed and the fix, naming the KMS host and port; empty when the route works."""
        if self.reachable:
            return ""
        if self.srv is not None and self.srv.outcome != "found":
            where = f"_vlmcs._tcp.{self.srv.domain}" if self.srv.domain else "_vlmcs._tcp"
            detail = f" ({self.srv.message})" if self.srv.message else ""
            return (
                f"DNS discovery found no KMS host: the SRV query for {where} answered {self.srv.outcome}{detail}. "
                "Publish the _vlmcs._tcp SRV record of the KMS host in that domain, set kms_lookup_domain to the "
                "domain that has it, or give kms_host."
            )
        if not self.attempts:
            return f"No address of the KMS host {self.machine or 'found through DNS'} was tested."
        parts = []
        for attempt in self.attempts:
            where = f"{attempt.name} ({attempt.address}, {attempt.family})" if attempt.address else attempt.name
            parts.append(f"{where} port {attempt.port}: {attempt.outcome.replace('_', ' ')}")
        last = self.attempts[-1]
        fix = _FIXES.get(last.outcome, _FIXES["error"]).format(port=last.port)
        return f"The KMS host did not answer from this host: {'; '.join(parts)}. To fix: {fix}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "port": self.port,
            "reachable": self.reachable,
            "srv": None
            if self.srv is None
            else {
                "domain": self.srv.domain,
                "outcome": self.srv.outcome,
                "targets": [{"name": n, "port": p} for n, p in self.srv.targets],
            },
            "attempts": [
                {
                    "name": a.name,
                    "address": a.address,
                    "family": a.family,
                    "port": a.port,
                    "outcome": a.outcome,
                    "message": a.message,
                }
                for a in self.attempts
            ],
        }


def request(
    machine: str | None, port: int | None, lookup_domain: str | None, *, dns_discovery: bool, tcp_timeout: int
) -> dict[str, Any] | None:
    """The probe's ``kms_route`` argument for the KMS settings asked for; None when the pre-flight is off
    (``tcp_timeout`` 0).

    The worker tests ``machine`` when given, else (``use_configured``) the host's configured KMS host, else the
    SRV records of ``lookup_domain`` (or the host's configured lookup domain, or its own domain): what Activate()
    uses once the plan ran. ``use_configured`` is false with DNS discovery, which clears the KMS host and port.
    """
    if tcp_timeout <= 0:
        return None
    return {
        "machine": machine.strip("[]") if machine else None,
        "port": port,
        "lookup_domain": lookup_domain,
        "use_configured": not dns_discovery,
        "timeout_ms": tcp_timeout * 1000,
    }


def _text(value: Any, where: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise RouteError(f"{where} is missing")
        return None
    if not isinstance(value, str):
        raise RouteError(f"{where} is {json_type(value)}, expected a string")
    return value.strip()[:MAX_TEXT]


def _port(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise RouteError(f"{where} is {value!r}, expected a TCP port")
    return value


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise RouteError(f"{where} is {str(value)[:40]!r}, expected one of {', '.join(allowed)}")
    return str(value)


def _attempt(raw: Any, index: int) -> Attempt:
    where = f"kms_route.attempts[{index}]"
    if not isinstance(raw, dict):
        raise RouteError(f"{where} is not an object")
    family = _text(raw.get("family"), f"{where}.family")
    if family is not None:
        family = _choice(family, ("ipv4", "ipv6"), f"{where}.family")
    return Attempt(
        name=_text(raw.get("name"), f"{where}.name", required=True) or "",
        address=_text(raw.get("address"), f"{where}.address"),
        family=family,
        port=_port(raw.get("port"), f"{where}.port"),
        outcome=_choice(raw.get("outcome"), OUTCOMES, f"{where}.outcome"),
        message=_text(raw.get("message"), f"{where}.message") or "",
    )


def _srv(raw: Any) -> SrvLookup | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RouteError("kms_route.srv is not an object")
    targets = raw.get("targets") or []
    if not isinstance(targets, list) or len(targets) > MAX_ATTEMPTS:
        raise RouteError("kms_route.srv.targets is not a list of at most 32 records")
    parsed = []
    for index, target in enumerate(targets):
        if not isinstance(target, dict):
            raise RouteError(f"kms_route.srv.targets[{index}] is not an object")
        name = _text(target.get("name"), f"kms_route.srv.targets[{index}].name", required=True) or ""
        parsed.append((name, _port(target.get("port"), f"kms_route.srv.targets[{index}].port")))
    return SrvLookup(
        domain=_text(raw.get("domain"), "kms_route.srv.domain"),
        outcome=_choice(raw.get("outcome"), SRV_OUTCOMES, "kms_route.srv.outcome"),
        targets=tuple(parsed),
        message=_text(raw.get("message"), "kms_route.srv.message") or "",
    )


def parse_route(raw: Any) -> KmsRoute:
    """Read the worker's ``kms_route`` answer; raise RouteError when it is not the contract's shape."""
    if not isinstance(raw, dict):
        raise RouteError(f"the worker returned no kms_route object (got {json_type(raw)})")
    attempts = raw.get("attempts") or []
    if not isinstance(attempts, list) or len(attempts) > MAX_ATTEMPTS:
        raise RouteError("kms_route.attempts is not a list of at most 32 attempts")
    port = raw.get("port")
    return KmsRoute(
        machine=_text(raw.get("machine"), "kms_route.machine"),
        port=DEFAULT_KMS_PORT if port in (None, 0) else _port(port, "kms_route.port"),
        srv=_srv(raw.get("srv")),
        attempts=tuple(_attempt(a, i) for i, a in enumerate(attempts)),
    )
