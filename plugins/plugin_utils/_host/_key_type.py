# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Classify the installed product key the way slmgr does: substring tests on ``Description``,
with ``ProductKeyChannel`` as the fallback when the description says nothing known."""

from __future__ import annotations

# Order matters: VOLUME_KMSCLIENT before VOLUME_KMS, and the specific channels before the generic ones.
_DESCRIPTION_TESTS: tuple[tuple[str, str], ...] = (
    ("VOLUME_KMSCLIENT", "gvlk"),
    ("VOLUME_KMS", "csvlk"),
    ("TIMEBASED_", "eval"),
    ("VIRTUAL_MACHINE_ACTIVATION", "avma"),
    ("MAK", "mak"),
    ("OEM", "oem"),
    ("RETAIL", "retail"),
)

_CHANNELS: dict[str, str] = {
    "volume:gvlk": "gvlk",
    "volume:mak": "mak",
    "volume:csvlk": "csvlk",
    "retail": "retail",
    "retail:tb:eval": "eval",
    "vt:ia": "avma",
}


def from_description(description: str | None) -> str | None:
    """Key type by slmgr's substring tests on ``Description``; None when none matches."""
    text = (description or "").upper()
    for needle, key_type in _DESCRIPTION_TESTS:
        if needle in text:
            return key_type
    return None


def from_channel(channel: str | None) -> str | None:
    """Key type from ``ProductKeyChannel`` (Windows 8 and later); None when absent or not known."""
    value = (channel or "").strip().lower()
    if not value:
        return None
    if value.startswith("oem:"):
        return "oem"
    return _CHANNELS.get(value)


def classify(description: str | None, channel: str | None, has_product: bool = True) -> str:
    """The key type of the primary product: ``none`` without a product, ``unknown`` when nothing matches."""
    if not has_product:
        return "none"
    return from_description(description) or from_channel(channel) or "unknown"
