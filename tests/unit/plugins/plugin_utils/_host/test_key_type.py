"""The installed key's type, classified as slmgr does: Description first, ProductKeyChannel as the fallback."""

from __future__ import annotations

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _key_type


@pytest.mark.parametrize(
    "description,channel,expected",
    [
        ("Windows(R) Operating System, VOLUME_KMSCLIENT channel", "Volume:GVLK", "gvlk"),
        ("Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel", "Volume:CSVLK", "csvlk"),
        ("Windows(R) Operating System, VOLUME_KMS_W10 channel", None, "csvlk"),
        ("Windows(R) Operating System, VOLUME_MAK channel", "Volume:MAK", "mak"),
        ("Windows(R) Operating System, RETAIL channel", "Retail", "retail"),
        ("Windows(R) Operating System, OEM_DM channel", "OEM:DM", "oem"),
        ("Windows(R) Operating System, OEM_SLP channel", "OEM:SLP", "oem"),
        ("Windows(R) Operating System, OEM_COA_NSLP channel", "OEM:NONSLP", "oem"),
        ("Windows(R) Operating System, TIMEBASED_EVAL channel", "Retail:TB:Eval", "eval"),
        ("Windows(R) Operating System, VIRTUAL_MACHINE_ACTIVATION channel", "VT:IA", "avma"),
        ("Windows(R) 7, VOLUME_KMSCLIENT channel", None, "gvlk"),  # Windows 7: no ProductKeyChannel
        ("Windows(R) Operating System", "OEM:COA", "oem"),  # description says nothing: channel
        ("Windows(R) Operating System", "Volume:CSVLK", "csvlk"),
        ("Windows(R) Operating System", "Retail:TB:Eval", "eval"),
        ("Windows(R) Operating System", None, "unknown"),
        ("Windows(R) Operating System", "Something:New", "unknown"),
    ],
)
def test_classify(description: str, channel: str | None, expected: str) -> None:
    assert _key_type.classify(description, channel) == expected


def test_classify_without_product_is_none() -> None:
    assert _key_type.classify(None, None, has_product=False) == "none"
