"""The catalog's data is the reference table: every keyed row, and nothing else."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from unit.utils.reference import FIXTURE, SHARED_REFERENCE, keyed_rows

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog

# The four keys Microsoft's page prints under "Windows Server 2012" belong to Windows 8 (EditionID Core*,
# build 9200); the catalog files them under Windows 8 and says so in the entry's note.
WINDOWS_8_HOME = {
    "Core": "Windows 8",
    "CoreN": "Windows 8 N",
    "CoreSingleLanguage": "Windows 8 Single Language",
    "CoreCountrySpecific": "Windows 8 China",
}


def _expected(row):
    family, name = row.family, row.edition
    if row.edition_ids[0] in WINDOWS_8_HOME:
        family, name = "Windows 8", WINDOWS_8_HOME[row.edition_ids[0]]
    return (row.gvlk, family, name, row.edition_ids, row.os_skus, row.builds)


def _actual(entry):
    return (entry.gvlk, entry.family, entry.name, entry.edition_ids, entry.os_skus, entry.builds)


@pytest.mark.skipif(not SHARED_REFERENCE.exists(), reason="no ../shared/reference next to the checkout")
def test_fixture_is_the_shared_reference():
    assert FIXTURE.read_bytes() == SHARED_REFERENCE.read_bytes()


def test_counts():
    assert len(keyed_rows()) == 99
    assert len(gvlk_catalog.ENTRIES) == 99
    assert len({e.gvlk for e in gvlk_catalog.ENTRIES}) == len({r.gvlk for r in keyed_rows()}) == 82


def test_catalog_equals_the_reference_rows():
    assert Counter(_actual(e) for e in gvlk_catalog.ENTRIES) == Counter(_expected(r) for r in keyed_rows())


def test_relabelled_windows_8_entries_carry_microsofts_label():
    for row in keyed_rows():
        if row.edition_ids[0] in WINDOWS_8_HOME:
            (entry,) = list(gvlk_catalog.entries_for_key(row.gvlk))
            assert row.edition in entry.note
            assert not any(i.startswith("Server") for i in entry.edition_ids)


def test_every_key_is_well_formed_and_windows_8_keys_pass_the_checksum():
    keys = {e.gvlk for e in gvlk_catalog.ENTRIES}
    assert all(gvlk_catalog.is_valid_product_key(k) for k in keys)
    assert sum("N" in k for k in keys) == 57


def test_client_rule_covers_exactly_the_windows_10_11_shared_keys():
    shared = {
        "Professional",
        "ProfessionalN",
        "ProfessionalWorkstation",
        "ProfessionalWorkstationN",
        "ProfessionalEducation",
        "ProfessionalEducationN",
        "Education",
        "EducationN",
        "Enterprise",
        "EnterpriseN",
        "EnterpriseG",
        "EnterpriseGN",
    }
    open_ended = [e for e in gvlk_catalog.ENTRIES if e.any_build_from is not None]
    assert {i for e in open_ended for i in e.edition_ids} == shared
    assert all(e.any_build_from == min(e.builds) and e.any_build_from >= 10240 for e in open_ended)


def test_no_two_entries_claim_the_same_edition_and_build():
    seen = Counter((i, b) for e in gvlk_catalog.ENTRIES for i in e.edition_ids for b in e.builds)
    assert [k for k, n in seen.items() if n > 1] == []


def test_entries_for_key():
    for row in keyed_rows():
        assert any(e.builds == row.builds for e in gvlk_catalog.entries_for_key(row.gvlk.lower()))
    assert gvlk_catalog.entries_for_key("BCDFG-HJKMP-QRTVW-XY234-6789B") == ()


def test_table_in_the_source_stays_readable():
    source = (FIXTURE.parents[3] / "plugins" / "module_utils" / "_gvlk_table.py").read_text(encoding="utf-8")
    table = source.split('_KEY_TABLE = """', 1)[1].split('"""', 1)[0]
    rows = [line for line in table.strip().splitlines() if not line.startswith("[")]
    assert len(rows) == 99
    assert all(len(line) <= 160 for line in source.splitlines())
    key_column = {re.match(r"\S+\s+", line).end() for line in rows}
    assert len(key_column) == 1, "the EditionID column is not aligned"
