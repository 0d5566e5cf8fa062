"""Loopback WinRM endpoint serving simulated Windows hosts to Ansible's winrm connection plugin.

``WinRMEndpoint`` listens on 127.0.0.1 (one port per host, path ``/wsman``), speaks the WinRS subset of
WS-Management that pywinrm uses, recognises executions of the collection's worker and hands their module
arguments to a per-host handler; anything else gets a clear error.
"""

from .harness import ServedFleet, serve_fleet
from .inventory import host_vars, inventory, write_inventory
from .payload import WORKER_NAME
from .playbook import PlaybookRun, run_playbook, run_reporting
from .server import HostBinding, TransportFault, WinRMEndpoint, transport_faults
from .winrs import Handler

__all__ = [
    "WORKER_NAME",
    "Handler",
    "HostBinding",
    "PlaybookRun",
    "ServedFleet",
    "TransportFault",
    "WinRMEndpoint",
    "host_vars",
    "inventory",
    "run_playbook",
    "run_reporting",
    "serve_fleet",
    "transport_faults",
    "write_inventory",
]
