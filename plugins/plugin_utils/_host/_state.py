# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn the worker's ``probe`` JSON (docs/worker_contract.md) into a typed host state."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import KEY_ALPHABET
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _key_type
from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import Kms
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import NAME_LIMIT, TEXT_LIMIT, host_text
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    DEFAULT_KMS_PORT,
    LICENSE_STATUS_NAMES,
    STEPS,
)

WINDOWS_APPLICATION_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"


class ProbeError(ValueError):
    """The probe JSON does not have the shape the contract defines."""


class AmbiguousProbe(ProbeError):
    """The probe is well formed but does not say which Windows product is the primary one."""


def json_type(value: Any) -> str:
    """The JSON type of a value the worker sent (Python's type names differ between ansible-core releases)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def license_status_name(code: int | None) -> str | None:
    """Name of a ``LicenseStatus`` value (0..6); None when there is no product; ``unknown(n)`` otherwise."""
    if code is None:
        return None
    if 0 <= code < len(LICENSE_STATUS_NAMES):
        return LICENSE_STATUS_NAMES[code]
    return f"unknown({code})"


@dataclass(frozen=True)
class KmsSettings:
    """``SoftwareLicensingService`` KMS settings; empty strings and port 0 mean "not configured"."""

    machine: str | None = None
    port: int | None = None
    lookup_domain: str | None = None
    discovered_machine: str | None = None
    discovered_port: int | None = None
    # Set on the primary SoftwareLicensingProduct (slmgr /skms host:port <ActivationID>); they win over the above.
    product_machine: str | None = None
    product_port: int | None = None

    @property
    def effective_port(self) -> int:
        """The port a KMS client uses: the configured one, else the default port."""
        return self.port or DEFAULT_KMS_PORT

    def shown(self) -> Kms:
        """The settings as results show them (the product-level ones only steer the plan)."""
        return Kms(self.machine, self.port, self.lookup_domain, self.discovered_machine, self.discovered_port)


@dataclass(frozen=True)
class Product:
    """The primary Windows ``SoftwareLicensingProduct``."""

    id: str | None
    name: str | None
    description: str | None
    license_family: str | None
    partial_product_key: str | None
    channel: str | None
    license_status: int | None
    license_status_reason: int | None
    grace_period_remaining: int | None
    kms_machine: str | None = None
    kms_port: int | None = None
    activation_type: int | None = None  # VLActivationTypeEnabled: 0 or None any, 1 AD, 2 KMS, 3 token
    activated_by: int | None = None  # VLActivationType of the last activation: 1 AD, 2 KMS, 3 token
    ad_object: str | None = None  # ADActivationObjectName of the last AD activation


@dataclass(frozen=True)
class HostState:
    """What the controller needs from one probe."""

    caption: str | None
    build: int | None
    os_sku: int | None
    product_type: int | None
    edition_id: str | None
    product_name: str | None
    installation_type: str | None
    ubr: int | None
    display_version: str | None
    kms: KmsSettings
    product: Product | None
    key_type: str
    channel_key_type: str | None = field(default=None)
    kms_host_signal: str | None = None  # what SoftwareLicensingService says about a KMS host service, if anything
    addon_keys: tuple[str, ...] = ()  # keyed Windows add-on products, described for messages
    # Requested properties the licensing classes lack on this Windows (probe missing_properties), per section.
    missing_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    domain: str | None = None  # the Active Directory domain the host is a member of (Win32_ComputerSystem)
    domain_role: int | None = None  # Win32_ComputerSystem.DomainRole: 4 and 5 are domain controllers
    machine_id: str | None = None  # SoftwareLicensingService.ClientMachineID: what a KMS host counts it by
    kms_count: int | None = None  # a KMS host's own count of distinct clients (KeyManagementServiceCurrentCount)
    boot_time: str | None = None  # Win32_OperatingSystem.LastBootUpTime (CIM datetime): changes when the host restarts

    @property
    def activation_type(self) -> int:
        """The product's VLActivationTypeEnabled, 0 (any route) when unset."""
        return (self.product.activation_type if self.product else None) or 0

    @property
    def is_server(self) -> bool:
        """ProductType 1 is a workstation; a KMS host activates servers from a lower count than client editions."""
        return self.product_type not in (None, 1)

    @property
    def partial_product_key(self) -> str | None:
        return self.product.partial_product_key if self.product else None

    @property
    def license_status(self) -> int | None:
        return self.product.license_status if self.product else None

    @property
    def license_status_name(self) -> str:
        name = license_status_name(self.license_status)
        return name if name is not None else "unlicensed"

    @property
    def is_licensed(self) -> bool:
        """Licensed (1) or ExtendedGrace (6): slmgr's DisplayActivatedStatus reports both as activated."""
        return self.license_status in (1, 6)

    def lacks(self, section: str, name: str) -> bool:
        """True when the probe reports that this Windows' class has no such property."""
        return name in self.missing_properties.get(section, ())

    @property
    def lookup_edition_id(self) -> str | None:
        """The edition to look up: the primary product's ``LicenseFamily``, else registry ``EditionID``."""
        family = self.product.license_family if self.product else None
        return family or self.edition_id

    @property
    def key_type_disagreement(self) -> bool:
        """True when Description and ProductKeyChannel name different key types."""
        desc = _key_type.from_description(self.product.description) if self.product else None
        return bool(desc and self.channel_key_type and desc != self.channel_key_type)


_UINT32_MAX = 2**32 - 1
_PARTIAL_KEY = re.compile(rf"[{KEY_ALPHABET}N]{{5}}", re.IGNORECASE)


def _as_int(value: Any, where: str, maximum: int = _UINT32_MAX) -> int | None:
    """A whole number in 0..maximum (JSON number or decimal string); None when absent; ProbeError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ProbeError(f"{where} is a boolean, expected a number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ProbeError(f"{where} is {value!r}, expected a whole number")
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.isdecimal() or len(text) > 20:
            raise ProbeError(f"{where} is a string that is not a whole number ({len(value)} characters)")
        value = int(text)
    elif not isinstance(value, int):
        raise ProbeError(f"{where} is {json_type(value)}, expected a number")
    if not 0 <= value <= maximum:
        raise ProbeError(f"{where} is {value}, outside 0..{maximum}")
    return value


def _as_str(value: Any, where: str, limit: int = NAME_LIMIT) -> str | None:
    """Host text through the sanitiser; numbers are taken as their decimal text; None when empty."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProbeError(f"{where} is {json_type(value)}, expected a string")
    text = host_text(str(value).strip(), limit)
    return text or None


def _as_flag(value: Any, where: str) -> bool | None:
    """A WMI boolean: true, false or null (the property does not exist on this Windows)."""
    if value is None or isinstance(value, bool):
        return value
    raise ProbeError(f"{where} is {json_type(value)} {str(value)[:16]!r}, expected true, false or null")


def is_partial_key(value: str) -> bool:
    """Whether ``value`` is a partial product key: exactly five key characters."""
    return bool(_PARTIAL_KEY.fullmatch(value.strip()))


def _partial_key(value: Any, where: str) -> str | None:
    """``PartialProductKey``: absent, or exactly five key characters (the value itself is never echoed)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not is_partial_key(value):
        length = len(value) if isinstance(value, str) else None
        raise ProbeError(
            f"{where} is not five product key characters ({json_type(value)}"
            + (f" of {length} characters)" if length is not None else ")")
        )
    return value.strip().upper()


def _section(probe: dict[str, Any], name: str) -> dict[str, Any]:
    value = probe.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProbeError(f"probe.{name} is {json_type(value)}, expected an object")
    return value


def _is_windows(product: dict[str, Any], where: str) -> bool:
    app_id = product.get("ApplicationID")
    if not isinstance(app_id, str) or not app_id.strip("{} "):
        raise ProbeError(f"{where}.ApplicationID is {'null' if app_id is None else json_type(app_id)}")
    return app_id.strip("{} ").lower() == WINDOWS_APPLICATION_ID


def _primaries(products: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The keyed Windows products that are not add-ons, and the keyed Windows add-ons; ProbeError on bad rows."""
    primaries: list[dict[str, Any]] = []
    addons: list[dict[str, Any]] = []
    for index, product in enumerate(products):
        where = f"probe.products[{index}]"
        if not isinstance(product, dict):
            raise ProbeError(f"{where} is {json_type(product)}, expected an object")
        if not _is_windows(product, where):
            continue
        addon = _as_flag(product.get("LicenseIsAddon"), f"{where}.LicenseIsAddon")
        if not _partial_key(product.get("PartialProductKey"), f"{where}.PartialProductKey"):
            continue
        (addons if addon else primaries).append(product)
    return primaries, addons


def _describe_row(product: dict[str, Any]) -> str:
    description = host_text(str(product.get("Description") or product.get("Name") or "no description"), NAME_LIMIT)
    return f"'{description}' (partial key {str(product.get('PartialProductKey')).strip().upper()})"


def select_primary(products: list[Any]) -> dict[str, Any] | None:
    """The Windows product that holds a key and is not an add-on, as slmgr's primary-SKU test takes it.

    More than one such product is refused (``AmbiguousProbe``) instead of taking the first; a malformed row
    (not an object, null ApplicationID, a LicenseIsAddon that is not a boolean, a partial key that is not five
    key characters) is a ``ProbeError`` naming the field.
    """
    primaries, _addons = _primaries(products)
    if len(primaries) > 1:
        raise AmbiguousProbe(
            f"the host reports {len(primaries)} keyed Windows products that are not add-ons: "
            + " and ".join(_describe_row(p) for p in primaries)
            + "; slmgr treats one as the primary product, so which key to replace is ambiguous. "
            "Look at the host with 'slmgr /dlv all', uninstall the key that does not belong ('slmgr /upk <Activation ID>'), "
            "and run this task again."
        )
    return primaries[0] if primaries else None


def _product(raw: dict[str, Any], where: str) -> Product:
    return Product(
        id=_as_str(raw.get("ID"), f"{where}.ID"),
        name=_as_str(raw.get("Name"), f"{where}.Name"),
        description=_as_str(raw.get("Description"), f"{where}.Description", TEXT_LIMIT),
        license_family=_as_str(raw.get("LicenseFamily"), f"{where}.LicenseFamily"),
        partial_product_key=_partial_key(raw.get("PartialProductKey"), f"{where}.PartialProductKey"),
        channel=_as_str(raw.get("ProductKeyChannel"), f"{where}.ProductKeyChannel"),
        license_status=_as_int(raw.get("LicenseStatus"), f"{where}.LicenseStatus"),
        license_status_reason=_as_int(raw.get("LicenseStatusReason"), f"{where}.LicenseStatusReason"),
        grace_period_remaining=_as_int(raw.get("GracePeriodRemaining"), f"{where}.GracePeriodRemaining"),
        kms_machine=_as_str(raw.get("KeyManagementServiceMachine"), f"{where}.KeyManagementServiceMachine"),
        kms_port=_as_int(raw.get("KeyManagementServicePort"), f"{where}.KeyManagementServicePort") or None,
        activation_type=_as_int(raw.get("VLActivationTypeEnabled"), f"{where}.VLActivationTypeEnabled", 3),
        activated_by=_as_int(raw.get("VLActivationType"), f"{where}.VLActivationType"),
        ad_object=_as_str(raw.get("ADActivationObjectName"), f"{where}.ADActivationObjectName"),
    )


# A CIM datetime: yyyymmddHHMMSS.mmmmmm and the UTC offset in minutes (Win32_OperatingSystem.LastBootUpTime).
_CIM_DATETIME = re.compile(r"\d{14}\.\d{6}[+-]\d{3}")


def _datetime(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CIM_DATETIME.fullmatch(value):
        raise ProbeError(f"{where} is not a CIM datetime ({json_type(value)})")
    return value


_GUID = re.compile(r"\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?", re.IGNORECASE)


def _machine_id(value: Any, where: str) -> str | None:
    """``ClientMachineID``: a GUID (empty on a host without a volume key)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _GUID.fullmatch(value.strip()):
        raise ProbeError(f"{where} is not a GUID ({json_type(value)})")
    return value.strip().strip("{}").lower()


def _kms_count(service: dict[str, Any]) -> int | None:
    """A KMS host's current count (0..50 distinct machines); None when the service reports none (-1)."""
    current = _as_int(service.get("KeyManagementServiceCurrentCount"), "probe.service.KeyManagementServiceCurrentCount")
    return None if current in (None, _UINT32_MAX) else current


def _kms_host_signal(service: dict[str, Any]) -> str | None:
    """What in ``SoftwareLicensingService`` says the host runs the KMS host service, or None.

    ``IsKeyManagementServiceMachine`` is 1 when KMS is enabled on the computer; ``KeyManagementServiceCurrentCount``
    counts the active clients of a KMS host, -1 (read as 4294967295 through the uint32) meaning "not a KMS host
    or no request yet"; ``KeyManagementServiceTotalRequests`` counts the requests a KMS host received (Volume
    Activation Technical Reference, "WMI Properties and Methods"). The flag must be present: without it one of
    the two guards of a KMS host is missing.
    """
    where = "probe.service"
    if "IsKeyManagementServiceMachine" not in service:
        raise ProbeError(f"{where}.IsKeyManagementServiceMachine is missing")
    flag = _as_int(service.get("IsKeyManagementServiceMachine"), f"{where}.IsKeyManagementServiceMachine")
    if flag is None:
        raise ProbeError(f"{where}.IsKeyManagementServiceMachine is null")
    current = service.get("KeyManagementServiceCurrentCount")
    current = None if current == -1 else _as_int(current, f"{where}.KeyManagementServiceCurrentCount")
    total = _as_int(service.get("KeyManagementServiceTotalRequests"), f"{where}.KeyManagementServiceTotalRequests")
    signals = []
    if flag:
        signals.append(f"IsKeyManagementServiceMachine {flag}")
    if current and current != _UINT32_MAX:
        signals.append(f"{current} active KMS clients")
    # A host that is no KMS host reports the request counters as -1 too (4294967295 on a real Windows 10 host).
    if total and total != _UINT32_MAX:
        signals.append(f"{total} KMS requests received")
    return ", ".join(signals) or None


def parse_probe(probe: Any) -> HostState:
    """Build a HostState from the ``probe`` object the worker returns; ProbeError names an unusable field."""
    if not isinstance(probe, dict):
        raise ProbeError(f"the worker returned no probe object (got {json_type(probe)})")
    os_info = _section(probe, "os")
    computer = _section(probe, "computer")
    registry = _section(probe, "registry")
    service = _section(probe, "service")
    products = probe.get("products")
    if not isinstance(products, list):
        shown = "missing" if "products" not in probe else "null" if products is None else json_type(products)
        raise ProbeError(f"probe.products is {shown}, expected a list")

    raw = select_primary(products)
    product = None if raw is None else _product(raw, f"probe.products[{products.index(raw)}]")
    addons = _primaries(products)[1]
    service_where = "probe.service"
    kms = KmsSettings(
        machine=_as_str(service.get("KeyManagementServiceMachine"), f"{service_where}.KeyManagementServiceMachine"),
        port=_as_int(service.get("KeyManagementServicePort"), f"{service_where}.KeyManagementServicePort") or None,
        lookup_domain=_as_str(
            service.get("KeyManagementServiceLookupDomain"), f"{service_where}.KeyManagementServiceLookupDomain"
        ),
        discovered_machine=_as_str(
            service.get("DiscoveredKeyManagementServiceMachineName"),
            f"{service_where}.DiscoveredKeyManagementServiceMachineName",
        ),
        discovered_port=_as_int(
            service.get("DiscoveredKeyManagementServiceMachinePort"),
            f"{service_where}.DiscoveredKeyManagementServiceMachinePort",
        )
        or None,
        product_machine=product.kms_machine if product else None,
        product_port=product.kms_port if product else None,
    )
    kms_host_signal = _kms_host_signal(service)
    build = _as_int(registry.get("CurrentBuild"), "probe.registry.CurrentBuild") or _as_int(
        os_info.get("BuildNumber"), "probe.os.BuildNumber"
    )
    return HostState(
        caption=_as_str(os_info.get("Caption"), "probe.os.Caption", TEXT_LIMIT),
        build=build,
        os_sku=_as_int(os_info.get("OperatingSystemSKU"), "probe.os.OperatingSystemSKU"),
        product_type=_as_int(os_info.get("ProductType"), "probe.os.ProductType"),
        edition_id=_as_str(registry.get("EditionID"), "probe.registry.EditionID"),
        product_name=_as_str(registry.get("ProductName"), "probe.registry.ProductName"),
        installation_type=_as_str(registry.get("InstallationType"), "probe.registry.InstallationType"),
        ubr=_as_int(registry.get("UBR"), "probe.registry.UBR"),
        display_version=_as_str(registry.get("DisplayVersion"), "probe.registry.DisplayVersion"),
        kms=kms,
        product=product,
        key_type=_key_type.classify(
            product.description if product else None, product.channel if product else None, product is not None
        ),
        channel_key_type=_key_type.from_channel(product.channel) if product else None,
        kms_host_signal=kms_host_signal,
        addon_keys=tuple(_describe_row(a) for a in addons),
        missing_properties=_missing(probe.get("missing_properties")),
        domain=(
            _as_str(computer.get("Domain"), "probe.computer.Domain")
            if _as_flag(computer.get("PartOfDomain"), "probe.computer.PartOfDomain")
            else None
        ),
        domain_role=_as_int(computer.get("DomainRole"), "probe.computer.DomainRole", 5),
        machine_id=_machine_id(service.get("ClientMachineID"), "probe.service.ClientMachineID"),
        kms_count=_kms_count(service) if kms_host_signal else None,
        boot_time=_datetime(os_info.get("LastBootUpTime"), "probe.os.LastBootUpTime"),
    )


def parse_step_results(steps: Any, where: str = "apply.steps") -> list[dict[str, Any]]:
    """The apply reply's step results, validated: a list of objects with a known ``action``, an HRESULT and a
    message (sanitised and bounded); None is no result. ProbeError names the first unusable field."""
    if steps is None:
        return []
    if not isinstance(steps, list):
        raise ProbeError(f"{where} is {json_type(steps)}, expected a list")
    results = []
    for index, step in enumerate(steps):
        at = f"{where}[{index}]"
        if not isinstance(step, dict):
            raise ProbeError(f"{at} is {json_type(step)}, expected an object")
        action = step.get("action")
        if not isinstance(action, str) or action not in STEPS:
            shown = host_text(action, NAME_LIMIT) if isinstance(action, str) else json_type(action)
            raise ProbeError(f"{at}.action is {shown!r}, not a step of the contract")
        code = step.get("hresult")
        if isinstance(code, int) and not isinstance(code, bool) and -(2**31) <= code < 0:
            code &= _UINT32_MAX  # a signed HRESULT
        hresult = _as_int(code, f"{at}.hresult")
        message = step.get("message")
        if message is not None and not isinstance(message, str):
            raise ProbeError(f"{at}.message is {json_type(message)}, expected a string")
        result: dict[str, Any] = {"action": action, "hresult": hresult or 0, "message": host_text(message or "")}
        if isinstance(step.get("host"), str):
            result["host"] = host_text(step["host"], NAME_LIMIT)
        results.append(result)
    return results


def _missing(value: Any) -> dict[str, tuple[str, ...]]:
    """The probe's ``missing_properties``: section -> property names (anything malformed counts as none)."""
    if not isinstance(value, dict):
        return {}
    return {
        section: tuple(host_text(str(name), NAME_LIMIT) for name in names[:50])
        for section, names in value.items()
        if section in ("service", "products") and isinstance(names, list)
    }
