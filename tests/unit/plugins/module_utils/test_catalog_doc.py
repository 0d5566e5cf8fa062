"""docs/catalog.md is generated from the catalog and must be up to date."""

from __future__ import annotations

import importlib.util

from unit.utils.reference import ROOT

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog

GENERATOR = ROOT / "tools" / "render_catalog_doc.py"


def _generator():
    spec = importlib.util.spec_from_file_location("render_catalog_doc", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalog_doc_is_up_to_date():
    generator = _generator()
    expected = generator.render(generator.load_catalog())
    actual = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert actual == expected, f"docs/catalog.md is out of date; regenerate it with: {generator.COMMAND}"


def test_catalog_doc_lists_every_key_and_every_edition_without_one():
    text = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert all(f"`{entry.gvlk}`" in text for entry in gvlk_catalog.ENTRIES)
    assert all(edition.name in text for edition in gvlk_catalog.NO_KEY_EDITIONS)
    assert text.count("\n| ") == len(gvlk_catalog.ENTRIES) + len(gvlk_catalog.NO_KEY_EDITIONS) + 2
