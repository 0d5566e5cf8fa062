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
    RECONFIGURED = "reconfigured"
    WOULD_CONVERT = "would_convert"
    WOULD_RECONFIGURE = "would_reconfigure"
    ACTIVATION_FAILED = "activation_failed"
    ACTIVATION_PENDING = "activation_pending"
    KMS_UNREACHABLE = "kms_unreachable"
    ACTIVATION_TYPE_RESTRICTED = "activation_type_restricted"
    KMS_COUNT_SHORT = "kms_count_short"
    REBOOT_PENDING = "reboot_pending"
    FAILED = "failed"
    UNSUPPORTED_EDITION = ("unsupported_edition", "module", True)
    EVALUATION_EDITION = ("evaluation_edition", "module", True)
    IS_KMS_HOST = ("is_kms_host", "module", True)
    UNKNOWN_EDITION = ("unknown_edition", "module", True)
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"
    UNREACHABLE = ("unreachable", "report")
    NOT_RUN = ("not_run", "report")

    def __str__(self) -> str:
        return self.value


MODULE_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s.scope == "module")
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
REFUSALS: tuple[str, ...] = tuple(s.value for s in Status if s.refusal)


# Through the role volume_activation.kms.kms_client (and the playbook convert_to_kms) every option of the module
# kms_client_key is the role variable of this prefix.
ROLE_PREFIX = "kms_client_"


def setting(option: str, value: str | None = None) -> str:
    """An option as the guide names it for both audiences: the role variable in full, then the module's option."""
    given = "" if value is None else f": {value}"
    return f"{ROLE_PREFIX}{option}{given} (module option {option})"


@dataclass(frozen=True)
class StatusGuide:
    """What a status means and what to do about a host that has it (the report's legend and table)."""

    meaning: str
    todo: str
    attention: bool = True  # the host needs someone: a run as it stands will not make it a KMS client


STATUS_GUIDE: dict[Status, StatusGuide] = {
    Status.COMPLIANT: StatusGuide(
        "holds the KMS client key (GVLK) of its edition, with the KMS settings asked for, and is activated when "
        "activation is asked for",
        "nothing",
        attention=False,
    ),
    Status.CONVERTED: StatusGuide(
        "the GVLK of its edition was installed (the key changed) and the host was read back as planned",
        "nothing",
        attention=False,
    ),
    Status.RECONFIGURED: StatusGuide(
        "the host already held its GVLK (the key did not change); only its KMS settings or its activation changed",
        "nothing",
        attention=False,
    ),
    Status.WOULD_CONVERT: StatusGuide(
        "check mode: the host holds another key (Retail, OEM, MAK, AVMA, none, or the GVLK of another edition) "
        "and would get the GVLK of its edition",
        "run without --check to convert it",
        attention=False,
    ),
    Status.WOULD_RECONFIGURE: StatusGuide(
        "check mode: the host holds its GVLK; only its KMS settings or its activation would change",
        "run without --check",
        attention=False,
    ),
    Status.ACTIVATION_FAILED: StatusGuide(
        "the host holds its GVLK but is not activated; the message names the HRESULT and its cause",
        "fix the cause the message names (often the KMS host or its port), then run again: the key is kept",
    ),
    Status.ACTIVATION_PENDING: StatusGuide(
        "the host holds its GVLK; its KMS host's count is below the threshold its edition needs (0xC004F038), and "
        "the host retries every two hours until the count is reached",
        "nothing on this host: it activates once the KMS host counts enough distinct machines (5 for servers, 25 "
        "for client editions)",
    ),
    Status.KMS_UNREACHABLE: StatusGuide(
        "a licensed host kept its key because no route will activate it: the KMS host did not answer from it, "
        "and it has no Active Directory activation object",
        "open the route to the KMS host (DNS _vlmcs._tcp, TCP 1688) or publish an activation object in its forest, "
        f"and run again, or set {setting('on_kms_unreachable', 'convert')}",
    ),
    Status.ACTIVATION_TYPE_RESTRICTED: StatusGuide(
        "a licensed host kept its key because its activation type setting (slmgr /act-type) rules out every route "
        "that would activate it",
        f"run 'slmgr /act-type 0' on the host, or set {setting('on_activation_type', 'clear')} to clear the setting in "
        "the run",
    ),
    Status.KMS_COUNT_SHORT: StatusGuide(
        "a licensed host kept its key because the count given for its KMS host, "
        f"{setting('kms_count')}, cannot reach the threshold its edition needs in this run (5 for servers, 25 for "
        "client editions)",
        "activate enough other hosts against the KMS host first, or use Active Directory-based activation, then run "
        "again",
    ),
    Status.REBOOT_PENDING: StatusGuide(
        "the evaluation edition was changed (DISM /Set-Edition) and the host restarted, but it did not come back "
        f"within {setting('reboot_timeout')}; the new edition takes effect when it starts",
        "check the host's console; once it answers over WinRM, run again to finish the conversion (KMS settings, "
        "activation)",
    ),
    Status.FAILED: StatusGuide(
        "the task failed (invalid options, a worker or WMI error, or a state read back that differs from the plan)",
        "read the message: it says what the host holds now; fix the cause and run again",
    ),
    Status.UNSUPPORTED_EDITION: StatusGuide(
        "Microsoft publishes no KMS client key for this edition (Home, SE, Server 23H2, multi-session...)",
        f"upgrade the edition, or give a volume key with {setting('gvlk_overrides')} if you have one",
    ),
    Status.EVALUATION_EDITION: StatusGuide(
        f"an evaluation edition: it accepts no GVLK, and {setting('convert_evaluation')} is off or it cannot be "
        "converted in place (a domain controller, no target edition offered, a Desktop Experience/Server Core "
        "switch, Datacenter to Standard)",
        f"follow the path the message names: {setting('convert_evaluation', 'true')} when it is off and the edition "
        "can change in place, the DISM command, or a reinstall",
    ),
    Status.IS_KMS_HOST: StatusGuide(
        "the host is a KMS host (CSVLK key or KMS host service); it is never converted",
        "leave it out of the target group",
    ),
    Status.UNKNOWN_EDITION: StatusGuide(
        "the catalog cannot identify the edition and build the host reports",
        f"check the values the message names; give the key with {setting('gvlk_overrides')} 'EditionID@build' if you "
        "know it",
    ),
    Status.SKIPPED: StatusGuide(
        f"left as it is on purpose: its key type is not in {setting('convert_from')}, or "
        f"{setting('on_unsupported', 'skip')} refused it",
        f"widen {setting('convert_from')} if it should be converted, or read the refusal the message names",
    ),
    Status.TIMED_OUT: StatusGuide(
        "the task timeout (kms_client_task_timeout) ended the task; what the host holds now is unknown",
        "check the host (slmgr /dlv) and its WinRM service, then run again",
    ),
    Status.UNREACHABLE: StatusGuide(
        "the WinRM connection to the host failed; nothing was read or changed",
        "check the WinRM listener (winrm quickconfig; 5985/5986, ansible_port), the credentials and transport, "
        "and the firewall; run again",
    ),
    Status.NOT_RUN: StatusGuide(
        "the task did not run on this host (the play stopped before it, or it was not in the run)",
        "run again",
    ),
}
ATTENTION: tuple[str, ...] = tuple(s.value for s in Status if STATUS_GUIDE[s].attention)
# A status text that is not in the vocabulary (a report from another version) needs attention.
OTHER_STATUS_GUIDE = StatusGuide("a status this version does not know", "read the message")


def status_guide(status: str) -> StatusGuide:
    """The guide of a status name, or ``OTHER_STATUS_GUIDE`` for a name outside the vocabulary."""
    try:
        return STATUS_GUIDE[Status(status)]
    except ValueError:
        return OTHER_STATUS_GUIDE


# The TCP port a KMS client uses when none is configured (slmgr's DisplayKMSClientInformation: DefaultPort 1688).
DEFAULT_KMS_PORT = 1688


class ActivationRoute(str, Enum):
    """How a KMS client (a host with a GVLK) gets activated: Active Directory-based activation or a KMS host."""

    ADBA = "adba"
    KMS = "kms"

    def __str__(self) -> str:
        return self.value


ACTIVATION_ROUTES: tuple[str, ...] = tuple(r.value for r in ActivationRoute)
# VLActivationTypeEnabled (slmgr /act-type): 0 (or null) any route, 1 Active Directory only, 2 KMS only, 3 token only.
ACTIVATION_TYPE_ROUTES: dict[int, tuple[ActivationRoute, ...]] = {
    0: (ActivationRoute.ADBA, ActivationRoute.KMS),
    1: (ActivationRoute.ADBA,),
    2: (ActivationRoute.KMS,),
    3: (),
}
ACTIVATION_TYPE_NAMES: dict[int, str] = {0: "any", 1: "Active Directory", 2: "KMS", 3: "token-based"}
# The count a KMS host must reach before it activates a client (Microsoft's "Plan for KMS activation": servers from 5,
# client editions from 25), and how often a client below it retries (VLActivationInterval, 120 minutes by default).
KMS_SERVER_THRESHOLD = 5
KMS_CLIENT_THRESHOLD = 25
KMS_COUNTED_CONTACTS = 50  # a KMS host keeps the 50 most recent distinct machines
KMS_RETRY_MINUTES = 120

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
            describe="install the KMS client key of {edition} (partial key {target_partial}, from {source}) {replacing}",
        ),
        StepDefinition("refresh_license_status", changes_state=False),
        StepDefinition("set_kms_machine", ("machine",), describe="set the KMS host to {machine} (was {machine_was})"),
        StepDefinition("clear_kms_machine", describe="clear the KMS host {kms_machine} (back to DNS discovery)"),
        StepDefinition("set_kms_port", ("port",), describe="set the KMS port to {port} (was {port_was})"),
        StepDefinition("clear_kms_port", describe=f"clear the KMS port {{kms_port}} (back to {DEFAULT_KMS_PORT})"),
        StepDefinition(
            "set_kms_lookup_domain", ("domain",), describe="set the KMS lookup domain to {domain} (was {domain_was})"
        ),
        StepDefinition("clear_kms_lookup_domain", describe="clear the KMS lookup domain {domain_was}"),
        StepDefinition(
            "clear_product_kms_machine",
            describe="clear the product-level KMS host {product_machine_was} (it overrides the service-wide one)",
        ),
        StepDefinition("clear_product_kms_port", describe="clear the product-level KMS port {product_port_was}"),
        StepDefinition(
            "clear_vl_activation_type",
            describe="clear the service-wide activation type setting (slmgr /act-type 0)",
        ),
        StepDefinition(
            "clear_product_vl_activation_type",
            describe="clear the product's activation type setting (slmgr /act-type 0 <Activation ID>)",
        ),
        StepDefinition("activate", describe="activate (license status was {license_status})"),
        StepDefinition(
            "set_edition",
            ("edition", "product_key"),
            describe="change the evaluation edition {edition_was} to {edition} with the KMS client key of {edition} "
            "(partial key {target_partial}), accepting its licence terms (DISM /Set-Edition)",
        ),
        StepDefinition("reboot", describe="restart the host, which completes the edition change"),
    )
}


def changes_state(action: object) -> bool:
    """Whether a step action writes host state (unknown actions do not count)."""
    step = STEPS.get(action) if isinstance(action, str) else None
    return bool(step and step.changes_state)
