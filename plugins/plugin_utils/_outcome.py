# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One host's outcome, typed once: :class:`HostOutcome`.

The kms_client_key task result, the ``kms_client`` fact (which kms_client_key returns, and which the role keeps for a
host whose result failed or that was not reached, plugin_utils/_run/_batch.py) and the report row are all derived
from it.
"""

from __future__ import annotations

import datetime
import typing as t
from dataclasses import asdict, dataclass

from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import REFUSALS

# The layout of the kms_client fact; version 2 names the message msg, as the task result does (version 1: message).
FACT_VERSION = 2
PARTIAL_KEY_LENGTH = 5
# When an outcome was recorded (the fact's time, a report row's time, a report's generated): UTC to the second.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"
TIMESTAMP_LENGTH = len("2025-06-25T14:03:07Z")


def utc_timestamp(now: datetime.datetime | None = None) -> str:
    """ISO-8601 UTC to the second, e.g. ``2025-06-25T14:03:07Z``."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc).strftime(TIMESTAMP_FORMAT)


@dataclass(frozen=True)
class Change:
    """A value before the task and after it (as read back, or as check mode predicts it)."""

    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class Edition:
    """The edition as identified (the catalog's ID and name), or as the host reported it."""

    id: str | None = None
    name: str | None = None
    family: str | None = None
    build: int | str | None = None
    caption: str | None = None
    installation_type: str | None = None


@dataclass(frozen=True)
class Kms:
    """The host's KMS client settings: the configured KMS host, port and lookup domain, and the discovered host."""

    machine: str | None = None
    port: int | str | None = None
    lookup_domain: str | None = None
    discovered_machine: str | None = None
    discovered_port: int | str | None = None


@dataclass(frozen=True)
class Override:
    """The gvlk_overrides names the host was given, and the one its edition used."""

    given: tuple[str, ...] = ()
    used: str | None = None


@dataclass(frozen=True)
class Activation:
    """The call of Activate(): whether it was made, its HRESULT and symbol, and what it means."""

    attempted: bool = False
    hresult: str | None = None
    symbol: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class HostOutcome:
    """What one run did to one host, or what a report knows of it."""

    status: str
    msg: str
    failed: bool = False
    changed: bool = False
    edition: Edition | None = None
    gvlk: str | None = None
    key_type: Change = Change()
    partial_product_key: Change = Change()
    license_status: Change = Change()
    kms: Kms | None = None
    gvlk_override: Override = Override()
    activation_route: str | None = None  # adba or kms: the route that activated the host, or will
    client_machine_id: str | None = None  # the ClientMachineID a KMS host counts the host by
    kms_count: int | None = None  # a KMS host's own count of distinct clients
    activation: Activation = Activation()
    edition_change: Change = Change()  # an evaluation edition changed with DISM: the edition before and after
    # GracePeriodRemaining of the primary product as last read, in minutes: the grace period left, or for a KMS
    # client the time its activation stays valid without renewal; 0 for a permanent (MAK, retail, OEM) activation.
    grace_period_remaining: int | None = None
    # The task result's account of the run, which the fact and the report leave out.
    steps: tuple[t.Mapping[str, t.Any], ...] = ()
    kms_route: t.Mapping[str, t.Any] | None = None
    ad_activation: t.Mapping[str, t.Any] | None = None
    skip_reason: str | None = None
    diff: t.Mapping[str, t.Any] | None = None
    unreachable: bool = False

    @property
    def refused(self) -> bool:
        """A status the module refuses by design (a KMS host, an evaluation, unsupported or unknown edition)."""
        return self.status in REFUSALS

    def _described(self, partial: t.Callable[[str | None], str | None] = lambda value: value) -> dict[str, t.Any]:
        """The host as the result and the fact describe it, from ``edition`` to ``gvlk_override``."""
        keys = self.partial_product_key
        return {
            "edition": None if self.edition is None else asdict(self.edition),
            "gvlk": self.gvlk,
            "key_type": asdict(self.key_type),
            "partial_product_key": {"before": partial(keys.before), "after": partial(keys.after)},
            "license_status": asdict(self.license_status),
            "kms": None if self.kms is None else asdict(self.kms),
            "gvlk_override": {"given": list(self.gvlk_override.given), "used": self.gvlk_override.used},
            "activation_route": self.activation_route,
            "client_machine_id": self.client_machine_id,
            "kms_count": self.kms_count,
            "activation": asdict(self.activation),
            "edition_change": asdict(self.edition_change),
            "grace_period_remaining": self.grace_period_remaining,
        }

    def result(self) -> dict[str, t.Any]:
        """The kms_client_key task result: every documented key, always present."""
        result: dict[str, t.Any] = {
            "changed": self.changed,
            "failed": self.failed,
            "msg": self.msg,
            "status": str(self.status),
            "refused": self.refused,
            **self._described(),
            "steps": [dict(step) for step in self.steps],
            "kms_route": None if self.kms_route is None else dict(self.kms_route),
            "ad_activation": None if self.ad_activation is None else dict(self.ad_activation),
        }
        if self.skip_reason:
            result["skip_reason"] = self.skip_reason
        if self.diff is not None:
            result["diff"] = dict(self.diff)
        if self.unreachable:
            result["unreachable"] = True
        return result

    def fact(self, mode: str | None, time: str | None) -> dict[str, t.Any]:
        """``ansible_facts.kms_client``: the outcome as a fact cache keeps it, with the run's ``mode`` (``check``,
        ``apply``, or None when the task failed before it knew) and the ``time`` it was recorded."""
        return {
            "version": FACT_VERSION,
            "time": time,
            "mode": mode,
            "status": str(self.status),
            "changed": self.changed,
            "failed": self.failed,
            "msg": self.msg,
            **self._described(partial=lambda value: None if value is None else str(value)[-PARTIAL_KEY_LENGTH:]),
        }

    def row(self, host: str, time: str | None = None, source: str | None = None) -> dict[str, t.Any]:
        """The report's row of ``host``: when its outcome was recorded and which ``source`` the report read."""
        edition = self.edition or Edition()
        described = self._described()
        return {
            "host": host,
            "status": str(self.status),
            "edition_id": edition.id,
            "edition": edition.name,
            "build": edition.build,
            "key_type": described["key_type"],
            "partial_product_key": described["partial_product_key"],
            "gvlk": self.gvlk,
            "license_status": described["license_status"],
            "kms": described["kms"],
            "gvlk_override": described["gvlk_override"],
            "activation_route": self.activation_route,
            "client_machine_id": self.client_machine_id,
            "kms_count": self.kms_count,
            "activation": described["activation"],
            "edition_change": described["edition_change"],
            "grace_period_remaining": self.grace_period_remaining,
            "changed": self.changed,
            "message": self.msg,
            "time": time,
            "source": source,
        }


def row_as_result(row: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A report row in the shape of a task result, for the report to read it again (the inverse of
    :meth:`HostOutcome.row`)."""
    return {
        "status": row.get("status"),
        "msg": row.get("message"),
        "changed": row.get("changed"),
        "edition": {"id": row.get("edition_id"), "name": row.get("edition"), "build": row.get("build")},
        "gvlk": row.get("gvlk"),
        "key_type": row.get("key_type"),
        "partial_product_key": row.get("partial_product_key"),
        "license_status": row.get("license_status"),
        "kms": row.get("kms"),
        "gvlk_override": row.get("gvlk_override"),
        "activation_route": row.get("activation_route"),
        "client_machine_id": row.get("client_machine_id"),
        "kms_count": row.get("kms_count"),
        "activation": row.get("activation"),
        "edition_change": row.get("edition_change"),
        "grace_period_remaining": row.get("grace_period_remaining"),
        "time": row.get("time"),
    }
