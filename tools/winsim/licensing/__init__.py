"""Model of one Windows host's licensing service, answering the kms_client_key worker's operations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from winsim.licensing.host import WindowsHost
from winsim.licensing.kms import KmsHosts
from winsim.scenario import ScenarioError, load_kms_hosts, load_specs

__all__ = ["ScenarioError", "WindowsHost", "load_scenario"]


def load_scenario(source: str | os.PathLike[str] | Mapping[str, Any]) -> list[WindowsHost]:
    """One WindowsHost per host of a scenario (YAML path or dict), in file order, sharing the scenario's KMS hosts."""
    kms_hosts = KmsHosts(load_kms_hosts(source))
    return [WindowsHost(spec, kms_hosts) for spec in load_specs(source)]
