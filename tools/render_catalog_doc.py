"""Write docs/catalog.md from plugins/module_utils/gvlk_catalog.py.

Usage (from the repository root): .venv/bin/python tools/render_catalog_doc.py
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "catalog.md"
COMMAND = ".venv/bin/python tools/render_catalog_doc.py"

REASONS = {
    "evaluation": "evaluation edition",
    "no_volume_key": "no volume license key",
    "not_published": "no key published",
}


def load_catalog():
    """The catalog module, imported through the checkout's collection path (``make collection``)."""
    sys.path.insert(0, str(ROOT / ".collections"))
    return importlib.import_module("ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _builds(builds: tuple[int, ...], any_build_from: int | None) -> str:
    listed = ", ".join(str(b) for b in builds)
    if any_build_from is None:
        return listed or "any"
    return f"{listed} and every later build" if listed else f"{any_build_from} and later"


def render(catalog) -> str:
    """The Markdown text of docs/catalog.md."""
    lines = [
        "# KMS client setup keys (GVLKs) in the catalog",
        "",
        f"Generated from `plugins/module_utils/gvlk_catalog.py` by `{COMMAND}`; do not edit by hand.",
        "",
        'Keys are the ones Microsoft publishes on "Key Management Services (KMS) client activation and product keys".',
        "The edition is matched by EditionID (= `SoftwareLicensingProduct.LicenseFamily`) and build, then by",
        "`OperatingSystemSKU` and build, then by an English caption. Windows 10/11 client editions share their key",
        "across every build from 10240 on; every other edition needs one of its listed builds. Server Core",
        "(`ServerStandardCor`, `ServerDatacenterCor`, `ServerTurbineCor`, SKUs 148, 147, 408) takes the key of the",
        "same edition with Desktop Experience on 2016 and later.",
        "",
        f"{len(catalog.ENTRIES)} editions, {len({e.gvlk for e in catalog.ENTRIES})} distinct keys.",
        "",
        "| Family | Edition | EditionID | SKU | Builds | KMS client setup key |",
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for entry in catalog.ENTRIES:
        name = " / ".join(entry.names)
        if entry.note:
            notes.append(f"- {name}: {entry.note}.")
            name += " ¹"
        lines.append(
            f"| {_cell(entry.family)} | {_cell(name)} | {', '.join(entry.edition_ids)} | "
            f"{', '.join(map(str, entry.os_skus))} | {_builds(entry.builds, entry.any_build_from)} | `{entry.gvlk}` |"
        )
    if notes:
        lines += [
            "",
            "¹ Filed under Windows 8 although Microsoft's page lists it under Windows Server 2012 (EditionID",
            "`Core*` at build 9200 is Windows 8, never a server):",
            "",
            *notes,
        ]
    lines += [
        "",
        "## Editions with no published key",
        "",
        "A host reporting one of these gets no key: the module reports it, the `gvlk` filter fails with the reason.",
        "",
        "| Family | Edition | EditionID | SKU | Builds | Why | What to do |",
        "|---|---|---|---|---|---|---|",
    ]
    for edition in catalog.NO_KEY_EDITIONS:
        reason = edition.reason.format(
            target=edition.target_edition_id or "<edition>", key="<key of the target edition>"
        )
        lines.append(
            f"| {_cell(edition.family)} | {_cell(' / '.join(edition.names))} | "
            f"{', '.join(edition.edition_ids) or 'not verified'} | {', '.join(map(str, edition.os_skus))} | "
            f"{_builds(edition.builds, edition.any_build_from)} | {REASONS[edition.reason_code]} | {_cell(reason)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    OUTPUT.write_text(render(load_catalog()), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
