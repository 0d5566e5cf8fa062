"""The sanitiser of host text: keys masked but the public GVLKs, control characters blanked, length bounded."""

from __future__ import annotations

from unit.utils.action_harness import gvlk_for, make_key

from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import (
    NAME_LIMIT,
    TRUNCATED,
    host_text,
    mask_key,
)


def test_a_key_is_masked_to_its_last_five_characters_and_a_public_gvlk_is_kept() -> None:
    secret, public = make_key(7), gvlk_for("ServerDatacenter", 20348)
    shown = host_text(f"key {secret.lower()} then {public}")
    assert shown == f"key {mask_key(secret)} then {public}" and secret[:5] not in shown.upper()


def test_control_and_bidirectional_characters_are_blanked_but_tab_and_newline_kept() -> None:
    assert host_text("a\x00b\x1bc\u202ed\u2066e\tf\ng") == "a b c d e\tf\ng"


def test_long_text_is_cut_to_its_limit_with_the_original_length() -> None:
    shown = host_text("x" * 1000, NAME_LIMIT)
    assert len(shown) == NAME_LIMIT and shown.endswith(TRUNCATED.format(length=1000))
    assert host_text("x" * NAME_LIMIT, NAME_LIMIT) == "x" * NAME_LIMIT
