"""Product key syntax as the licensing service checks it before looking a key up.

A key is five groups of five characters from ``BCDFGHJKMPQRTVWXY2346789``. Windows 8 and later keys
carry exactly one ``N`` and a 10-bit checksum (the scheme is described in the project's reference
README); older keys (Vista, 7, 2008, 2008 R2) have no ``N`` and no checksum that can be checked offline.
"""

from __future__ import annotations

import re

ALPHABET = "BCDFGHJKMPQRTVWXY2346789"
_SHAPE = re.compile(r"^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$")


def normalize(key: str) -> str:
    """Upper-case the key and drop surrounding blanks, as InstallProductKey tolerates."""
    return key.strip().upper()


def _crc32_msb(data: bytes) -> int:
    """CRC-32, polynomial 0x04C11DB7, most significant bit first, init and final XOR 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF


def checksum_ok(chars: str) -> bool:
    """Check the Windows 8+ checksum of 25 key characters (without dashes) holding one ``N``."""
    position = chars.index("N")
    value = position
    for char in chars.replace("N", "", 1):
        value = value * 24 + ALPHABET.index(char)
    if value >> 128:
        return False
    stored = (value >> 103) & 0x3FF
    cleared = value & ~(0x3FF << 103)
    return _crc32_msb(cleared.to_bytes(16, "little")) & 0x3FF == stored


def is_well_formed(key: str) -> bool:
    """True when ``key`` could be a product key this service would look up."""
    key = normalize(key)
    if not _SHAPE.match(key):
        return False
    chars = key.replace("-", "")
    if chars.count("N") > 1 or any(c not in ALPHABET and c != "N" for c in chars):
        return False
    return "N" not in chars or checksum_ok(chars)
