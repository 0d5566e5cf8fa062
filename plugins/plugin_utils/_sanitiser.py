# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one sanitiser for text a host reports: product keys masked, control characters blanked, length bounded.

Every string from the worker (probe fields, step messages, worker errors) passes through :func:`host_text`
before it reaches a message, a result, a fact or a report. A five-by-five product key pattern is masked to
its last five characters unless it is a public KMS client setup key (GVLK) from the catalog; text longer
than its limit is cut and ends with :data:`TRUNCATED` and the original length.
"""

from __future__ import annotations

import json
import re
import typing as t

from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import ENTRIES

NAME_LIMIT = 256  # names, identifiers, host names, channels
TEXT_LIMIT = 1024  # descriptions, captions, messages
TRUNCATED = "…[truncated from {length} characters]"
SHOWN_LIMIT = 80  # a value a message quotes

_KEY_PATTERN = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{5}(?:-[A-Z0-9]{5}){4}(?![A-Z0-9])", re.IGNORECASE)
# C0 and C1 control characters (Unicode category Cc) but tab and newline, and the bidirectional embedding, override
# and isolate controls, which reorder how the text around them is shown (Unicode UAX #9).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_PUBLIC_KEYS = frozenset(entry.gvlk.upper() for entry in ENTRIES)


def mask_key(key: str) -> str:
    """A product key as output may show it: its last five characters only."""
    return "XXXXX-XXXXX-XXXXX-XXXXX-" + key[-5:].upper()


def mask_keys(text: str) -> str:
    """Every product key pattern in ``text`` masked, except the public GVLKs of the catalog."""
    return _KEY_PATTERN.sub(lambda m: m.group(0) if m.group(0).upper() in _PUBLIC_KEYS else mask_key(m.group(0)), text)


def bound(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (marker included) when it is longer."""
    if len(text) <= limit:
        return text
    marker = TRUNCATED.format(length=len(text))
    return text[: max(limit - len(marker), 0)] + marker


def shown(value: t.Any, limit: int = SHOWN_LIMIT) -> str:
    """A value as a message shows it: JSON, bounded."""
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return bound(text, limit)


def host_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Host text made safe to show: keys masked, control characters (but tab and newline) and bidirectional
    overrides blanked, bounded."""
    return bound(_CONTROL.sub(" ", mask_keys(text)), limit)
