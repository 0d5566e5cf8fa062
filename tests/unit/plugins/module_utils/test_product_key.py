"""Product key format and the Windows 8+ key checksum."""

from __future__ import annotations

import zlib

import pytest
from unit.utils.reference import keyed_rows

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import (
    KEY_ALPHABET,
    is_valid_product_key,
    partial_key,
)

KEYS = sorted({row.gvlk for row in keyed_rows()})
N_KEYS = [k for k in KEYS if "N" in k]
OLD_KEYS = [k for k in KEYS if "N" not in k]


def _reflect(value: int, width: int) -> int:
    return int(f"{value:0{width}b}"[::-1], 2)


def reference_checksum_ok(key: str) -> bool:
    """The README's checksum, computed another way: MSB-first CRC-32 via zlib's reflected CRC-32."""
    chars = key.replace("-", "")
    position = chars.index("N")
    digits = [position] + [KEY_ALPHABET.index(c) for c in chars[:position] + chars[position + 1 :]]
    value = 0
    for digit in digits:
        value = value * 24 + digit
    stored = (value >> 103) & 0x3FF
    data = (value & ~(0x3FF << 103)).to_bytes(16, "little")
    crc = _reflect(zlib.crc32(bytes(_reflect(b, 8) for b in data)), 32)
    return crc & 0x3FF == stored


def mutations(key: str):
    """Every key that differs from this one in exactly one character (dashes kept)."""
    for index, char in enumerate(key):
        if char == "-":
            continue
        for other in KEY_ALPHABET + "N":
            if other != char:
                yield key[:index] + other + key[index + 1 :]


def test_counts():
    assert (len(N_KEYS), len(OLD_KEYS)) == (57, 25)


@pytest.mark.parametrize("key", KEYS)
def test_catalog_keys_are_valid(key):
    assert is_valid_product_key(key)
    assert is_valid_product_key(key.lower())
    assert is_valid_product_key(f"  {key} ")


@pytest.mark.parametrize("key", N_KEYS)
def test_reference_implementation_agrees_on_catalog_keys(key):
    assert reference_checksum_ok(key)


@pytest.mark.parametrize("key", N_KEYS)
def test_single_character_mutations(key):
    """Each mutation with one N is accepted exactly when its checksum matches.

    A 10-bit checksum cannot reject every substitution: about 1 in 1024 collides, and those are
    proven to be genuine collisions by the independent implementation. A mutation that replaces the N
    leaves a key in the older format, which carries no checksum and is accepted on format alone.
    """
    for mutant in mutations(key):
        chars = mutant.replace("-", "")
        if chars.count("N") > 1:
            assert not is_valid_product_key(mutant), mutant
        elif chars.count("N") == 0:
            assert is_valid_product_key(mutant), mutant
        else:
            assert is_valid_product_key(mutant) == reference_checksum_ok(mutant), mutant


def test_mutations_are_almost_all_rejected():
    checked = accepted = 0
    for key in N_KEYS:
        for mutant in mutations(key):
            if mutant.replace("-", "").count("N") == 1:
                checked += 1
                accepted += is_valid_product_key(mutant)
    print(f"single-character mutations keeping one N: {checked}, accepted by the 10-bit checksum: {accepted}")
    assert checked == 57 * 24 * 23  # 24 positions without the N, 23 other letters each
    assert accepted < checked / 500


def test_moving_the_n_breaks_the_checksum_for_catalog_keys():
    for key in N_KEYS:
        chars = key.replace("-", "")
        position = chars.index("N")
        others = chars[:position] + chars[position + 1 :]
        for new_position in range(25):
            if new_position != position:
                moved = others[:new_position] + "N" + others[new_position:]
                mutant = "-".join(moved[i : i + 5] for i in range(0, 25, 5))
                assert is_valid_product_key(mutant) == reference_checksum_ok(mutant)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "W269N-WFGWX-YVC9B-4J6C9",
        "W269N-WFGWX-YVC9B-4J6C9-T83GXX",
        "W269NWFGWXYVC9B4J6C9T83GX",
        "W269N-WFGWX-YVC9B-4J6C9-T83GA",
        "W269N-WFGWX-YVC9B-4J6C9-T83G0",
        "W269N_WFGWX_YVC9B_4J6C9_T83GX",
        "NNNNN-NNNNN-NNNNN-NNNNN-NNNNN",
        None,
        42,
    ],
)
def test_malformed_keys(text):
    assert not is_valid_product_key(text)


def test_partial_key():
    key = KEYS[0]
    assert partial_key(key) == key[-5:]
    assert partial_key(f" {key.lower()} ") == key[-5:]
    assert gvlk_catalog.partial_key(key) == key.replace("-", "")[-5:]
