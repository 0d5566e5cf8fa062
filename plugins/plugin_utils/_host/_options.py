# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""User options of kms_client_key: the argument spec and the checks it cannot express.

Everything here runs before the host is contacted. Messages name the option, the value and what
is allowed, except for product keys, which are never echoed.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volume_activation.kms.plugins.module_utils._gvlk_table import ENTRIES, NO_KEY_EDITIONS
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    ACTIVATION_ROUTES,
    CONVERTIBLE_KEY_TYPES,
    KMS_COUNTED_CONTACTS,
    ROLE_PREFIX,
)

# AVMA guests are activated by their Hyper-V host; converting one is opted into with convert_from.
DEFAULT_CONVERT_FROM = ["retail", "oem", "mak", "none"]
DEFAULT_TCP_TIMEOUT = 3
# How long a host may take to come back from the restart that completes an edition change (applying the new edition
# at startup takes minutes); the edition change itself runs before it, in the worker execution.
DEFAULT_REBOOT_TIMEOUT = 1800
EVALUATION_TARGETS = ("standard", "datacenter")

ARGUMENT_SPEC: dict[str, Any] = {
    "kms_host": {"type": "str"},
    "kms_port": {"type": "int"},
    "kms_discovery": {"type": "str", "default": "unchanged", "choices": ["unchanged", "dns"]},
    "kms_lookup_domain": {"type": "str"},
    "activate": {"type": "bool", "default": True},
    "convert_from": {"type": "list", "elements": "str", "default": list(DEFAULT_CONVERT_FROM)},
    "gvlk_overrides": {"type": "dict", "default": {}, "no_log": True},
    "on_unsupported": {"type": "str", "default": "fail", "choices": ["fail", "skip"]},
    "tcp_timeout": {"type": "int", "default": DEFAULT_TCP_TIMEOUT},
    "on_kms_unreachable": {"type": "str", "default": "keep", "choices": ["keep", "convert"]},
    "activation_routes": {
        "type": "list",
        "elements": "str",
        "default": list(ACTIVATION_ROUTES),
        "choices": list(ACTIVATION_ROUTES),
    },
    "on_activation_type": {"type": "str", "default": "keep", "choices": ["keep", "clear"]},
    "kms_count": {"type": "int"},
    "convert_evaluation": {"type": "bool", "default": False},
    "evaluation_target": {"type": "str", "choices": list(EVALUATION_TARGETS)},
    "reboot_timeout": {"type": "int", "default": DEFAULT_REBOOT_TIMEOUT},
}

# Option names as messages write them (a word of their own, not inside a step name such as clear_kms_port): names with
# an underscore anywhere, a name without one only as a setting ("activate: true"), so that the word "activate" in a
# sentence stays as it is.
_OPTION_WORD = re.compile(
    r"(?<![\w.])("
    + "|".join(sorted((n for n in ARGUMENT_SPEC if "_" in n), key=len, reverse=True))
    + "|(?:"
    + "|".join(sorted(n for n in ARGUMENT_SPEC if "_" not in n))
    + r")(?=: ))(?![\w])"
)

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_WHOLE_NUMBER = re.compile(r"\s*-?\d+\s*")
_OVERRIDE_NAME = re.compile(r"^(?P<edition>[A-Za-z][A-Za-z0-9]*)(?:@(?P<build>[0-9]{3,6}))?$")


class OptionError(ValueError):
    """An option value is not allowed; the message is meant for the user."""


@dataclass(frozen=True)
class Options:
    """Validated options; ``kms_port`` is the port from ``kms_host`` or ``kms_port``."""

    kms_host: str | None = None
    kms_port: int | None = None
    kms_discovery: str = "unchanged"
    kms_lookup_domain: str | None = None
    activate: bool = True
    convert_from: tuple[str, ...] = tuple(DEFAULT_CONVERT_FROM)
    gvlk_overrides: dict[str, str] = field(default_factory=dict)
    on_unsupported: str = "fail"
    tcp_timeout: int = DEFAULT_TCP_TIMEOUT
    on_kms_unreachable: str = "keep"
    activation_routes: tuple[str, ...] = ACTIVATION_ROUTES
    on_activation_type: str = "keep"
    kms_count: int | None = None  # the KMS host's current count, when the user knows it
    convert_evaluation: bool = False  # change evaluation editions with DISM (and a restart) in apply runs
    evaluation_target: str | None = None  # standard or datacenter; None: the edition the evaluation evaluates
    reboot_timeout: int = DEFAULT_REBOOT_TIMEOUT

    def override_for(self, edition_id: str | None, build: int | None) -> tuple[str, str] | None:
        """The override that applies (``EditionID@build`` first, then ``EditionID``): (name, key)."""
        if not edition_id:
            return None
        wanted = [f"{edition_id}@{build}".lower()] if build else []
        wanted.append(edition_id.lower())
        by_name = {name.lower(): (name, key) for name, key in self.gvlk_overrides.items()}
        for name in wanted:
            if name in by_name:
                return by_name[name]
        return None


def whole_number(value: Any) -> int | None:
    """A whole number given as a variable: an int, or its decimal text as ``-e name=value`` gives it (not a
    boolean); None otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        return int(value)
    return None


def role_wording(text: str) -> str:
    """A message about options as the role's user reads it: ``kms_host`` becomes ``kms_client_kms_host``."""
    return _OPTION_WORD.sub(lambda match: ROLE_PREFIX + match.group(1), text)


def is_dns_name(value: str) -> bool:
    """RFC 1123 host or domain name (a trailing dot allowed); all-numeric names are not names."""
    name = value[:-1] if value.endswith(".") else value
    if not name or len(name) > 253:
        return False
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return False
    return not labels[-1].isdigit()


def parse_kms_host(value: str) -> tuple[str, int | None]:
    """Split ``kms_host`` into (machine, port). IPv6 addresses keep their brackets, as slmgr passes them."""
    text = value.strip()
    allowed = (
        "a DNS name, an IPv4 address or an IPv6 address in brackets, "
        "optionally followed by :port (for example kms01.corp.example.com:1688 or [2001:db8::10]:1688)"
    )
    if not text:
        raise OptionError(f"kms_host is empty; expected {allowed}")
    if "://" in text or "/" in text:
        raise OptionError(f"kms_host '{value}' is a URL or a path; give a host name, not a URL (expected {allowed})")
    port_text: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise OptionError(f"kms_host '{value}' has no closing ']'; expected {allowed}")
        address, rest = text[1:end], text[end + 1 :]
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise OptionError(f"kms_host '{value}': '{address}' is not an IPv6 address; expected {allowed}") from None
        machine = f"[{address}]"
        if rest:
            if not rest.startswith(":"):
                raise OptionError(f"kms_host '{value}' has '{rest}' after the address; expected {allowed}")
            port_text = rest[1:]
    else:
        if text.count(":") > 1:
            raise OptionError(
                f"kms_host '{value}' looks like an IPv6 address without brackets; "
                f"write it as [address] or [address]:port"
            )
        machine, _colon, port_text = text.partition(":") if ":" in text else (text, "", None)
        if not _is_ipv4(machine) and not is_dns_name(machine):
            raise OptionError(
                f"kms_host '{value}': '{machine}' is neither a DNS name nor an IPv4 address; expected {allowed}"
            )
        if machine.endswith("."):
            machine = machine[:-1]
    port = None
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise OptionError(f"kms_host '{value}': port '{port_text}' is not a number from 1 to 65535")
        port = int(port_text)
    return machine, port


def _is_ipv4(value: str) -> bool:
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _given(params: dict[str, Any], name: str, default: Any) -> Any:
    value = params.get(name)
    return default if value is None else value


def _kms_settings(params: dict[str, Any], problems: list[str]) -> tuple[str | None, int | None, str, str | None]:
    """KMS host, port, discovery mode and lookup domain."""
    machine, host_port = (None, None)
    if params.get("kms_host") is not None:
        try:
            machine, host_port = parse_kms_host(params["kms_host"])
        except OptionError as exc:
            problems.append(str(exc))

    port = params.get("kms_port")
    if port is not None and not 1 <= port <= 65535:
        problems.append(f"kms_port {port} is out of range; expected a TCP port from 1 to 65535")
    elif port is not None and host_port is not None and port != host_port:
        problems.append(
            f"kms_host '{params['kms_host']}' names port {host_port} but kms_port is {port}; "
            "give the port once, or the same port in both"
        )
    port = port if port is not None else host_port

    discovery = params.get("kms_discovery") or "unchanged"
    if discovery == "dns" and (params.get("kms_host") is not None or params.get("kms_port") is not None):
        problems.append(
            "kms_discovery 'dns' clears the configured KMS host and port so that the host finds "
            "its KMS host through DNS; it cannot be combined with kms_host or kms_port"
        )

    domain = params.get("kms_lookup_domain")
    if domain is not None:
        if is_dns_name(domain.strip()):
            domain = domain.strip().rstrip(".")
        else:
            problems.append(f"kms_lookup_domain '{domain}' is not a DNS domain name (for example corp.example.com)")
    return machine, port, discovery, domain


_NOT_CONVERTIBLE = {
    "csvlk": "convert_from contains 'csvlk': a KMS host key (CSVLK) is never replaced; "
    "remove it from convert_from and leave KMS hosts out of this task",
    "eval": "convert_from contains 'eval': an evaluation edition accepts no KMS client key; "
    "set convert_evaluation: true to change its edition with DISM /Set-Edition and a restart",
    "gvlk": "convert_from contains 'gvlk': a KMS client key of another edition is always "
    "replaced and the right one is never touched, so 'gvlk' is not needed",
}


def _convert_from(params: dict[str, Any], problems: list[str]) -> tuple[str, ...]:
    """The installed key types that may be replaced."""
    convert_from = tuple(
        dict.fromkeys(str(v).strip().lower() for v in _given(params, "convert_from", DEFAULT_CONVERT_FROM))
    )
    for key_type in convert_from:
        if key_type in _NOT_CONVERTIBLE:
            problems.append(_NOT_CONVERTIBLE[key_type])
        elif key_type not in CONVERTIBLE_KEY_TYPES:
            problems.append(
                f"convert_from contains '{key_type}'; allowed key types are {', '.join(CONVERTIBLE_KEY_TYPES)}"
            )
    return convert_from


def _overrides(
    params: dict[str, Any], is_valid_product_key: Callable[[str], bool], problems: list[str]
) -> dict[str, str]:
    """Override keys by edition name; a bad key is named by its entry, never shown."""
    overrides: dict[str, str] = {}
    for raw_name, key in (params.get("gvlk_overrides") or {}).items():
        name = str(raw_name).strip()
        if not _OVERRIDE_NAME.match(name):
            problems.append(
                f"gvlk_overrides entry '{name}' is not an edition ID or EditionID@build "
                "(for example ServerAzureCor or ServerDatacenter@25398)"
            )
        elif not isinstance(key, str) or not is_valid_product_key(key.strip().upper()):
            problems.append(
                f"gvlk_overrides['{name}'] is not a valid product key (five groups of five "
                "characters with a valid checksum); the value is not shown because it is secret"
            )
        else:
            overrides[name] = key.strip().upper()
    lowered = [n.lower() for n in overrides]
    if len(set(lowered)) != len(lowered):
        problems.append("gvlk_overrides names the same edition twice (names are not case-sensitive)")
    return overrides


def build_options(params: dict[str, Any], is_valid_product_key: Callable[[str], bool]) -> Options:
    """Check the values the argument spec already typed; raise OptionError naming every problem at once."""
    problems: list[str] = []
    machine, port, discovery, domain = _kms_settings(params, problems)
    convert_from = _convert_from(params, problems)
    overrides = _overrides(params, is_valid_product_key, problems)
    timeout = _given(params, "tcp_timeout", DEFAULT_TCP_TIMEOUT)
    on_kms_unreachable = params.get("on_kms_unreachable") or "keep"
    if not 0 <= timeout <= 120:
        problems.append(f"tcp_timeout {timeout} is out of range; expected 0 (no TCP test) to 120 seconds")
    elif timeout == 0 and on_kms_unreachable == "keep":
        problems.append(
            "tcp_timeout 0 turns off the KMS route test that keeps licensed hosts from losing their activation; "
            "set on_kms_unreachable: convert as well to convert them without it"
        )
    routes = tuple(_given(params, "activation_routes", list(ACTIVATION_ROUTES)))
    if not routes:
        problems.append(
            f"activation_routes is empty; name at least one of {', '.join(ACTIVATION_ROUTES)} (the routes a host "
            "may activate through)"
        )
    kms_count = params.get("kms_count")
    if kms_count is not None and not 0 <= kms_count <= KMS_COUNTED_CONTACTS:
        problems.append(
            f"kms_count {kms_count} is out of range; a KMS host counts 0 to {KMS_COUNTED_CONTACTS} distinct machines"
        )
    reboot_timeout = _given(params, "reboot_timeout", DEFAULT_REBOOT_TIMEOUT)
    if not 10 <= reboot_timeout <= 86400:
        problems.append(f"reboot_timeout {reboot_timeout} is out of range; expected 10 to 86400 seconds")
    if problems:
        raise OptionError("; ".join(problems))

    return Options(
        kms_host=machine,
        kms_port=port,
        kms_discovery=discovery,
        kms_lookup_domain=domain,
        activate=bool(_given(params, "activate", True)),
        convert_from=convert_from,
        gvlk_overrides=overrides,
        on_unsupported=params.get("on_unsupported") or "fail",
        tcp_timeout=timeout,
        on_kms_unreachable=on_kms_unreachable,
        activation_routes=tuple(dict.fromkeys(routes)),
        on_activation_type=params.get("on_activation_type") or "keep",
        kms_count=kms_count,
        convert_evaluation=bool(_given(params, "convert_evaluation", False)),
        evaluation_target=params.get("evaluation_target"),
        reboot_timeout=reboot_timeout,
    )


def known_edition_ids() -> tuple[str, ...]:
    """Every EditionID the catalog knows (with a published key or without one)."""
    ids = {i for entry in ENTRIES for i in entry.edition_ids} | {i for e in NO_KEY_EDITIONS for i in e.edition_ids}
    return tuple(sorted(ids))


def override_warnings(options: Options) -> list[str]:
    """A warning for each override naming an EditionID the catalog does not know, with the nearest known one."""
    known = known_edition_ids()
    by_lower = {i.lower(): i for i in known}
    warnings = []
    for name in options.gvlk_overrides:
        edition = name.split("@", 1)[0]
        if edition.lower() in by_lower:
            continue
        nearest = difflib.get_close_matches(edition, known, n=1, cutoff=0.6)
        hint = f" (did you mean {nearest[0]}?)" if nearest else ""
        warnings.append(
            f"gvlk_overrides names the EditionID '{edition}', which the catalog does not know{hint}; it applies only "
            "to a host that reports exactly that EditionID or LicenseFamily"
        )
    return warnings
