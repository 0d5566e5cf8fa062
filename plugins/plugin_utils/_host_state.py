# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the worker's ``probe`` JSON (docs/worker_contract.md) into a typed host state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils import _key_type

WINDOWS_APPLICATION_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"
DEFAULT_KMS_PORT = 1688

LICENSE_STATUS_NAMES = (
    "unlicensed",
    "licensed",
    "oob_grace",
    "oot_grace",
    "non_genuine_grace",
    "notification",
    "extended_grace",
)


class ProbeError(ValueError):
    """The probe JSON does not have the shape the contract defines."""


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
        """The port a KMS client uses: the configured one, else 1688."""
        return self.port or DEFAULT_KMS_PORT

    def as_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "port": self.port,
            "lookup_domain": self.lookup_domain,
            "discovered_machine": self.discovered_machine,
            "discovered_port": self.discovered_port,
        }


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
    # Requested properties the licensing classes lack on this Windows (probe missing_properties), per section.
    missing_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)

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


def _as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _section(probe: dict[str, Any], name: str) -> dict[str, Any]:
    value = probe.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProbeError(f"probe.{name} is {type(value).__name__}, expected an object")
    return value


def select_primary(products: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The Windows product that holds a key and is not an add-on (first one, as slmgr takes it)."""
    for product in products:
        if not isinstance(product, dict):
            continue
        app_id = str(product.get("ApplicationID") or "").strip("{}").lower()
        if app_id != WINDOWS_APPLICATION_ID:
            continue
        if not product.get("PartialProductKey"):
            continue
        if product.get("LicenseIsAddon"):
            continue
        return product
    return None


def parse_probe(probe: Any) -> HostState:
    """Build a HostState from the ``probe`` object the worker returns."""
    if not isinstance(probe, dict):
        raise ProbeError(f"the worker returned no probe object (got {type(probe).__name__})")
    os_info = _section(probe, "os")
    registry = _section(probe, "registry")
    service = _section(probe, "service")
    products = probe.get("products")
    products = [] if products is None else products
    if not isinstance(products, list):
        raise ProbeError(f"probe.products is {type(products).__name__}, expected a list")

    raw = select_primary(products)
    product = None
    if raw is not None:
        product = Product(
            id=_as_str(raw.get("ID")),
            name=_as_str(raw.get("Name")),
            description=_as_str(raw.get("Description")),
            license_family=_as_str(raw.get("LicenseFamily")),
            partial_product_key=_as_str(raw.get("PartialProductKey")),
            channel=_as_str(raw.get("ProductKeyChannel")),
            license_status=_as_int(raw.get("LicenseStatus")),
            license_status_reason=_as_int(raw.get("LicenseStatusReason")),
            grace_period_remaining=_as_int(raw.get("GracePeriodRemaining")),
            kms_machine=_as_str(raw.get("KeyManagementServiceMachine")),
            kms_port=_as_int(raw.get("KeyManagementServicePort")) or None,
        )
    kms = KmsSettings(
        machine=_as_str(service.get("KeyManagementServiceMachine")),
        port=_as_int(service.get("KeyManagementServicePort")) or None,
        lookup_domain=_as_str(service.get("KeyManagementServiceLookupDomain")),
        discovered_machine=_as_str(service.get("DiscoveredKeyManagementServiceMachineName")),
        discovered_port=_as_int(service.get("DiscoveredKeyManagementServiceMachinePort")) or None,
        product_machine=product.kms_machine if product else None,
        product_port=product.kms_port if product else None,
    )
    build = _as_int(registry.get("CurrentBuild")) or _as_int(os_info.get("BuildNumber"))
    return HostState(
        caption=_as_str(os_info.get("Caption")),
        build=build,
        os_sku=_as_int(os_info.get("OperatingSystemSKU")),
        product_type=_as_int(os_info.get("ProductType")),
        edition_id=_as_str(registry.get("EditionID")),
        product_name=_as_str(registry.get("ProductName")),
        installation_type=_as_str(registry.get("InstallationType")),
        ubr=_as_int(registry.get("UBR")),
        display_version=_as_str(registry.get("DisplayVersion")),
        kms=kms,
        product=product,
        key_type=_key_type.classify(
            product.description if product else None, product.channel if product else None, product is not None
        ),
        channel_key_type=_key_type.from_channel(product.channel) if product else None,
        missing_properties=_missing(probe.get("missing_properties")),
    )


def _missing(value: Any) -> dict[str, tuple[str, ...]]:
    """The probe's ``missing_properties``: section -> property names (anything malformed counts as none)."""
    if not isinstance(value, dict):
        return {}
    return {
        section: tuple(str(name)[:100] for name in names[:50])
        for section, names in value.items()
        if section in ("service", "products") and isinstance(names, list)
    }
