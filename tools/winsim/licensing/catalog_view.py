"""What the host's pkeyconfig knows about published KMS client setup keys (GVLKs).

A Windows host accepts a GVLK when the key belongs to its own edition (EditionID) and release
(build). The model takes that knowledge from the project's catalog data (``gvlk_catalog.ENTRIES``),
not from its resolver, so the controller's decisions are checked against the table itself.
"""

from __future__ import annotations

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import (
    ENTRIES,
    Entry,
    entries_for_key,
)


def entry_for(edition_id: str, build: int) -> Entry | None:
    """The published row for this edition and build: one listing the build, else the newest open-ended one."""
    keyed = [e for e in ENTRIES if edition_id in e.edition_ids]
    listed = [e for e in keyed if e.lists_build(build)]
    if listed:
        return listed[0]
    open_ended = [e for e in keyed if e.covers_build(build)]
    return max(open_ended, key=lambda e: e.any_build_from or 0) if open_ended else None


def os_sku(entry: Entry, edition_id: str) -> int:
    """The OperatingSystemSKU of ``edition_id`` in a row that may list several editions (parallel lists)."""
    if len(entry.os_skus) == len(entry.edition_ids):
        return entry.os_skus[entry.edition_ids.index(edition_id)]
    return entry.os_skus[0]


def is_gvlk(key: str) -> bool:
    """True when ``key`` is any published GVLK."""
    return bool(entries_for_key(key))


def accepts(key: str, edition_id: str, build: int) -> bool:
    """True when ``key`` is a GVLK for this edition at this build."""
    return any(edition_id in e.edition_ids and e.covers_build(build) for e in entries_for_key(key))
