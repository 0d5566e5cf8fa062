"""What a simulated host's network answers: DNS names and SRV records, and whether a KMS address connects.

The scenario's ``network`` (:class:`winsim.scenario.NetworkSpec`) and ``kms`` say it; the engine's route test asks
through :meth:`HostNetwork.resolve`, :meth:`HostNetwork.srv` and :meth:`HostNetwork.primary_domain`, then connects
with real sockets to the loopback listener of each address's behaviour (winsim.engine.loopback). Activate() in the
licensing model asks :meth:`HostNetwork.reaches` of the same model.
"""

from __future__ import annotations

import hashlib
import ipaddress

from winsim.engine import DnsFailure, SocketFailure
from winsim.licensing import facts
from winsim.scenario import HostSpec

# winerror.h: DNS_ERROR_RCODE_NAME_ERROR, the DNS API's status for a name that does not exist.
DNS_NAME_ERROR = 9003


class HostNetwork:
    """The network model of one host (see the module docstring)."""

    def __init__(self, spec: HostSpec) -> None:
        self.spec = spec

    def primary_domain(self) -> str:
        """IPGlobalProperties.DomainName: the host's primary DNS domain (the scenario's ``network.domain``)."""
        return self.spec.network.domain

    def srv_records(self, domain: str) -> tuple[tuple[str, int], ...]:
        """The ``_vlmcs._tcp.<domain>`` answer, (target, port) in answer order; empty when there is none.

        KMS clients look the record up in their own domain or the configured lookup domain
        (https://learn.microsoft.com/en-us/windows-server/get-started/kms-create-host). A scenario without
        ``network.srv`` answers ``kms.dns`` on port 1688 for every domain.
        """
        network = self.spec.network
        if network.srv is None:
            return ((self.spec.kms.dns, facts.KMS_DEFAULT_PORT),) if self.spec.kms.dns else ()
        return network.srv.get(domain.lower().rstrip("."), ())

    def srv(self, name: str) -> list[tuple[str, int, int, int]]:
        """DnsQuery_W(name, DNS_TYPE_SRV): (target, port, priority, weight); a name without records fails with
        DNS_ERROR_RCODE_NAME_ERROR (https://learn.microsoft.com/windows/win32/api/windns/nf-windns-dnsquery_w).
        Records in answer order share one priority, their weights falling, so the order is kept by RFC 2782."""
        prefix = "_vlmcs._tcp."
        records = self.srv_records(name[len(prefix) :]) if name.lower().startswith(prefix) else ()
        if not records:
            raise DnsFailure(DNS_NAME_ERROR, "DNS name does not exist.")
        return [(target, port, 0, 100 - index) for index, (target, port) in enumerate(records)]

    def addresses(self, name: str) -> tuple[str, ...]:
        """What Dns.GetHostAddresses answers: an address literal is itself, a name not listed one IPv4 address.

        https://learn.microsoft.com/en-us/dotnet/api/system.net.dns.gethostaddresses: an IP address string is
        returned without a lookup; a name that does not resolve raises SocketException (HostNotFound).
        """
        bare = name.strip("[]")
        try:
            return (str(ipaddress.ip_address(bare)),)
        except ValueError:
            pass
        known = self.spec.network.addresses.get(bare.lower().rstrip("."))
        if known is not None:
            return known
        digest = hashlib.sha256(bare.lower().encode()).digest()
        return (f"198.51.100.{digest[0] % 254 + 1}",)

    def behaviour(self, address: str) -> str:
        """What a connection to the address does: ``refused`` or ``timed_out`` as the scenario says, else it
        connects iff ``kms.reachable`` (a KMS that does not answer drops the connection attempt)."""
        failure = self.spec.network.unreachable.get(address)
        if failure:
            return failure
        return "connected" if self.spec.kms.reachable else "timed_out"

    def resolve(self, name: str) -> list[tuple[str, str]]:
        """(address, behaviour) for each address of a name; SocketException HostNotFound when it has none."""
        addresses = self.addresses(name)
        if not addresses:
            raise SocketFailure("HostNotFound", "No such host is known")
        return [(address, self.behaviour(address)) for address in addresses]

    def reaches(self, name: str, port: int) -> bool:
        """Whether a connection to the name succeeds (Activate() contacts its KMS host; the port is not modelled)."""
        del port
        return any(self.behaviour(address) == "connected" for address in self.addresses(name))
