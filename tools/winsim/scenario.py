"""Scenario files: a fleet of simulated Windows hosts, one validated spec per host.

A scenario is YAML (or the same data as a dict) with a ``hosts:`` list and optional ``defaults:``
merged under every host (``kms`` is merged key by key). Field names follow the shared scenario
vocabulary; every error names the host and the field.
"""

from __future__ import annotations

import ipaddress
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from ansible_collections.volume_activation.kms.plugins.plugin_utils import _vocabulary as vocabulary
from winsim.productkey import ALPHABET, is_well_formed, normalize

# Names the scenario shares with the collection (its vocabulary module); a scenario host always holds a
# known kind of key, so "unknown" is the controller's word only.
KEY_TYPES = tuple(k for k in vocabulary.KEY_TYPES if k != vocabulary.KeyType.UNKNOWN)
LICENSE_STATUSES = vocabulary.LICENSE_STATUS_NAMES
INSTALLATION_TYPES = ("Server", "Server Core", "Client")
STEP_ACTIONS = tuple(vocabulary.STEPS)
FAULT_OPERATIONS = ("probe", *STEP_ACTIONS)
TRANSPORT_FAULTS = ("refused", "http_500", "slow", "hold", "cut")
# Transport faults that target one worker execution (``operation``): the reply is held for ever or the connection
# is cut, ``when`` before or after the worker ran (hold: after; the worker hangs before answering).
EXECUTION_FAULTS = ("hold", "cut")
EXECUTION_OPERATIONS = ("probe", "apply")

_HOST_FIELDS = {
    "name",
    "edition_id",
    "build",
    "ubr",
    "os_sku",
    "caption",
    "installation_type",
    "product_name",
    "display_version",
    "key_type",
    "partial_key",
    "license_status",
    "kms",
    "accepts_keys",
    "faults",
    "network",
    "addons",
    "activation_seconds",
    "probe_patch",
    "host_vars",
    "domain_joined",
    "activation_type",
    "client_machine_id",
    "domain_controller",
    "servicing",
}
_SERVICING_FIELDS = {"targets", "conversion_seconds", "restart_seconds", "comes_back"}
# Bounded like activation_seconds: an edition change and a restart take real time in the simulator.
MAX_SERVICING_SECONDS = 10.0
_NETWORK_FIELDS = {"domain", "srv", "addresses", "unreachable", "forest"}
_FOREST_FIELDS = {"activation_objects", "error"}
_ACTIVATION_OBJECT_FIELDS = {"name", "partial_key", "editions"}
_ACTIVATION_TYPE_FIELDS = {"service", "product"}
ACTIVATION_TYPES = (0, 1, 2, 3)  # VLActivationTypeEnabled: all, AD, KMS, token (slmgr /act-type)
ROUTE_FAILURES = ("refused", "timed_out")
DEFAULT_DOMAIN = "corp.example.com"
_KMS_FIELDS = {"machine", "port", "lookup_domain", "dns", "reachable", "product_machine", "product_port"}
_ADDON_FIELDS = {"license_family", "partial_key", "license_status"}
MAX_ACTIVATION_SECONDS = 3.0  # bounded: a slow activation must not make the test suite slow
_SCENARIO_FIELDS = {"hosts", "defaults", "description", "kms_hosts"}
_KMS_HOST_FIELDS = {"count", "host"}
# probe_patch: where a hostile value can be put in the worker's probe (see ProbePatch), and how large a repeated
# string may grow (bounded: the suite stays fast; the controller bounds text at 1024 characters).
PROBE_SECTIONS = ("os", "registry", "service")
_PATCH_PATH = re.compile(
    r"^(?:products|(?:(?P<section>os|registry|service)|products\[(?P<index>-?\d+)\])\.(?P<field>[A-Za-z]\w*))$"
)
_PATCH_FIELDS = {"path", "value", "remove", "repeat"}
MAX_PATCH_REPEAT = 1_000_000
_HOST_VAR = re.compile(r"^[A-Za-z_]\w*$")


class ScenarioError(ValueError):
    """A scenario or host spec that cannot describe a Windows host."""


@dataclass(frozen=True)
class KmsSpec:
    """KMS settings already on the host, and what the network offers it."""

    machine: str = ""
    port: int | None = None
    lookup_domain: str = ""
    dns: str | None = None
    reachable: bool = True
    product_machine: str = ""  # SoftwareLicensingProduct-level KMS host (slmgr /skms host <ActivationID>)
    product_port: int | None = None


@dataclass(frozen=True)
class AddonSpec:
    """A keyed Windows add-on product (an Extended Security Update licence): LicenseIsAddon true."""

    license_family: str
    partial_key: str
    license_status: str = "licensed"


@dataclass(frozen=True)
class ActivationObjectSpec:
    """An Active Directory activation object of the host's forest: its name, its CSVLK's partial key and the
    EditionIDs its CSVLK activates (Microsoft's "Activation versions" table says which editions a CSVLK group
    covers; the scenario states them)."""

    name: str
    partial_key: str
    editions: tuple[str, ...]


@dataclass(frozen=True)
class ForestSpec:
    """What the host reads of its forest's activation objects: the objects, or the HRESULT the read fails with."""

    activation_objects: tuple[ActivationObjectSpec, ...] = ()
    error: int | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """What DNS and the network answer this host (the KMS route pre-flight and Activate()).

    ``srv``: ``_vlmcs._tcp`` answers per domain, (target, port) in answer order; a domain without an entry
    has no record (name not found). ``addresses``: the A/AAAA answers per name; a name listed with no
    address does not resolve, a name not listed resolves to one IPv4 address (``default_address``).
    ``unreachable``: per address, ``refused`` or ``timed_out``; other addresses follow ``kms.reachable``.
    ``forest``: the activation objects of the forest a domain-joined host belongs to (or the error reading them).
    """

    domain: str = DEFAULT_DOMAIN
    srv: dict[str, tuple[tuple[str, int], ...]] | None = None
    addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)
    forest: ForestSpec = field(default_factory=ForestSpec)


@dataclass(frozen=True)
class FaultSpec:
    """An injected fault: an HRESULT for a worker operation, or a transport fault for the endpoint."""

    operation: str | None = None
    hresult: int | None = None
    transport: str | None = None
    times: int | None = None  # None: every time
    skip: int = 0  # HRESULT faults: calls of the operation that succeed before the fault applies
    when: str | None = None  # cut: "before" or "after" the worker ran
    seconds: float | None = None


@dataclass(frozen=True)
class ServicingSpec:
    """How the host's edition change (DISM /Set-Edition) and restart behave (winsim.licensing.servicing).

    ``targets`` replaces the target editions Microsoft documents for the edition (None: the documented ones);
    ``conversion_seconds`` is how long the change runs, ``restart_seconds`` how long the host is down when it
    restarts; ``comes_back`` false: a restart that never ends. A failing change is a fault on the ``set_edition``
    step (its ``hresult`` is DISM's exit code), a failing restart one on ``reboot`` (the method's Win32 error)."""

    targets: tuple[str, ...] | None = None
    conversion_seconds: float = 0.0
    restart_seconds: float = 1.0
    comes_back: bool = True


@dataclass(frozen=True)
class ProbePatch:
    """A hostile value in the probe the worker sends: ``path`` (``os.Caption``, ``service.KeyManagementServicePort``,
    ``products[-1].LicenseStatus``, the primary product being the last row; ``products``, the whole list) set to
    ``value`` (a string ``repeat`` times), or the field removed (``remove``).

    Not Windows behaviour: it stands for a host whose WMI data is broken or tampered with, which the controller must
    treat as hostile. Microsoft's class pages are silent on such answers, so any JSON value is allowed, including
    NaN and -Infinity (YAML ``.nan``, ``-.inf``), which Python's json.dumps writes as bare literals and the
    controller's JSON parser reads back as floats: the hardest form for the controller's validation.
    """

    path: str
    value: Any = None
    remove: bool = False

    @property
    def where(self) -> tuple[str, int | None, str | None]:
        """(section, product index or None, field; None for the whole ``products`` list)."""
        match = cast(re.Match[str], _PATCH_PATH.match(self.path))
        index = match.group("index")
        return match.group("section") or "products", None if index is None else int(index), match.group("field")


@dataclass(frozen=True)
class HostSpec:
    """One host as the scenario describes it; derived defaults are filled in by the licensing model."""

    name: str
    edition_id: str
    build: int
    key_type: str
    ubr: int | None = None
    os_sku: int | None = None
    caption: str | None = None
    installation_type: str | None = None
    product_name: str | None = None
    display_version: str | None = None
    partial_key: str | None = None
    license_status: str | None = None
    kms: KmsSpec = field(default_factory=KmsSpec)
    accepts_keys: tuple[str, ...] = ()
    faults: tuple[FaultSpec, ...] = ()
    network: NetworkSpec = field(default_factory=NetworkSpec)
    addons: tuple[AddonSpec, ...] = ()
    activation_seconds: float = 0.0
    probe_patch: tuple[ProbePatch, ...] = ()
    host_vars: dict[str, Any] = field(default_factory=dict)  # inventory variables of the host (role options)
    domain_joined: bool = False
    activation_type: dict[str, int] = field(default_factory=dict)  # VLActivationTypeEnabled: service, product
    client_machine_id: str | None = None
    domain_controller: bool = False
    servicing: ServicingSpec = field(default_factory=ServicingSpec)

    @property
    def evaluation(self) -> bool:
        """Evaluation editions report an EditionID containing ``Eval`` (ServerDatacenterEval, EnterpriseEval)."""
        return "Eval" in self.edition_id


class _Checker:
    def __init__(self, host: str) -> None:
        self.host = host

    def fail(self, path: str, problem: str) -> ScenarioError:
        return ScenarioError(f"host {self.host!r}: field {path!r}: {problem}")

    def unknown(self, data: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            raise self.fail(prefix + extra[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def string(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = False, empty: bool = False
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(path, "is required")
            return None
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.fail(path, f"must be a non-empty string, got {value!r}")
        return value

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        low: int = 0,
        high: int | None = None,
    ) -> int | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            bounds = f"{low}..{high}" if high is not None else f">= {low}"
            raise self.fail(path, f"must be an integer {bounds}, got {value!r}")
        return value

    def choice(
        self, data: Mapping[str, Any], key: str, path: str, choices: tuple[Any, ...], *, required: bool = False
    ) -> Any:
        value = data.get(key)
        allowed = ", ".join(str(c) for c in choices)
        if value is None:
            if required:
                raise self.fail(path, f"is required (one of: {allowed})")
            return None
        if value not in choices or isinstance(value, bool) != isinstance(choices[0], bool):
            raise self.fail(path, f"must be one of: {allowed}; got {value!r}")
        return value


def _hresult(checker: _Checker, value: Any, path: str) -> int:
    if isinstance(value, str):
        try:
            value = int(value, 0)
        except ValueError:
            raise checker.fail(path, f"must be an HRESULT such as 0xC004F074, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value <= 0xFFFFFFFF or value == 0:
        raise checker.fail(path, f"must be a non-zero 32-bit HRESULT, got {value!r}")
    return value & 0xFFFFFFFF


def _fault(checker: _Checker, data: Any, path: str) -> FaultSpec:
    if not isinstance(data, Mapping):
        raise checker.fail(path, f"must be a mapping, got {data!r}")
    times = checker.integer(data, "times", f"{path}.times", low=1)
    if "transport" in data:
        checker.unknown(data, {"transport", "times", "seconds", "operation", "when"}, f"{path}.")
        kind = checker.choice(data, "transport", f"{path}.transport", TRANSPORT_FAULTS, required=True)
        if kind in EXECUTION_FAULTS:
            operation = checker.choice(data, "operation", f"{path}.operation", EXECUTION_OPERATIONS, required=True)
            when = data.get("when", "after")
            if when not in ("before", "after") or (kind == "hold" and when != "after"):
                raise checker.fail(f"{path}.when", f"must be 'before' or 'after' (cut only), got {when!r}")
            if data.get("seconds") is not None:
                raise checker.fail(f"{path}.seconds", f"only a slow fault takes seconds (this one is {kind!r})")
            return FaultSpec(operation=operation, transport=kind, times=times, when=when)
        for key in ("operation", "when"):
            if key in data:
                raise checker.fail(f"{path}.{key}", f"only hold and cut faults take {key} (this one is {kind!r})")
        seconds = data.get("seconds")
        if kind == "slow":
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
                raise checker.fail(f"{path}.seconds", f"a slow fault needs seconds > 0, got {seconds!r}")
        elif seconds is not None:
            raise checker.fail(f"{path}.seconds", f"only a slow fault takes seconds (this one is {kind!r})")
        return FaultSpec(transport=kind, times=times, seconds=seconds)
    checker.unknown(data, {"operation", "hresult", "times", "skip"}, f"{path}.")
    operation = checker.choice(data, "operation", f"{path}.operation", FAULT_OPERATIONS, required=True)
    if data.get("hresult") is None:
        raise checker.fail(f"{path}.hresult", "is required")
    skip = checker.integer(data, "skip", f"{path}.skip") or 0
    hresult = _hresult(checker, data["hresult"], f"{path}.hresult")
    return FaultSpec(operation=operation, hresult=hresult, times=times, skip=skip)


def _kms(checker: _Checker, data: Any) -> KmsSpec:
    if data is None:
        return KmsSpec()
    if not isinstance(data, Mapping):
        raise checker.fail("kms", f"must be a mapping, got {data!r}")
    checker.unknown(data, _KMS_FIELDS, "kms.")
    reachable = data.get("reachable", True)
    if not isinstance(reachable, bool):
        raise checker.fail("kms.reachable", f"must be true or false, got {reachable!r}")
    return KmsSpec(
        machine=checker.string(data, "machine", "kms.machine") or "",
        port=checker.integer(data, "port", "kms.port", low=1, high=65535),
        lookup_domain=checker.string(data, "lookup_domain", "kms.lookup_domain") or "",
        dns=checker.string(data, "dns", "kms.dns"),
        reachable=reachable,
        product_machine=checker.string(data, "product_machine", "kms.product_machine") or "",
        product_port=checker.integer(data, "product_port", "kms.product_port", low=1, high=65535),
    )


def _address(checker: _Checker, value: Any, path: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise checker.fail(path, f"must be an IPv4 or IPv6 address, got {value!r}") from None


def _network(checker: _Checker, data: Any) -> NetworkSpec:
    if data is None:
        return NetworkSpec()
    if not isinstance(data, Mapping):
        raise checker.fail("network", f"must be a mapping, got {data!r}")
    checker.unknown(data, _NETWORK_FIELDS, "network.")
    domain = checker.string(data, "domain", "network.domain") or DEFAULT_DOMAIN
    srv = None
    if data.get("srv") is not None:
        if not isinstance(data["srv"], Mapping):
            raise checker.fail("network.srv", "must map a domain to a list of {target, port} records")
        srv = {}
        for name, records in data["srv"].items():
            if not isinstance(records, list):
                raise checker.fail(f"network.srv.{name}", "must be a list of {target, port} records")
            parsed = []
            for index, record in enumerate(records):
                path = f"network.srv.{name}[{index}]"
                if not isinstance(record, Mapping):
                    raise checker.fail(path, "must be a mapping with target and port")
                checker.unknown(record, {"target", "port"}, f"{path}.")
                target = cast(str, checker.string(record, "target", f"{path}.target", required=True))
                port = cast(int, checker.integer(record, "port", f"{path}.port", required=True, high=65535))
                parsed.append((target, port))
            srv[str(name).lower().rstrip(".")] = tuple(parsed)
    addresses = {}
    for name, values in (data.get("addresses") or {}).items():
        if not isinstance(values, list):
            raise checker.fail(f"network.addresses.{name}", "must be a list of addresses")
        addresses[str(name).lower().rstrip(".")] = tuple(
            _address(checker, v, f"network.addresses.{name}[{i}]") for i, v in enumerate(values)
        )
    unreachable = {}
    for address, failure in (data.get("unreachable") or {}).items():
        path = f"network.unreachable.{address}"
        if failure not in ROUTE_FAILURES:
            raise checker.fail(path, f"must be one of: {', '.join(ROUTE_FAILURES)}; got {failure!r}")
        unreachable[_address(checker, address, path)] = failure
    return NetworkSpec(
        domain=domain.lower().rstrip("."),
        srv=srv,
        addresses=addresses,
        unreachable=unreachable,
        forest=_forest(checker, data.get("forest")),
    )


def _forest(checker: _Checker, data: Any) -> ForestSpec:
    if data is None:
        return ForestSpec()
    if not isinstance(data, Mapping):
        raise checker.fail("network.forest", f"must be a mapping, got {data!r}")
    checker.unknown(data, _FOREST_FIELDS, "network.forest.")
    objects = data.get("activation_objects") or []
    if not isinstance(objects, list):
        raise checker.fail("network.forest.activation_objects", "must be a list")
    parsed = []
    for index, item in enumerate(objects):
        path = f"network.forest.activation_objects[{index}]"
        if not isinstance(item, Mapping):
            raise checker.fail(path, "must be a mapping with name, partial_key and editions")
        checker.unknown(item, _ACTIVATION_OBJECT_FIELDS, f"{path}.")
        editions = item.get("editions")
        if not isinstance(editions, list) or not editions or not all(isinstance(e, str) for e in editions):
            raise checker.fail(f"{path}.editions", "must be a non-empty list of EditionIDs")
        parsed.append(
            ActivationObjectSpec(
                name=cast(str, checker.string(item, "name", f"{path}.name", required=True)),
                partial_key=_partial(checker, item.get("partial_key"), f"{path}.partial_key"),
                editions=tuple(editions),
            )
        )
    error = None if data.get("error") is None else _hresult(checker, data["error"], "network.forest.error")
    return ForestSpec(activation_objects=tuple(parsed), error=error)


def _activation_type(checker: _Checker, data: Any) -> dict[str, int]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise checker.fail("activation_type", f"must map service and/or product to 0-3, got {data!r}")
    checker.unknown(data, _ACTIVATION_TYPE_FIELDS, "activation_type.")
    return {
        level: cast(int, checker.choice(data, level, f"activation_type.{level}", ACTIVATION_TYPES)) for level in data
    }


def _partial(checker: _Checker, value: Any, path: str) -> str:
    if not isinstance(value, str) or len(value) != 5 or any(c not in ALPHABET + "N" for c in value.upper()):
        raise checker.fail(path, f"must be 5 product key characters, got {value!r}")
    return value.upper()


def _addon(checker: _Checker, data: Any, path: str) -> AddonSpec:
    if not isinstance(data, Mapping):
        raise checker.fail(path, f"must be a mapping, got {data!r}")
    checker.unknown(data, _ADDON_FIELDS, f"{path}.")
    return AddonSpec(
        license_family=cast(str, checker.string(data, "license_family", f"{path}.license_family", required=True)),
        partial_key=_partial(checker, data.get("partial_key"), f"{path}.partial_key"),
        license_status=checker.choice(data, "license_status", f"{path}.license_status", LICENSE_STATUSES) or "licensed",
    )


def _seconds(
    checker: _Checker, value: Any, path: str = "activation_seconds", limit: float = MAX_ACTIVATION_SECONDS
) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= limit:
        raise checker.fail(path, f"must be a number 0..{limit}, got {value!r}")
    return float(value)


def _servicing(checker: _Checker, data: Any) -> ServicingSpec:
    if data is None:
        return ServicingSpec()
    if not isinstance(data, Mapping):
        raise checker.fail("servicing", f"must be a mapping, got {data!r}")
    checker.unknown(data, _SERVICING_FIELDS, "servicing.")
    targets = data.get("targets")
    if targets is not None and (not isinstance(targets, list) or not all(isinstance(x, str) for x in targets)):
        raise checker.fail("servicing.targets", f"must be a list of EditionIDs, got {targets!r}")
    comes_back = data.get("comes_back", True)
    if not isinstance(comes_back, bool):
        raise checker.fail("servicing.comes_back", f"must be true or false, got {comes_back!r}")
    restart = data.get("restart_seconds")
    return ServicingSpec(
        targets=None if targets is None else tuple(targets),
        conversion_seconds=_seconds(
            checker, data.get("conversion_seconds"), "servicing.conversion_seconds", MAX_SERVICING_SECONDS
        ),
        restart_seconds=1.0
        if restart is None
        else _seconds(checker, restart, "servicing.restart_seconds", MAX_SERVICING_SECONDS),
        comes_back=comes_back,
    )


def _probe_patch(checker: _Checker, data: Any, path: str) -> ProbePatch:
    if not isinstance(data, Mapping):
        raise checker.fail(path, f"must be a mapping with path and value (or remove), got {data!r}")
    checker.unknown(data, _PATCH_FIELDS, f"{path}.")
    where = data.get("path")
    if not isinstance(where, str) or not _PATCH_PATH.match(where):
        raise checker.fail(
            f"{path}.path",
            f"must be <{'|'.join(PROBE_SECTIONS)}>.<Field>, products[<index>].<Field> or products, got {where!r}",
        )
    remove = data.get("remove", False)
    if not isinstance(remove, bool) or (remove and ("value" in data or "repeat" in data)):
        raise checker.fail(f"{path}.remove", "must be true or false, and a removed field takes no value or repeat")
    if not remove and "value" not in data:
        raise checker.fail(f"{path}.value", "is required (or remove: true)")
    value = data.get("value")
    repeat = checker.integer(data, "repeat", f"{path}.repeat", low=1, high=MAX_PATCH_REPEAT)
    if repeat is not None:
        if not isinstance(value, str) or len(value) * repeat > MAX_PATCH_REPEAT:
            raise checker.fail(f"{path}.repeat", f"repeats a string value up to {MAX_PATCH_REPEAT} characters")
        value = value * repeat
    return ProbePatch(path=where, value=value, remove=remove)


def _host_vars(checker: _Checker, data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping) or not all(isinstance(k, str) and _HOST_VAR.match(k) for k in data):
        raise checker.fail("host_vars", f"must map variable names to values, got {data!r}")
    return dict(data)


def parse_host(data: Mapping[str, Any]) -> HostSpec:
    """Validate one host spec (defaults already merged) and return it as a HostSpec."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"a host spec must be a mapping, got {data!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"host spec {dict(data)!r}: field 'name' must be a non-empty string")
    check = _Checker(name)
    check.unknown(data, _HOST_FIELDS)
    partial = check.string(data, "partial_key", "partial_key")
    if partial is not None:
        partial = _partial(check, partial, "partial_key")
    accepts = data.get("accepts_keys") or []
    if not isinstance(accepts, list):
        raise check.fail("accepts_keys", f"must be a list of product keys, got {accepts!r}")
    for index, key in enumerate(accepts):
        if not isinstance(key, str) or not is_well_formed(key):
            raise check.fail(f"accepts_keys[{index}]", "is not a well-formed product key (format or checksum)")
    faults = data.get("faults") or []
    if not isinstance(faults, list):
        raise check.fail("faults", f"must be a list, got {faults!r}")
    addons = data.get("addons") or []
    if not isinstance(addons, list):
        raise check.fail("addons", f"must be a list, got {addons!r}")
    patches = data.get("probe_patch") or []
    if not isinstance(patches, list):
        raise check.fail("probe_patch", f"must be a list, got {patches!r}")
    spec = HostSpec(
        name=name,
        # required=True: these raise instead of returning None
        edition_id=cast(str, check.string(data, "edition_id", "edition_id", required=True)),
        build=cast(int, check.integer(data, "build", "build", required=True, low=1)),
        key_type=cast(str, check.choice(data, "key_type", "key_type", KEY_TYPES, required=True)),
        ubr=check.integer(data, "ubr", "ubr"),
        os_sku=check.integer(data, "os_sku", "os_sku"),
        caption=check.string(data, "caption", "caption"),
        installation_type=check.choice(data, "installation_type", "installation_type", INSTALLATION_TYPES),
        product_name=check.string(data, "product_name", "product_name"),
        display_version=check.string(data, "display_version", "display_version"),
        partial_key=partial,
        license_status=check.choice(data, "license_status", "license_status", LICENSE_STATUSES),
        kms=_kms(check, data.get("kms")),
        accepts_keys=tuple(normalize(k) for k in accepts),
        faults=tuple(_fault(check, f, f"faults[{i}]") for i, f in enumerate(faults)),
        network=_network(check, data.get("network")),
        addons=tuple(_addon(check, a, f"addons[{i}]") for i, a in enumerate(addons)),
        activation_seconds=_seconds(check, data.get("activation_seconds")),
        probe_patch=tuple(_probe_patch(check, p, f"probe_patch[{i}]") for i, p in enumerate(patches)),
        host_vars=_host_vars(check, data.get("host_vars")),
        domain_joined=bool(check.choice(data, "domain_joined", "domain_joined", (True, False))),
        activation_type=_activation_type(check, data.get("activation_type")),
        client_machine_id=_machine_id(check, data.get("client_machine_id")),
        domain_controller=bool(check.choice(data, "domain_controller", "domain_controller", (True, False))),
        servicing=_servicing(check, data.get("servicing")),
    )
    if spec.key_type == "none":
        if spec.partial_key is not None:
            raise check.fail("partial_key", "a host with key_type none has no installed key")
        if spec.license_status not in (None, "unlicensed"):
            raise check.fail("license_status", "a host with no key installed is unlicensed")
    if spec.evaluation and spec.key_type not in ("eval", "none"):
        raise check.fail("key_type", f"an evaluation edition ({spec.edition_id}) holds an eval key or none")
    if spec.domain_controller and not (spec.domain_joined and spec.edition_id.startswith("Server")):
        raise check.fail("domain_controller", "a domain controller is a domain-joined Windows Server")
    if spec.key_type == "eval" and not spec.evaluation:
        raise check.fail(
            "key_type", f"eval needs an evaluation EditionID (e.g. ServerDatacenterEval), not {spec.edition_id}"
        )
    return spec


def _machine_id(checker: _Checker, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise checker.fail("client_machine_id", f"must be a GUID, got {value!r}") from None


def _merge(defaults: Mapping[str, Any], host: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **host}
    if isinstance(defaults.get("kms"), Mapping) and isinstance(host.get("kms"), Mapping):
        merged["kms"] = {**defaults["kms"], **host["kms"]}
    return merged


def combine(*sources: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """One scenario holding the hosts of several (YAML paths or dicts), each with its own scenario's defaults."""
    hosts: list[Any] = []
    for source in sources:
        if isinstance(source, Mapping):
            data: Any = source
        else:
            with open(source, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        defaults = data.get("defaults") or {}
        hosts += [_merge(defaults, host) for host in data["hosts"]]
    return {"hosts": hosts}


@dataclass(frozen=True)
class KmsHostSpec:
    """A KMS host the fleet's clients reach (by the name they contact it by): the count it starts with (distinct
    clients it already knows) and, when it is itself one of the scenario's hosts, that host's name."""

    name: str
    count: int = 0
    host: str | None = None


def _read(source: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[Any, str]:
    if isinstance(source, Mapping):
        return source, "scenario"
    with open(source, encoding="utf-8") as handle:
        return yaml.safe_load(handle), str(source)


def load_kms_hosts(source: str | os.PathLike[str] | Mapping[str, Any]) -> list[KmsHostSpec]:
    """The scenario's ``kms_hosts`` (name -> {count, host}), validated."""
    data, where = _read(source)
    raw = data.get("kms_hosts") if isinstance(data, Mapping) else None
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{where}: 'kms_hosts' must map KMS host names to {{count, host}}")
    found = []
    for name, item in raw.items():
        check = _Checker(f"kms_hosts.{name}")
        if not isinstance(item, Mapping):
            raise check.fail("kms_hosts", f"must be a mapping with count and host, got {item!r}")
        check.unknown(item, _KMS_HOST_FIELDS)
        count = check.integer(item, "count", "count", low=0)
        found.append(KmsHostSpec(str(name).lower().rstrip("."), count or 0, check.string(item, "host", "host")))
    return found


def load_specs(source: str | os.PathLike[str] | Mapping[str, Any]) -> list[HostSpec]:
    """Read a scenario (YAML path or dict) into validated host specs, in file order."""
    data, where = _read(source)
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: a scenario must be a mapping with a 'hosts' list")
    extra = sorted(set(data) - _SCENARIO_FIELDS)
    if extra:
        raise ScenarioError(
            f"{where}: unknown top-level field {extra[0]!r} (allowed: {', '.join(sorted(_SCENARIO_FIELDS))})"
        )
    defaults = data.get("defaults") or {}
    hosts = data.get("hosts")
    if not isinstance(defaults, Mapping):
        raise ScenarioError(f"{where}: 'defaults' must be a mapping")
    if not isinstance(hosts, list) or not hosts:
        raise ScenarioError(f"{where}: 'hosts' must be a non-empty list")
    specs: list[HostSpec] = []
    seen: set[str] = set()
    for host in hosts:
        if not isinstance(host, Mapping):
            raise ScenarioError(f"{where}: every entry of 'hosts' must be a mapping, got {host!r}")
        spec = parse_host(_merge(defaults, host))
        if spec.name in seen:
            raise ScenarioError(f"{where}: host {spec.name!r}: field 'name': duplicate host name")
        seen.add(spec.name)
        specs.append(spec)
    return specs
