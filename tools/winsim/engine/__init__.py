"""The worker's C# engine, compiled from the collection's sources and run under Mono against simulated hosts.

``compiler`` compiles the shipped ``plugins/module_utils/*.cs`` as Add-Type would; ``process`` runs the engine in a
long-lived Mono process whose CIM and network calls a simulated host answers; ``loopback`` holds the real TCP
listeners its route test connects to.
"""

from winsim.engine.compiler import CompileError, compile_library, shipped_sources
from winsim.engine.process import (
    CimError,
    ComFailure,
    DnsFailure,
    EngineFailure,
    EngineReply,
    SimulatedWindows,
    SocketFailure,
    process_for,
)

__all__ = [
    "CimError",
    "ComFailure",
    "CompileError",
    "DnsFailure",
    "EngineFailure",
    "EngineReply",
    "SimulatedWindows",
    "SocketFailure",
    "compile_library",
    "process_for",
    "shipped_sources",
]
