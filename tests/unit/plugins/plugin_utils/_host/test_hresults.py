"""The HRESULT table: every code a KMS client meets has its symbol, cause and remedy."""

from __future__ import annotations

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _hresults

REQUIRED = [
    0xC004F074,
    0x8007232B,
    0xC004F038,
    0xC004F06C,
    0xC004F042,
    0xC004F015,
    0xC004F050,
    0xC004F069,
    0x80070005,
    0xC004F035,
    0xC004F039,
    0xC004F041,
    0xC004F056,
    0x8007274C,
    0x8007274D,
]


@pytest.mark.parametrize("code", REQUIRED, ids=hex)
def test_required_hresults_have_symbol_cause_and_remedy(code: int) -> None:
    info = _hresults.lookup(code)
    assert info.symbol != "unknown" and info.cause and info.remedy and info.meaning
    assert info.hex == f"0x{code:08X}"


def test_hresult_normalisation_and_unknown() -> None:
    assert _hresults.normalize(-1073418124) == 0xC004F074
    assert _hresults.normalize("0xc004f074") == 0xC004F074
    assert _hresults.normalize("3221549172") == 0xC004F074
    assert _hresults.normalize(None) is None
    unknown = _hresults.lookup(0x8BADF00D)
    assert unknown.symbol == "unknown" and "0x8BADF00D" in _hresults.describe(0x8BADF00D)


def test_describe_prefers_the_hosts_text() -> None:
    text = _hresults.describe(0xC004F074, "Le service de licences logicielles a signalé ...")
    assert text.startswith("0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE): Le service") and "Fix:" in text
