# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Product key syntax and the Windows 8+ key checksum (described in the project's reference README)."""

from __future__ import annotations

import re

KEY_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"
_KEY_FORMAT = re.compile(rf"[{KEY_ALPHABET}N]{{5}}(?:-[{KEY_ALPHABET}N]{{5}}){{4}}")
_CHECKSUM_SHIFT = 103
_CHECKSUM_MASK = 0x3FF


def _crc32_msb_first(data: bytes) -> int:
    """CRC-32, polynomial 0x04C11DB7, most-significant bit first, init and final XOR 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF


def _decode(chars: str) -> int:
    """The integer a Windows 8+ key encodes: the N position, then the other characters, in base 24."""
    position = chars.index("N")
    value = position
    for char in chars[:position] + chars[position + 1 :]:
        value = value * 24 + KEY_ALPHABET.index(char)
    return value


def is_valid_product_key(key: object) -> bool:
    """True for a well-formed product key; Windows 8+ keys (one N) must also pass the checksum.

    Keys without an N (Vista, 7, 2008, 2008 R2) have no checksum: only the format is checked.
    """
    if not isinstance(key, str):
        return False
    text = key.strip().upper()
    if not _KEY_FORMAT.fullmatch(text):
        return False
    chars = text.replace("-", "")
    count = chars.count("N")
    if count == 0:
        return True
    if count > 1:
        return False
    value = _decode(chars)
    if value >= 1 << 128:
        return False
    checksum = (value >> _CHECKSUM_SHIFT) & _CHECKSUM_MASK
    cleared = value & ~(_CHECKSUM_MASK << _CHECKSUM_SHIFT)
    return _crc32_msb_first(cleared.to_bytes(16, "little")) & _CHECKSUM_MASK == checksum


def partial_key(key: str) -> str:
    """The last five characters of a key, as Windows reports them (PartialProductKey)."""
    return key.strip().upper()[-5:]
