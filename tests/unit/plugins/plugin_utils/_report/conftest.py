"""The report of a fleet with every status, for the tests of the report model and its renderers."""

from __future__ import annotations

import pytest
from unit.utils.report_fleet import GENERATED, fleet_results

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _model as model


@pytest.fixture
def report() -> dict:
    return model.build_report(fleet_results(), "check", GENERATED)
