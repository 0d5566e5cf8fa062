"""The KMS hosts a simulated fleet's clients activate against, and their counts.

Microsoft's "Plan for Key Management Services (KMS) activation" (windowsserverdocs, kms-activation-planning): "Clients
activate if the count is 25 or higher. Servers and volume editions of Microsoft Office products activate if the
count is five or greater. The KMS only counts unique connections from the past 30 days, and only stores the 50 most
recent contacts"; "when a client or server contacts the KMS host, the host adds the machine ID to its count and then
returns the current count value in its response". A client below its threshold gets 0xC004F038 ("The count reported
by your Key Management Service (KMS) is insufficient", activation-error-codes) and retries at its activation interval
(two hours by default, slmgr /sai). Clients cloned without sysprep share a ClientMachineID and count once (KB 929829,
"The KMS current count does not increase").

Only the KMS hosts a scenario names in ``kms_hosts`` keep a count; any other reachable KMS host activates every
client (a count above both thresholds), as the simulator did before it modelled counts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from winsim.scenario import KmsHostSpec

CLIENT_THRESHOLD = 25
SERVER_THRESHOLD = 5
STORED_CONTACTS = 50


@dataclass
class KmsHost:
    """One KMS host's count: the distinct clients it knew before the run and the machine IDs that asked since."""

    spec: KmsHostSpec
    machine_ids: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return min(STORED_CONTACTS, self.spec.count + len(self.machine_ids))

    def request(self, machine_id: str, server: bool) -> bool:
        """A client's activation request: count its machine ID, then whether the count reaches its threshold."""
        self.machine_ids.add(machine_id.lower())
        return self.count >= (SERVER_THRESHOLD if server else CLIENT_THRESHOLD)


class KmsHosts:
    """The scenario's KMS hosts by the names clients reach them by (shared by every host of a fleet)."""

    def __init__(self, specs: list[KmsHostSpec] | tuple[KmsHostSpec, ...] = ()) -> None:
        self._hosts = {spec.name: KmsHost(spec) for spec in specs}
        self._lock = threading.Lock()

    def request(self, machine: str, machine_id: str, server: bool) -> bool:
        """Whether a client activating against ``machine`` is activated (True for a KMS host without a count)."""
        host = self._hosts.get(machine.lower().rstrip("."))
        if host is None:
            return True
        with self._lock:
            return host.request(machine_id, server)

    def served_by(self, host_name: str) -> KmsHost | None:
        """The KMS host whose service is the scenario host ``host_name``, if any."""
        return next((h for h in self._hosts.values() if h.spec.host == host_name), None)
