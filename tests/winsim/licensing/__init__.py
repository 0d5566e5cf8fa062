"""Model of one Windows host's licensing service, answering the kms_client_key worker's operations."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from winsim.licensing.host import WindowsHost
from winsim.scenario import ScenarioError, load_specs

__all__ = ["ScenarioError", "WindowsHost", "load_scenario"]


def load_scenario(source: str | Path | Mapping[str, Any]) -> list[WindowsHost]:
    """One WindowsHost per host of a scenario (YAML path or dict), in file order."""
    return [WindowsHost(spec) for spec in load_specs(source)]
