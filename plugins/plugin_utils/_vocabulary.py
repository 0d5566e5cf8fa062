# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's vocabularies, each defined once: host statuses, key types and worker steps.

Every other list (documentation ``choices``, report tables and colours, the planner's tests) is derived
from these definitions; tests tie the documentation and the worker contract to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Status(str, Enum):
    """The status of one host, in the order tables and charts show them.

    ``scope`` says who reports it: the ``module`` (kms_client_key) or only the ``report`` (a host
    without a module result). ``refusal`` marks what the module never touches by design.
    """

    def __new__(cls, value: str, scope: str = "module", refusal: bool = False) -> Status:
        member = str.__new__(cls, value)
        member._value_ = value
        member.scope = scope
        member.refusal = refusal
        return member

    scope: str
    refusal: bool

    COMPLIANT = "compliant"
    CONVERTED = "converted"
    WOULD_CONVERT = "would_convert"
    ACTIVATION_FAILED = "activation_failed"
    KMS_UNREACHABLE = "kms_unreachable"
    FAILED = "failed"
    UNSUPPORTED_EDITION = ("unsupported_edition", "module", True)
    EVALUATION_EDITION = ("evaluation_edition", "module", True)
    IS_KMS_HOST = ("is_kms_host", "module", True)
    UNKNOWN_EDITION = ("unknown_edition", "module", True)
    SKIPPED = "skipped"
    TIMED_OUT = ("timed_out", "report")
    UNREACHABLE = ("unreachable", "report")
    NOT_RUN = ("not_run", "report")

    def __str__(self) -> str:
        return self.value


MODULE_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s.scope == "module")
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
REFUSALS: tuple[str, ...] = tuple(s.value for s in Status if s.refusal)


# SoftwareLicensingProduct.LicenseStatus 0..6, by value (Microsoft's SoftwareLicensingProduct class documentation).
LICENSE_STATUS_NAMES: tuple[str, ...] = (
    "unlicensed",
    "licensed",
    "oob_grace",
    "oot_grace",
    "non_genuine_grace",
    "notification",
    "extended_grace",
)


class KeyType(str, Enum):
    """The kind of product key a Windows product holds (slmgr's channel names, lower case)."""

    GVLK = "gvlk"
    RETAIL = "retail"
    OEM = "oem"
    MAK = "mak"
    CSVLK = "csvlk"
    EVAL = "eval"
    AVMA = "avma"
    NONE = "none"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


KEY_TYPES: tuple[str, ...] = tuple(k.value for k in KeyType)
# Key types convert_from may name: every type but the KMS client key itself, a KMS host key and an evaluation key.
CONVERTIBLE_KEY_TYPES: tuple[str, ...] = tuple(
    k.value for k in KeyType if k not in (KeyType.GVLK, KeyType.CSVLK, KeyType.EVAL)
)


@dataclass(frozen=True)
class StepDefinition:
    """One worker ``apply`` step (docs/worker_contract.md): its arguments, whether it writes host state, and
    how a plan describes it (a ``str.format`` template over the step's arguments and the host's values
    before it ran; empty when the step is not worth a mention)."""

    action: str
    arguments: tuple[str, ...] = ()
    changes_state: bool = True
    describe: str = ""


STEPS: dict[str, StepDefinition] = {
    step.action: step
    for step in (
        StepDefinition(
            "install_product_key",
            ("product_key",),
            describe="install the KMS client key of {edition} (partial key {target_partial}, from {source}) "
            "replacing the {key_type} key{partial_was}",
        ),
        StepDefinition("refresh_license_status", changes_state=False),
        StepDefinition("set_kms_machine", ("machine",), describe="set the KMS host to {machine} (was {machine_was})"),
        StepDefinition("clear_kms_machine", describe="clear the KMS host {kms_machine} (back to DNS discovery)"),
        StepDefinition("set_kms_port", ("port",), describe="set the KMS port to {port} (was {port_was})"),
        StepDefinition("clear_kms_port", describe="clear the KMS port {kms_port} (back to 1688)"),
        StepDefinition(
            "set_kms_lookup_domain", ("domain",), describe="set the KMS lookup domain to {domain} (was {domain_was})"
        ),
        StepDefinition("clear_kms_lookup_domain", describe="clear the KMS lookup domain {domain_was}"),
        StepDefinition(
            "clear_product_kms_machine",
            describe="clear the product-level KMS host {product_machine_was} (it overrides the service-wide one)",
        ),
        StepDefinition("clear_product_kms_port", describe="clear the product-level KMS port {product_port_was}"),
        StepDefinition("activate", describe="activate (license status was {license_status})"),
    )
}


def changes_state(action: object) -> bool:
    """Whether a step action writes host state (unknown actions do not count)."""
    step = STEPS.get(action) if isinstance(action, str) else None
    return bool(step and step.changes_state)
