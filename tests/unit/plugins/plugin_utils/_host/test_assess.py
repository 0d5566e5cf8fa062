"""What the worker's step results say: the steps shown, the first failure, whether anything changed."""

from __future__ import annotations

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._assess import ran_steps


def test_steps_stop_at_the_first_failure_with_its_hresult_and_symbol() -> None:
    record = ran_steps(
        [
            {"action": "install_product_key", "hresult": 0},
            {"action": "activate", "hresult": 0xC004F074, "message": "no KMS host could be contacted"},
            {"action": "refresh_license_status", "hresult": 0},
        ]
    )
    assert record.changed and record.hresult == 0xC004F074
    assert [(s["action"], s["hresult"], s["symbol"]) for s in record.shown] == [
        ("install_product_key", "0x00000000", "S_OK"),
        ("activate", "0xC004F074", "SL_E_VL_BINDING_SERVICE_UNAVAILABLE"),
    ]


def test_read_only_steps_change_nothing() -> None:
    record = ran_steps([{"action": "refresh_license_status", "hresult": 0}])
    assert not record.changed and record.failed_step is None and record.hresult == 0
