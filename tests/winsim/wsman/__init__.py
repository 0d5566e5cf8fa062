"""Loopback WinRM endpoint serving simulated Windows hosts to Ansible's winrm connection plugin.

``WinRMEndpoint`` listens on 127.0.0.1 (one port per host, path ``/wsman``), speaks the WinRS subset of
WS-Management that pywinrm uses, recognises executions of the collection's worker and hands their module
arguments to a per-host handler; anything else gets a clear error.
"""

from .inventory import host_vars, inventory, write_inventory
from .payload import WORKER_NAME
from .server import HostBinding, TransportFault, WinRMEndpoint, transport_faults
from .winrs import Handler

__all__ = [
    "WORKER_NAME",
    "Handler",
    "HostBinding",
    "TransportFault",
    "WinRMEndpoint",
    "host_vars",
    "inventory",
    "transport_faults",
    "write_inventory",
]
