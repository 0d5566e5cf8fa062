"""What a simulated host's network answers: DNS names and SRV records, whether a KMS address connects, and the
activation objects of its Active Directory forest.

The scenario's ``network`` (:class:`winsim.scenario.NetworkSpec`) and ``kms`` say it; the engine's route test asks
through :meth:`HostNetwork.resolve`, :meth:`HostNetwork.srv` and :meth:`HostNetwork.primary_domain`, then connects
with real sockets to the loopback listener of each address's behaviour (winsim.engine.loopback). Activate() in the
licensing model asks :meth:`HostNetwork.reaches` of the same model.
"""

from __future__ import annotations

import hashlib
import ipaddress
import typing as t
import uuid

from winsim.engine import ComFailure, DnsFailure, SocketFailure
from winsim.licensing import facts
from winsim.scenario import ActivationObjectSpec, HostSpec

_AO_NAMESPACE = uuid.UUID("2f4f8b44-6a5e-4c5b-9f35-1d0c7b1c8e21")

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

    # -- Active Directory: the forest's activation objects --------------------------------------------------

    def activation_objects(self, domain: str) -> list[dict[str, t.Any]]:
        """What ``ReadActivationObjects`` reads through LDAP for the host's domain: every msSPP-ActivationObject of
        the forest's ``CN=Activation Objects,CN=Microsoft SPP,CN=Services`` container (slmgr.vbs /ao-list: the
        configuration naming context of the computer's domain; the objects' display name, DN, msSPP-CSVLKSkuId,
        msSPP-CSVLKPid, msSPP-CSVLKPartialProductKey, and the msSPP-KMSIds the object enables). The read fails
        with the scenario's HRESULT (0x80072030 when the forest's schema has no such container, what slmgr reports
        as "not supported in the current Active Directory schema"; 0x80072020 for a WinRM session that cannot
        authenticate to a domain controller). Authenticated Users may read the objects (msSPP-ActivationObject's
        default security descriptor)."""
        forest = self.spec.network.forest
        if forest.error is not None:
            raise ComFailure(forest.error, "An operations error occurred." if forest.error == 0x80072020 else "")
        return [
            {
                "name": ao.name,
                "dn": activation_object_dn(ao, domain),
                "csvlk_sku_id": csvlk_sku_id(ao),
                "csvlk_pid": csvlk_pid(ao),
                "partial_product_key": ao.partial_key,
                "kms_ids": [kms_id(edition) for edition in ao.editions],
            }
            for ao in forest.activation_objects
        ]


def activation_object_dn(ao: ActivationObjectSpec, domain: str) -> str:
    """The object's DN in the configuration partition of the forest of ``domain`` (taken as the forest root)."""
    root = ",".join(f"DC={part}" for part in domain.split("."))
    return f"CN={ao.name},CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,{root}"


def csvlk_sku_id(ao: ActivationObjectSpec) -> str:
    """A stable stand-in for the CSVLK's SKU ID (the real GUIDs are not published)."""
    return str(uuid.uuid5(_AO_NAMESPACE, f"sku|{ao.name}|{ao.partial_key}"))


def csvlk_pid(ao: ActivationObjectSpec) -> str:
    """A stand-in extended PID, shaped as slmgr prints one (``XXXXX-XXXXX-XXX-XXXXXX-XX-XXXX-XXXXX.XXXX-XXXXXXX``)."""
    digits = int(hashlib.sha256(ao.name.encode()).hexdigest(), 16) % 10**6
    return f"06401-00206-271-{digits:06d}-03-1033-20348.0000-3652024"


def kms_id(edition_id: str) -> str:
    """The KMS ID an activation object enables for an edition (a stand-in: the real IDs are not published)."""
    return str(uuid.uuid5(_AO_NAMESPACE, f"kms|{edition_id.lower()}"))
