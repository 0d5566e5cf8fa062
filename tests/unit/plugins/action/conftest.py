"""Action plugin tests: the probe's transport retries do not wait, and a restarting host is looked at often."""

from __future__ import annotations

import pytest

from ansible_collections.volume_activation.kms.plugins.action import kms_client_key


@pytest.fixture(autouse=True)
def no_retry_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kms_client_key, "PROBE_RETRY_DELAY", 0)
    monkeypatch.setattr(kms_client_key, "RESTART_POLL_DELAY", 0.05)
