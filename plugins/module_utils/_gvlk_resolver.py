# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The resolver: from what a host reports (EditionID, SKU, caption, build) to its row of the key table.

Never guess: a wrong key is worse than no key. The rules are listed in ``gvlk_catalog``'s docstring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ansible_collections.volume_activation.kms.plugins.module_utils._gvlk_table import (
    ENTRIES,
    NO_KEY_EDITIONS,
    Entry,
    NoKeyEdition,
)

# Server Core EditionIDs (as DISM names them) and SKUs resolved as the edition without the suffix,
# from the first build on which the catalog knows that.
_CORE_ALIASES: dict[str, tuple[str, int]] = {
    "ServerStandardCor": ("ServerStandard", 14393),
    "ServerDatacenterCor": ("ServerDatacenter", 14393),
    "ServerTurbineCor": ("ServerTurbine", 20348),
}
_CORE_SKUS: dict[int, str] = {148: "ServerStandardCor", 147: "ServerDatacenterCor", 408: "ServerTurbineCor"}


_KEYED_IDS = frozenset(i for e in ENTRIES for i in e.edition_ids)
_KEYED_SKUS = frozenset(s for e in ENTRIES for s in e.os_skus)
# Compiled once at import, which the controller does before it forks the workers that resolve each host.
_BUILD_NUMBER = re.compile(r"\d{1,6}")
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:\.\d+)?")
_TRADEMARKS = re.compile(r"®|™|\(R\)|\(TM\)", re.IGNORECASE)
_VENDOR = re.compile(r"^Microsoft ", re.IGNORECASE)
_SERVER_EVALUATION = re.compile(r"(windows server) \d{4}(?: r2)? (standard|datacenter) evaluation")
_ID_SPELLING = {
    i.casefold(): i for i in (*_KEYED_IDS, *(i for n in NO_KEY_EDITIONS for i in n.edition_ids), *_CORE_ALIASES)
}


# --------------------------------------------------------------------------------------------- errors


class CatalogError(Exception):
    """The catalog has no key to offer for what the host reported."""

    def __init__(self, message: str, reported: Mapping[str, object]) -> None:
        super().__init__(message)
        self.message = message
        self.reported = reported


class UnknownEdition(CatalogError):
    """The edition (or its build) could not be identified with certainty."""


class UnsupportedEdition(CatalogError):
    """A known edition for which Microsoft publishes no KMS client setup key.

    ``reason_code`` is ``evaluation``, ``no_volume_key`` or ``not_published``; evaluation editions
    that can be converted carry ``target_edition_id`` and, when the build is known, ``target_gvlk``.
    """

    def __init__(
        self,
        message: str,
        reported: Mapping[str, object],
        edition: NoKeyEdition,
        target_edition_id: str | None,
        target_gvlk: str | None,
    ) -> None:
        super().__init__(message, reported)
        self.edition = edition
        self.reason_code = edition.reason_code
        self.target_edition_id = target_edition_id
        self.target_gvlk = target_gvlk


@dataclass(frozen=True)
class Resolution:
    """The key for one host, with what the catalog knows of its edition."""

    gvlk: str
    edition_id: str
    edition: str
    family: str
    build: int
    entry: Entry


# --------------------------------------------------------------------------------------------- lookups


def entries_for_key(key: str) -> tuple[Entry, ...]:
    """Every entry (edition row) that carries this key."""
    wanted = key.strip().upper()
    return tuple(e for e in ENTRIES if e.gvlk == wanted)


def _select(edition_id: str, build: int) -> Entry | NoKeyEdition | None:
    """The entry or no-key edition for a canonical EditionID at a build, or None."""
    if edition_id in _CORE_ALIASES:
        base, first_build = _CORE_ALIASES[edition_id]
        return _select(base, build) if build >= first_build else None
    keyed = [e for e in ENTRIES if edition_id in e.edition_ids]
    listed = [e for e in keyed if e.lists_build(build)]
    if listed:
        return listed[0]
    for n in NO_KEY_EDITIONS:
        if edition_id in n.edition_ids and (edition_id not in _KEYED_IDS or n.covers_build(build)):
            return n
    open_ended = [e for e in keyed if e.any_build_from is not None and build >= e.any_build_from]
    return max(open_ended, key=lambda e: e.any_build_from or 0) if open_ended else None


def _no_key_only(edition_id: str) -> NoKeyEdition | None:
    """The no-key edition of an EditionID that has no key at any build."""
    if edition_id in _KEYED_IDS or edition_id in _CORE_ALIASES:
        return None
    return next((n for n in NO_KEY_EDITIONS if edition_id in n.edition_ids), None)


def _edition_id_for_sku(os_sku: int, build: int | None) -> tuple[str | None, NoKeyEdition | None]:
    """The EditionID an SKU stands for at a build, or the no-key edition an SKU always is."""
    if os_sku not in _KEYED_SKUS and os_sku not in _CORE_SKUS:
        return None, next((n for n in NO_KEY_EDITIONS if os_sku in n.os_skus), None)
    if build is None:
        return None, None
    if os_sku in _CORE_SKUS:
        return _CORE_SKUS[os_sku], None
    ids = {e.edition_id_for_sku(os_sku) for e in ENTRIES if os_sku in e.os_skus and e.covers_build(build)}
    ids |= {
        n.edition_ids[n.os_skus.index(os_sku)]
        for n in NO_KEY_EDITIONS
        if os_sku in n.os_skus and n.covers_build(build) and len(n.edition_ids) == len(n.os_skus)
    }
    return (ids.pop(), None) if len(ids) == 1 else (None, None)


_NT_VERSIONS: dict[tuple[int, int], tuple[int, int]] = {
    (6, 0): (6000, 6003),
    (6, 1): (7600, 7601),
    (6, 2): (9200, 9200),
    (6, 3): (9600, 9600),
    (10, 0): (10240, 10**6),
}


def parse_build(value: object) -> int | None:
    """The build number of an int, a numeric string, or a version string "10.0.17763[.1234]".

    Raises ValueError for anything else, including a version whose NT version does not match the
    build (e.g. "6.1.9600"). None and "" mean "not reported".
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"build {value!r} is not a build number")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"build {value!r} is not a build number")
        return value
    if not isinstance(value, str):
        raise ValueError(f"build {value!r} is not a build number or a version string like '10.0.17763'")
    text = value.strip()
    if _BUILD_NUMBER.fullmatch(text):
        return parse_build(int(text))
    match = _VERSION.fullmatch(text)
    if not match:
        raise ValueError(f"build {value!r} is not a build number or a version string like '10.0.17763'")
    major, minor, build = (int(g) for g in match.groups())
    low, high = _NT_VERSIONS.get((major, minor), (1, 0))
    if not low <= build <= high:
        raise ValueError(f"version {value!r}: build {build} does not belong to Windows NT {major}.{minor}")
    return build


def _parse_sku(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"OperatingSystemSKU {value!r} is not a number")
    return value or None  # 0 is PRODUCT_UNDEFINED: nothing reported


# --------------------------------------------------------------------------------------------- captions


def _normalize_caption(caption: str) -> str:
    text = _TRADEMARKS.sub(" ", caption)
    text = " ".join(text.split())
    text = _VENDOR.sub("", text)
    return text.casefold()


def _without_year(name: str) -> str | None:
    """ "Windows Server 2022 Datacenter" -> "windows server datacenter" (None for other names)."""
    match = re.fullmatch(r"Windows Server \d{4}(?: R2)? (.+)", name)
    return f"windows server {match.group(1).casefold()}" if match else None


def _caption_index() -> dict[str, list[Entry | NoKeyEdition]]:
    index: dict[str, list[Entry | NoKeyEdition]] = {}
    items: tuple[Entry | NoKeyEdition, ...] = (*ENTRIES, *NO_KEY_EDITIONS)
    for item in items:
        for name in item.names:
            for form in dict.fromkeys((name.casefold(), _without_year(name))):
                if form is not None:
                    index.setdefault(form, []).append(item)
    return index


_CAPTIONS = _caption_index()


def _by_caption(caption: str, build: int | None) -> tuple[Entry | NoKeyEdition | None, str | None, str]:
    """(match, edition ID, why not) for an English caption equal to a catalog edition name."""
    text = _normalize_caption(caption)
    evaluation = _SERVER_EVALUATION.fullmatch(text)
    if evaluation:
        text = f"{evaluation.group(1)} {evaluation.group(2)} evaluation"
    candidates = _CAPTIONS.get(text, [])
    if not candidates:
        return (
            None,
            None,
            (
                f"caption {caption!r} is not an English edition name the catalog knows"
                " (captions are localized; report EditionID and build)"
            ),
        )
    no_key = [
        c
        for c in candidates
        if isinstance(c, NoKeyEdition) and (not (set(c.edition_ids) & _KEYED_IDS) or c.covers_build(build))
    ]
    keyed = [c for c in candidates if isinstance(c, Entry)]
    if build is None:
        builds = {b for c in keyed for b in c.builds}
        if len(builds) != 1 or no_key:
            return None, None, f"caption {caption!r} needs the build to decide"
        build = builds.pop()
    fitting = [c for c in keyed if c.covers_build(build)]
    outcomes: set[tuple[Entry | NoKeyEdition | None, str | None]] = {
        (_select(c.edition_ids[0], build), c.edition_ids[0]) for c in fitting
    }
    outcomes |= {(n, n.edition_ids[0] if n.edition_ids else None) for n in no_key}
    if len({outcome[0] for outcome in outcomes}) == 1:
        match, edition_id = outcomes.pop()
        if match is not None:
            return match, edition_id, ""
    if not outcomes:
        return None, None, f"caption {caption!r} names no edition the catalog knows at build {build}"
    return None, None, f"caption {caption!r} is ambiguous at build {build}"


# --------------------------------------------------------------------------------------------- resolve


def _describe(reported: Mapping[str, object]) -> str:
    labels = {
        "edition_id": "EditionID",
        "build": "build",
        "os_sku": "OperatingSystemSKU",
        "caption": "caption",
        "installation_type": "InstallationType",
    }
    parts = [f"{labels[k]} {v!r}" for k, v in reported.items() if v is not None and v != ""]
    return ", ".join(parts) if parts else "nothing"


# PRODUCT_DATACENTER_EVALUATION_SERVER_CORE (0x9F) and PRODUCT_STANDARD_EVALUATION_SERVER_CORE (0xA0), winnt.h.
CORE_EVALUATION_SKUS = (159, 160)


def is_server_core(edition_id: object, installation_type: object, os_sku: object) -> bool:
    """Whether a host runs Server Core: an EditionID with DISM's ``Cor`` suffix, registry InstallationType
    ``Server Core``, or a Server Core evaluation SKU. Recent Server Core installations report the Desktop
    Experience SKU, and the registry EditionID need not carry the suffix, so any of the three decides."""
    return (
        (isinstance(edition_id, str) and edition_id.endswith("Cor"))
        or (isinstance(installation_type, str) and installation_type.strip().lower() == "server core")
        or str(os_sku).strip() in {str(sku) for sku in CORE_EVALUATION_SKUS}
    )


def _unsupported(
    edition: NoKeyEdition, edition_id: str | None, build: int | None, reported: Mapping[str, object]
) -> UnsupportedEdition:
    target_id = edition.target_edition_id
    if target_id and is_server_core(edition_id, reported.get("installation_type"), reported.get("os_sku")):
        # "If you install the Standard Core evaluation version, you can convert it only to retail Datacenter Core"
        # (Microsoft, "Upgrade and conversion options for Windows Server"); Datacenter Core evaluation likewise.
        target_id = "ServerDatacenterCor"
    target_gvlk = None
    if target_id and build is not None:
        target = _select(target_id, build)
        target_gvlk = target.gvlk if isinstance(target, Entry) else None
    reason = edition.reason.format(
        target=target_id or "<edition>", key=target_gvlk or "<KMS client setup key of the target edition>"
    )
    message = (
        f"no KMS client setup key for {edition.name} ({edition.family}); the host reported "
        f"{_describe(reported)}: {reason}"
    )
    return UnsupportedEdition(message, reported, edition, target_id, target_gvlk)


def resolve(
    *,
    edition_id: str | None = None,
    build: int | str | None = None,
    os_sku: int | str | None = None,
    caption: str | None = None,
    installation_type: str | None = None,
) -> Resolution:
    """The GVLK for a host, from its EditionID/LicenseFamily, build, SKU and English caption.

    Raises UnsupportedEdition for a known edition without a published key and UnknownEdition when
    the edition or its build cannot be identified with certainty. Both subclass CatalogError and
    name every value the host reported.
    """
    reported = {
        "edition_id": edition_id,
        "build": build,
        "os_sku": os_sku,
        "caption": caption,
        "installation_type": installation_type,
    }

    def unknown(why: str) -> UnknownEdition:
        return UnknownEdition(f"cannot identify the edition from {_describe(reported)}: {why}", reported)

    try:
        number = parse_build(build)
        sku = _parse_sku(os_sku)
    except ValueError as exc:
        raise unknown(str(exc)) from None
    reported_id = edition_id.strip() if isinstance(edition_id, str) and edition_id.strip() else None
    canonical = _ID_SPELLING.get(reported_id.casefold()) if reported_id else None
    text = caption.strip() if isinstance(caption, str) and caption.strip() else None
    if reported_id is None and sku is None and text is None:
        raise unknown("no EditionID, OperatingSystemSKU or caption")

    # Each source on its own: (match, edition ID) or a reason it cannot decide.
    decided: list[tuple[str, Entry | NoKeyEdition, str | None]] = []
    why_not: list[str] = []
    if reported_id is not None:
        if canonical is None:
            why_not.append(f"EditionID {reported_id!r} is not in the catalog")
        elif (no_key := _no_key_only(canonical)) is not None:
            decided.append(("EditionID", no_key, canonical))
        elif number is None:
            why_not.append(f"EditionID {canonical!r} needs the build to decide")
        else:
            match = _select(canonical, number)
            if match is None:
                builds = sorted({b for e in ENTRIES if canonical in e.edition_ids for b in e.builds})
                raise unknown(
                    f"build {number} is not a build the catalog knows for EditionID {canonical!r}"
                    + (f" (known builds: {', '.join(map(str, builds))})" if builds else "")
                )
            decided.append(("EditionID", match, canonical))
    if sku is not None:
        sku_id, sku_no_key = _edition_id_for_sku(sku, number)
        if sku_no_key is not None:
            decided.append(("OperatingSystemSKU", sku_no_key, None))
        elif sku_id is not None and number is not None and (match := _select(sku_id, number)) is not None:
            decided.append(("OperatingSystemSKU", match, sku_id))
        else:
            why_not.append(
                f"OperatingSystemSKU {sku} is not one the catalog knows"
                + (f" at build {number}" if number is not None else " without the build")
            )
    if text is not None:
        match, caption_id, why = _by_caption(text, number)
        if match is None:
            why_not.append(why)
        else:
            decided.append(("caption", match, caption_id))

    if reported_id is not None and canonical is None and not any(isinstance(d[1], NoKeyEdition) for d in decided):
        raise unknown(f"EditionID {reported_id!r} is not in the catalog")
    if not decided:
        raise unknown("; ".join(why_not))
    source, match, found_id = decided[0]
    for other_source, other, _other_id in decided[1:]:
        if other != match:
            raise unknown(f"{source} points at {match.name} but {other_source} points at {other.name}")
    if canonical is not None and source != "EditionID" and isinstance(match, Entry):
        base = _CORE_ALIASES.get(canonical, (canonical, 0))[0]
        if base not in match.edition_ids:
            raise unknown(f"EditionID {canonical!r} does not match {match.name}, which {source} points at")
    if isinstance(match, NoKeyEdition):
        raise _unsupported(match, canonical or found_id, number, reported)
    # Without a build only a caption naming a single-build edition decides a key.
    return Resolution(
        gvlk=match.gvlk,
        edition_id=canonical or found_id or match.edition_ids[0],
        edition=match.name,
        family=match.family,
        build=number if number is not None else match.builds[0],
        entry=match,
    )


def key_fits(key: str, *, edition_id: str, build: int | str) -> bool:
    """True when the catalog resolves this EditionID and build to this key."""
    try:
        return resolve(edition_id=edition_id, build=build).gvlk == key.strip().upper()
    except CatalogError:
        return False
