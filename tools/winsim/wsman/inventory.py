"""Ansible inventories pointing at a WinRMEndpoint's hosts."""

from __future__ import annotations

import pathlib
import typing as t

import yaml

if t.TYPE_CHECKING:
    from .server import WinRMEndpoint


def host_vars(endpoint: WinRMEndpoint, name: str) -> dict[str, t.Any]:
    """Connection variables that make Ansible's winrm plugin reach one simulated host."""
    binding = endpoint.binding(name)
    return {
        "ansible_connection": "winrm",
        "ansible_shell_type": "powershell",
        "ansible_host": binding.host,
        "ansible_port": binding.port,
        "ansible_winrm_path": binding.path,
        "ansible_user": endpoint.username,
        "ansible_password": endpoint.password,
        "ansible_winrm_transport": "basic",
        "ansible_winrm_scheme": "http",
        "ansible_winrm_server_cert_validation": "ignore",
    }


def inventory(
    endpoint: WinRMEndpoint,
    group: str = "windows",
    extra_vars: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
) -> dict[str, t.Any]:
    """A YAML-inventory structure with every host of the endpoint in ``group``.

    ``extra_vars`` maps host names to additional host variables (e.g. ``ansible_winrm_read_timeout_sec``).
    """
    hosts = {}
    for name in endpoint.bindings:
        hosts[name] = host_vars(endpoint, name) | dict((extra_vars or {}).get(name, {}))
    return {"all": {"children": {group: {"hosts": hosts}}}}


def write_inventory(
    endpoint: WinRMEndpoint,
    path: str | pathlib.Path,
    group: str = "windows",
    extra_vars: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
) -> pathlib.Path:
    """Write ``inventory(...)`` as YAML to ``path`` and return the path."""
    path = pathlib.Path(path)
    path.write_text(yaml.safe_dump(inventory(endpoint, group, extra_vars), sort_keys=False), encoding="utf-8")
    return path
