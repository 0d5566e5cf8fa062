"""Rows of the reference key table (tests/unit/fixtures/windows_editions_gvlk.csv), for parametrized tests."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "unit" / "fixtures" / "windows_editions_gvlk.csv"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference" / "windows_editions_gvlk.csv"


@dataclass(frozen=True)
class Row:
    """One CSV row; ``line`` is its line number in the file (header = 1)."""

    line: int
    family: str
    edition: str
    gvlk: str
    edition_ids: tuple[str, ...]
    os_skus: tuple[int, ...]
    builds: tuple[int, ...]

    @property
    def test_id(self) -> str:
        return f"L{self.line}-{self.edition}"


@cache
def raw_rows() -> tuple[dict[str, str], ...]:
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


@cache
def keyed_rows() -> tuple[Row, ...]:
    """The rows with a key (their columns are clean: ';'-separated IDs, SKUs and builds)."""
    return tuple(
        Row(
            line=number,
            family=raw["family"],
            edition=raw["edition"],
            gvlk=raw["gvlk"],
            edition_ids=tuple(raw["edition_id"].split(";")),
            os_skus=tuple(int(s) for s in raw["os_sku"].split(";")),
            builds=tuple(sorted(int(b) for b in raw["builds"].split(";"))),
        )
        for number, raw in enumerate(raw_rows(), start=2)
        if raw["gvlk"]
    )


@cache
def no_key_rows() -> dict[int, dict[str, str]]:
    """The rows without a key, by line number (free-text columns)."""
    return {number: raw for number, raw in enumerate(raw_rows(), start=2) if not raw["gvlk"]}


def reference_gvlk(edition_id: str, build: int) -> str:
    """The key the reference table publishes for an edition ID at a build (taken from the CSV, not the catalog)."""
    for row in keyed_rows():
        if edition_id in row.edition_ids and build in row.builds:
            return row.gvlk
    raise LookupError(f"the reference table publishes no key for {edition_id} at build {build}")
