"""One simulated Windows host: its licensing state, answering the worker as Windows would.

The worker (plugins/modules/kms_client_key.ps1, contract in docs/worker_contract.md) reads
``Win32_OperatingSystem``, the CurrentVersion registry key, ``SoftwareLicensingService`` and the keyed
Windows ``SoftwareLicensingProduct`` rows, and calls the service and product methods. This model keeps
the state those calls read and change. Behaviour and its sources:

- InstallProductKey: a malformed key (shape, alphabet, Windows 8+ checksum) or a key this edition and
  build does not take fails with 0xC004F050 SL_E_INVALID_PRODUCT_KEY; a published GVLK on an evaluation
  edition fails with 0xC004F069 SL_E_MISMATCHED_PRODUCT_SKU (reference README). A GVLK for this
  edition/build (from the key table, or listed in the spec's ``accepts_keys``) is installed on any
  host, a KMS host included (that makes it a KMS client): channel VOLUME_KMSCLIENT / Volume:GVLK, new
  product (its own activation ID), LicenseStatus 2 OOBGrace with 30 days (43200 minutes) until it is
  activated. Reinstalling the key already installed keeps the product and its state.
- On Windows 10/11 a key of an edition the host's edition upgrades to in place (Pro -> Enterprise, Pro
  for Workstations, Pro Education; facts.EDITION_UPGRADES) changes the edition: EditionID, LicenseFamily,
  OperatingSystemSKU, Caption and ProductName become the target's (Microsoft Learn "Windows edition
  upgrade": entering the product key of the target edition upgrades without a reboot).
- Activate on a KMS client: the KMS is the product-level KeyManagementServiceMachine when set
  (``slmgr /skms host:port <ActivationID>`` calls SoftwareLicensingProduct.SetKeyManagementServiceMachine /
  SetKeyManagementServicePort; slmgr's GetKmsClientObjectByActivationID), else the service-wide one, else
  the ``_vlmcs._tcp`` SRV record (``kms.dns``, port 1688). Port: the product's, else the service's, else
  1688 (slmgr's DisplayKMSClientInformation shows a port of 0 as its DefaultPort 1688). No name and no
  record: 0x8007232B DNS_ERROR_RCODE_NAME_ERROR. A KMS that does not answer (``kms.reachable: false``):
  0xC004F074 SL_E_VL_BINDING_SERVICE_UNAVAILABLE. Success: Licensed for 180 days (259200 minutes).
  ``DiscoveredKeyManagementServiceMachineName``/``Port`` are filled only when the KMS was found through
  DNS: slmgr reads them only when no KMS host is set ("KMS machine name from DNS"), and Microsoft's
  property list calls them the KMS "discovered" by the client; a configured host leaves them as they were.
  Activation takes ``activation_seconds`` (bounded by the scenario): the method returns once the KMS
  answered, and slmgr /ato then calls RefreshLicenseStatus and reads the product again (its ActivateProduct).
- Error text: the licensing service's methods return only an HRESULT through WMI; slmgr prints
  "run 'slui.exe 0x2a 0x%ERRCODE%' to display the error text" (its L_MsgErrorText_6) because none comes
  with the error. Step results of licensing calls therefore carry an empty message; texts come only from
  .NET/PowerShell (test_tcp, the [uint32] cast) or the worker itself.
- Activate on other channels goes to Microsoft's activation servers over the internet, which the
  simulated network does not reach: 0x80072EE7 (server name not resolved); an expired evaluation
  reports 0xC004FC07; AVMA asks the Hyper-V host: 0xC004FD02. State never changes on failure.
- No keyed product: the worker itself raises 0xC004F014 "No Windows product key is installed.".
- KMS settings: Set* with an empty value or a port outside 1..65535 fail with 0x80070057 E_INVALIDARG.
  Unset settings read back as null (machine, lookup domain) and 0 (port), on the service and on the
  product alike: slmgr tests the machine name with ``<> "" And Not IsNull`` and replaces a port of 0 by
  1688 (DisplayKMSClientInformation), and the reference samples note "a KMS client's
  KeyManagementServicePort of 0 means 1688". Microsoft's class pages are silent on the unset value; null
  is the harder answer for a parser. Clearing always succeeds.
- RefreshLicenseStatus changes nothing.
- An HRESULT fault on a step (scenario ``faults: [{operation: <step>, hresult: ..., skip: N}]``, the first N
  calls succeeding) is the return value of
  that licensing method: the method changes nothing and the worker stops there, as after any failed step
  (docs/worker_contract.md), so the state is what the steps before it left. Microsoft's method pages document a
  failed call's return value only; that a failed call changes nothing is the reading slmgr relies on (it reports
  the error and reads nothing back), and the harder one for the controller, which must read the host to know.
- ``probe_patch`` (scenario.ProbePatch) rewrites the probe the worker sends with hostile values; the host's own
  state (``state()``, ``licensing_state()``) is never patched.
- The KMS route pre-flight (probe argument ``kms_route``) and Activate() share one network model (the
  scenario's ``network``, see :class:`winsim.scenario.NetworkSpec`); see :meth:`WindowsHost._route`.
- Before Windows 8 (build < 9200) SoftwareLicensingProduct has no ProductKeyChannel (null in the
  probe), and Name/Description use the Windows 7 wording. LicenseIsAddon exists on every release: it is
  in the Windows Vista / Server 2008 class (slwmiprov "SoftwareLicensingProduct class": ``boolean
  LicenseIsAddon``) and the Windows 7 one (sppwmi). The product-level and discovered KMS properties are
  Windows 7 (SppWmi) additions: absent, so null, on Vista / 2008. What a release lacks is also listed in
  the probe's ``missing_properties`` (facts.missing_properties, with its sources).
- Extended Security Update add-ons (``addons``): keyed Windows products (the Windows ApplicationID, a
  PartialProductKey) with LicenseIsAddon true, listed before the primary product, as slmgr has to skip
  them (its primary-SKU test: ``ApplicationId = WindowsAppId And LicenseIsAddon = False``).
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ansible_collections.volume_activation.kms.plugins.plugin_utils import _vocabulary as vocabulary
from winsim import hresult_codes as hr
from winsim import productkey, scenario
from winsim.licensing import catalog_view, facts, worker_args
from winsim.scenario import HostSpec, ScenarioError, parse_host

_ID_NAMESPACE = uuid.UUID("6b1d3b52-4f4e-4c39-9a43-7d0c2f2a5c11")


@dataclass
class _Product:
    """The keyed Windows product (the one slmgr calls primary)."""

    key_type: str
    partial_key: str
    status: str
    grace: int
    discovered_machine: str | None = None
    discovered_port: int = 0
    kms_machine: str | None = None  # product-level KMS settings (SoftwareLicensingProduct.SetKeyManagementService*)
    kms_port: int | None = None


def _pseudo_partial_key(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return "".join(productkey.ALPHABET[b % len(productkey.ALPHABET)] for b in digest[:5])


class WindowsHost:
    """The licensing state of one host, driven through :meth:`run_worker`."""

    def __init__(self, spec: HostSpec) -> None:
        self.spec = spec
        self.worker_executions = 0
        self.writes = 0  # state-changing licensing method calls that succeeded
        self.write_calls = 0  # state-changing licensing method calls, failed ones included
        entry = catalog_view.entry_for(spec.edition_id, spec.build)
        self._server = spec.edition_id.startswith("Server")
        self.caption = spec.caption or self._default_caption(entry)
        if spec.os_sku is not None:
            self.os_sku = spec.os_sku
        elif entry is not None:
            self.os_sku = catalog_view.os_sku(entry, spec.edition_id)
        else:
            raise ScenarioError(
                f"host {spec.name!r}: field 'os_sku': is required (no published edition "
                f"{spec.edition_id} on build {spec.build} to take it from)"
            )
        self.installation_type = spec.installation_type or ("Server" if self._server else "Client")
        self.ubr = spec.ubr if spec.ubr is not None else (0 if spec.build >= 10240 else None)
        self.product_name = spec.product_name or self._default_product_name(entry)
        self.edition_id = spec.edition_id
        self.kms_machine: str | None = spec.kms.machine or None
        self.kms_port: int | None = spec.kms.port
        self.kms_lookup_domain: str | None = spec.kms.lookup_domain or None
        self.discovered_machine: str | None = None
        self.discovered_port = 0
        self._fault_uses = [0] * len(spec.faults)
        self._fault_calls = [0] * len(spec.faults)  # calls of each fault's operation, for its ``skip``
        self.activated_against: tuple[str, int] | None = None  # the KMS of the last successful activation
        self.product = self._initial_product(entry)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | HostSpec) -> WindowsHost:
        """Build a host from a scenario host spec (validated; errors name the host and the field)."""
        return cls(spec if isinstance(spec, HostSpec) else parse_host(spec))

    @property
    def name(self) -> str:
        return self.spec.name

    # -- defaults ---------------------------------------------------------------------------------

    def _default_caption(self, entry: catalog_view.Entry | None) -> str:
        # The catalog's edition name is the English caption without "Microsoft ".
        if entry is None:
            raise ScenarioError(
                f"host {self.spec.name!r}: field 'caption': is required (no published edition "
                f"{self.spec.edition_id} on build {self.spec.build} to take it from)"
            )
        trailing = " " if 7600 <= self.spec.build < 9200 and not self._server else ""
        return f"Microsoft {entry.name}{trailing}"

    def _default_product_name(self, entry: catalog_view.Entry | None) -> str:
        # ProductName is English whatever the display language (Caption is localized), so the
        # catalog's edition name is preferred to the caption.
        name = entry.name if entry is not None else self.caption.strip().removeprefix("Microsoft ")
        if self.spec.build >= 22000:
            name = name.replace("Windows 11", "Windows 10")  # Windows 11 keeps "Windows 10" in ProductName
        return name

    def _initial_product(self, entry: catalog_view.Entry | None) -> _Product | None:
        spec = self.spec
        if spec.key_type == "none":
            return None
        if spec.partial_key:
            partial = spec.partial_key
        elif spec.key_type == "gvlk" and spec.accepts_keys:
            partial = spec.accepts_keys[0][-5:]
        elif spec.key_type == "gvlk" and entry is not None:
            partial = entry.gvlk[-5:]
        else:
            partial = _pseudo_partial_key(spec.name, spec.edition_id, spec.key_type)
        status = spec.license_status or "licensed"
        product = _Product(spec.key_type, partial, status, facts.grace_minutes(status, spec.key_type))
        product.kms_machine, product.kms_port = spec.kms.product_machine or None, spec.kms.product_port
        configured = product.kms_machine or self.kms_machine
        if spec.key_type == "gvlk" and status == "licensed" and not configured and spec.kms.dns:
            self._discovered(product, spec.kms.dns, facts.KMS_DEFAULT_PORT)
        return product

    def _discovered(self, product: _Product, machine: str, port: int) -> None:
        product.discovered_machine, product.discovered_port = machine, port
        self.discovered_machine, self.discovered_port = machine, port

    # -- the worker -------------------------------------------------------------------------------

    def run_worker(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Run kms_client_key.ps1 with ``args``; return the module result as JSON-able data."""
        self.worker_executions += 1
        try:
            operation, steps, check_mode = worker_args.parse(dict(args))
            route_args = worker_args.parse_route(dict(args))
        except worker_args.ArgumentError as error:
            return {"changed": False, "failed": True, "msg": str(error)}
        result: dict[str, Any] = {"changed": False}
        if operation == "apply":
            if check_mode:
                return {
                    "changed": False,
                    "failed": True,
                    "msg": f"{worker_args.MODULE} refuses to apply steps in check mode",
                }
            results = []
            for step in steps:
                results.append(self._run_step(step))
                if results[-1]["hresult"]:
                    break
            result["steps"] = results
        fault = self._take_fault("probe")
        if fault is not None:
            result.update(
                failed=True,
                msg=f"{worker_args.MODULE} cannot read SoftwareLicensingService (0x{fault:08X}): {hr.message(fault)}",
            )
            return result
        result["probe"] = self._patched(self._probe())
        if route_args is not None:
            result["kms_route"] = self._route(route_args)
        return result

    def _patched(self, probe: dict[str, Any]) -> dict[str, Any]:
        """The probe as the worker sends it, with the scenario's hostile values (scenario.ProbePatch)."""
        for patch in self.spec.probe_patch:
            section, index, name = patch.where
            if name is None:
                if patch.remove:
                    probe.pop("products", None)
                else:
                    probe["products"] = copy.deepcopy(patch.value)
                continue
            rows = probe.get(section)
            if section == "products":
                if not isinstance(rows, list) or not -len(rows) <= cast(int, index) < len(rows):
                    continue  # no such row (no key installed, or the list was replaced)
                row = rows[cast(int, index)]
            else:
                row = rows
            if isinstance(row, dict) and patch.remove:
                row.pop(name, None)
            elif isinstance(row, dict):
                row[name] = copy.deepcopy(patch.value)
        return probe

    def _take_fault(self, operation: str) -> int | None:
        for index, fault in enumerate(self.spec.faults):
            if fault.operation != operation:
                continue
            self._fault_calls[index] += 1
            if self._fault_calls[index] <= fault.skip:
                continue
            if fault.times is None or self._fault_uses[index] < fault.times:
                self._fault_uses[index] += 1
                return fault.hresult
        return None

    def _run_step(self, step: dict[str, Any]) -> dict[str, Any]:
        action = step["_handler"]
        if vocabulary.changes_state(action):
            self.write_calls += 1
        fault = self._take_fault(action)
        if fault is not None:
            code, text = fault, None
        else:
            code, text = self._handlers()[action](step)
            if code == hr.S_OK and vocabulary.changes_state(action):
                self.writes += 1
        # WMI carries no error text from the licensing service (see the module docstring).
        message = "" if code == hr.S_OK or text is None else text
        return {"action": step["action"], "hresult": code, "message": message}

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], tuple[int, str | None]]]:
        return {
            "install_product_key": lambda s: (self._install(s["product_key"] or ""), None),
            "refresh_license_status": lambda s: (hr.S_OK, None),
            "set_kms_machine": lambda s: (self._set_machine(s["machine"] or ""), None),
            "clear_kms_machine": lambda s: (self._clear("kms_machine", None), None),
            "set_kms_port": self._set_port,
            "clear_kms_port": lambda s: (self._clear("kms_port", None), None),
            "set_kms_lookup_domain": lambda s: (self._set_domain(s["domain"] or ""), None),
            "clear_kms_lookup_domain": lambda s: (self._clear("kms_lookup_domain", None), None),
            "clear_product_kms_machine": lambda s: self._clear_product("kms_machine"),
            "clear_product_kms_port": lambda s: self._clear_product("kms_port"),
            "activate": self._activate,
        }

    # -- SoftwareLicensingService methods ---------------------------------------------------------

    def _install(self, key: str) -> int:
        key = productkey.normalize(key)
        if not productkey.is_well_formed(key):
            return hr.SL_E_INVALID_PRODUCT_KEY
        known = key in self.spec.accepts_keys or catalog_view.is_gvlk(key)
        if self.spec.evaluation:
            return hr.SL_E_MISMATCHED_PRODUCT_SKU if known else hr.SL_E_INVALID_PRODUCT_KEY
        fits = key in self.spec.accepts_keys or catalog_view.accepts(key, self.edition_id, self.spec.build)
        if not fits:
            upgrade = self._upgrade_edition(key)
            if upgrade is None:
                return hr.SL_E_INVALID_PRODUCT_KEY
            self._change_edition(upgrade)
        current = self.product
        if current is not None and current.key_type == "gvlk" and current.partial_key == key[-5:]:
            return hr.S_OK  # the same key again: same product, same state
        self.product = _Product("gvlk", key[-5:], "oob_grace", facts.INITIAL_GRACE)
        return hr.S_OK

    def _upgrade_edition(self, key: str) -> catalog_view.Entry | None:
        """The published edition ``key`` upgrades this Windows 10/11 edition to in place, if any."""
        if self.spec.build < facts.WINDOWS_10_BUILD:
            return None
        for target in facts.EDITION_UPGRADES.get(self.edition_id, ()):
            if catalog_view.accepts(key, target, self.spec.build):
                return catalog_view.entry_for(target, self.spec.build)
        return None

    def _change_edition(self, entry: catalog_view.Entry) -> None:
        target = next(e for e in facts.EDITION_UPGRADES[self.edition_id] if e in entry.edition_ids)
        self.edition_id = target
        self.os_sku = catalog_view.os_sku(entry, target)
        self.caption = f"Microsoft {entry.name}"
        self.product_name = self._default_product_name(entry)

    def _set_machine(self, machine: str) -> int:
        if not machine.strip():
            return hr.E_INVALIDARG
        self.kms_machine = machine
        return hr.S_OK

    def _set_domain(self, domain: str) -> int:
        if not domain.strip():
            return hr.E_INVALIDARG
        self.kms_lookup_domain = domain
        return hr.S_OK

    def _set_port(self, step: dict[str, Any]) -> tuple[int, str | None]:
        port = step["port"] or 0  # the worker passes [uint32]$Step.port: null becomes 0
        if port < 0 or port > 0xFFFFFFFF:
            return hr.COR_E_INVALIDCAST, (
                f'Cannot convert value "{port}" to type "System.UInt32". Error: '
                f'"Value was either too large or too small for a UInt32."'
            )
        if not 1 <= port <= 65535:
            return hr.E_INVALIDARG, None
        self.kms_port = port
        return hr.S_OK, None

    def _clear(self, attribute: str, value: Any) -> int:
        setattr(self, attribute, value)
        return hr.S_OK

    def _clear_product(self, attribute: str) -> tuple[int, str | None]:
        # SoftwareLicensingProduct.ClearKeyManagementServiceMachine / ClearKeyManagementServicePort on the
        # primary product (the worker finds it as for Activate). Without a keyed product the worker raises
        # SL_E_PKEY_NOT_INSTALLED itself.
        if self.product is None:
            return hr.SL_E_PKEY_NOT_INSTALLED, "No Windows product key is installed."
        setattr(self.product, attribute, None)
        return hr.S_OK, None

    # -- the network: DNS answers and TCP reachability -------------------------------------------------

    def _srv_records(self, domain: str) -> tuple[tuple[str, int], ...]:
        """The ``_vlmcs._tcp.<domain>`` SRV answer, (target, port) in answer order; empty when there is none.

        Resolve-DnsName -Type SRV returns DnsRecord_SRV objects (NameTarget, Port, Priority, Weight)
        (https://learn.microsoft.com/en-us/powershell/module/dnsclient/resolve-dnsname); KMS clients look the
        record up in their own domain or the configured lookup domain
        (https://learn.microsoft.com/en-us/windows-server/get-started/kms-create-host). A scenario without
        ``network.srv`` answers ``kms.dns`` on port 1688 for every domain, as before the network model.
        """
        network = self.spec.network
        if network.srv is None:
            return ((self.spec.kms.dns, facts.KMS_DEFAULT_PORT),) if self.spec.kms.dns else ()
        return network.srv.get(domain.lower().rstrip("."), ())

    def _addresses(self, name: str) -> tuple[str, ...]:
        """What Dns.GetHostAddresses answers: an address literal is itself, no entry resolves to one IPv4 address.

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

    def _connect(self, address: str, timeout_ms: int) -> str:
        """A Socket of the address's own family connecting (https://learn.microsoft.com/en-us/dotnet/api/
        system.net.sockets.socket.-ctor): refused (WSAECONNREFUSED) and dropped (no answer before the wait ends)
        as the scenario says; other addresses answer iff ``kms.reachable``. A zero wait never sees a connection.
        """
        failure = self.spec.network.unreachable.get(address)
        if failure:
            return failure
        return "connected" if self.spec.kms.reachable and timeout_ms > 0 else "timed_out"

    def _attempts(self, name: str, port: int, timeout_ms: int) -> list[dict[str, Any]]:
        addresses = self._addresses(name)
        if not addresses:
            return [
                {
                    "name": name,
                    "address": None,
                    "family": None,
                    "port": port,
                    "outcome": "name_not_found",
                    "message": "No such host is known",
                }
            ]
        return [
            {
                "name": name,
                "address": address,
                "family": "ipv6" if ":" in address else "ipv4",
                "port": port,
                "outcome": self._connect(address, timeout_ms),
                "message": "",
            }
            for address in addresses
        ]

    def _reaches(self, name: str, port: int) -> bool:
        return any(a["outcome"] == "connected" for a in self._attempts(name, port, 1))

    def _route(self, args: dict[str, Any]) -> dict[str, Any]:
        """The ``kms_route`` answer (docs/worker_contract.md): the named or configured KMS host, else SRV."""
        configured = bool(args["use_configured"])
        timeout = args["timeout_ms"] or 0
        machine = args["machine"] or (self.kms_machine if configured else "") or None
        if machine:
            port = args["port"] or (self.kms_port if configured else None) or facts.KMS_DEFAULT_PORT
            return {"machine": machine, "port": port, "srv": None, "attempts": self._attempts(machine, port, timeout)}
        domain = args["lookup_domain"] or self.kms_lookup_domain or self.spec.network.domain
        records = self._srv_records(domain)
        attempts: list[dict[str, Any]] = []
        for target, port in records:
            attempts += self._attempts(target, port, timeout)
            if attempts[-1]["outcome"] == "connected":
                break
        srv = {
            "domain": domain,
            "outcome": "found" if records else "name_not_found",
            "targets": [{"name": t, "port": p} for t, p in records],
            "message": "" if records else f"_vlmcs._tcp.{domain} : DNS name does not exist",
        }
        return {"machine": None, "port": records[0][1] if records else 0, "srv": srv, "attempts": attempts}

    # -- SoftwareLicensingProduct.Activate --------------------------------------------------------

    def _kms_target(self, product: _Product) -> tuple[str, int, bool] | None:
        """(machine, port, found through DNS) the product activates against: its product-level KMS host, else the
        service-wide one, else the first SRV record that answers; None without a name or a record."""
        machine = product.kms_machine or self.kms_machine
        if machine:
            return machine, product.kms_port or self.kms_port or facts.KMS_DEFAULT_PORT, False
        records = self._srv_records(self.kms_lookup_domain or self.spec.network.domain)
        for target, port in records:
            if self._reaches(target, port):
                return target, port, True
        return (records[0][0], records[0][1], True) if records else None

    def _activate(self, _step: dict[str, Any]) -> tuple[int, str | None]:
        product = self.product
        if product is None:
            return hr.SL_E_PKEY_NOT_INSTALLED, "No Windows product key is installed."
        if self.spec.activation_seconds:
            time.sleep(self.spec.activation_seconds)  # bounded by the scenario (MAX_ACTIVATION_SECONDS)
        if product.key_type == "gvlk":
            target = self._kms_target(product)
            if target is None:
                return hr.DNS_ERROR_RCODE_NAME_ERROR, None
            if not self._reaches(target[0], target[1]):
                return hr.SL_E_VL_BINDING_SERVICE_UNAVAILABLE, None
            product.status, product.grace = "licensed", facts.KMS_ACTIVATION_VALIDITY
            machine, port, discovered = target
            self.activated_against = machine, port
            if discovered:
                self._discovered(product, machine, port)
            return hr.S_OK, None
        if product.key_type == "avma":
            return hr.SL_E_IA_PARENT_PARTITION_NOT_ACTIVATED, None
        if product.key_type == "eval" and product.status == "notification":
            return hr.SL_E_VALIDITY_PERIOD_EXPIRED, None
        return hr.WININET_E_NAME_NOT_RESOLVED, None

    # -- reading ----------------------------------------------------------------------------------

    def _probe(self) -> dict[str, Any]:
        spec = self.spec
        version = facts.os_version(spec.build)
        probe: dict[str, Any] = {
            "os": {
                "Caption": self.caption,
                "Version": version,
                "BuildNumber": str(spec.build),
                "OperatingSystemSKU": self.os_sku,
                "ProductType": 1 if self.installation_type == "Client" else 3,
            },
            "registry": {
                "EditionID": self.edition_id,
                "ProductName": self.product_name,
                "InstallationType": self.installation_type,
                "CurrentBuild": str(spec.build),
                "UBR": self.ubr,
                "DisplayVersion": spec.display_version or facts.display_version(spec.build),
            },
            "service": {
                "Version": f"{version}.{self.ubr or 0}",
                "KeyManagementServiceMachine": self.kms_machine,
                "KeyManagementServicePort": self.kms_port or 0,
                "KeyManagementServiceLookupDomain": self.kms_lookup_domain,
                "DiscoveredKeyManagementServiceMachineName": self.discovered_machine,
                "DiscoveredKeyManagementServiceMachinePort": self.discovered_port,
                **self._kms_host_counters(),
            },
            # Add-ons first: the order WMI enumerates them in is not documented, and this one makes the
            # primary-product selection matter.
            "products": [self._addon_row(a) for a in spec.addons]
            + ([] if self.product is None else [self._product_row(self.product)]),
        }
        missing = facts.missing_properties(spec.build)
        for section in ("service", "products"):
            for row in [probe[section]] if section == "service" else probe[section]:
                row.update(dict.fromkeys(missing[section]))
        probe["missing_properties"] = {section: list(names) for section, names in missing.items()}
        return probe

    def _addon_row(self, addon: scenario.AddonSpec) -> dict[str, Any]:
        name, description = facts.addon_strings(addon.license_family, self.edition_id, self.spec.build)
        return {
            "ID": str(uuid.uuid5(_ID_NAMESPACE, f"addon|{addon.license_family}")),
            "Name": name,
            "Description": description,
            "ApplicationID": facts.WINDOWS_APPLICATION_ID,
            "LicenseFamily": addon.license_family,
            "PartialProductKey": addon.partial_key,
            "ProductKeyChannel": "Volume:MAK",
            "LicenseStatus": facts.LICENSE_STATUS[addon.license_status],
            "LicenseStatusReason": facts.status_reason(addon.license_status, "mak"),
            "GracePeriodRemaining": 0,
            "LicenseIsAddon": True,
            "KeyManagementServiceMachine": None,
            "KeyManagementServicePort": 0,
            "DiscoveredKeyManagementServiceMachineName": None,
            "DiscoveredKeyManagementServiceMachinePort": 0,
        }

    def _kms_host_counters(self) -> dict[str, int]:
        """The service's KMS host properties (Volume Activation Technical Reference, "WMI Properties and Methods",
        technet ff793441): IsKeyManagementServiceMachine is 1 when KMS is enabled on the computer; the current
        count is -1 (4294967295 through the uint32) on a machine that is not a KMS host. A CSVLK host here is
        enabled and has served 25 clients (the activation threshold of server KMS clients, RequiredClientCount);
        installing a GVLK makes it a client, which reads as never a host (the sources are silent on what the
        counters keep: zeroed is the reading that leaves only the flag and the key to tell)."""
        if self.product is not None and self.product.key_type == "csvlk":
            return {
                "IsKeyManagementServiceMachine": 1,
                "KeyManagementServiceCurrentCount": 25,
                "KeyManagementServiceTotalRequests": 25,
            }
        return {
            "IsKeyManagementServiceMachine": 0,
            "KeyManagementServiceCurrentCount": 2**32 - 1,
            "KeyManagementServiceTotalRequests": 0,
        }

    def _product_row(self, product: _Product) -> dict[str, Any]:
        spec = self.spec
        channel, key_channel = facts.channel(product.key_type, spec.build)
        name, description = facts.product_strings(self.edition_id, spec.build, self._server, channel)
        return {
            "ID": str(uuid.uuid5(_ID_NAMESPACE, f"{self.edition_id}|{channel}")),
            "Name": name,
            "Description": description,
            "ApplicationID": facts.WINDOWS_APPLICATION_ID,
            "LicenseFamily": self.edition_id,
            "PartialProductKey": product.partial_key,
            "ProductKeyChannel": key_channel,
            "LicenseStatus": facts.LICENSE_STATUS[product.status],
            "LicenseStatusReason": facts.status_reason(product.status, product.key_type),
            "GracePeriodRemaining": product.grace,
            "LicenseIsAddon": False,
            "KeyManagementServiceMachine": product.kms_machine,
            "KeyManagementServicePort": product.kms_port or 0,
            "DiscoveredKeyManagementServiceMachineName": product.discovered_machine,
            "DiscoveredKeyManagementServiceMachinePort": product.discovered_port,
        }

    def state(self) -> dict[str, Any]:
        """A JSON-able dump of everything the worker can change, plus the counters."""
        probe = self._probe()
        row = probe["products"][-1] if self.product else None  # the primary product comes after the add-ons
        service = probe["service"]
        return copy.deepcopy(
            {
                "name": self.name,
                "edition_id": self.edition_id,
                "build": self.spec.build,
                "key_type": self.product.key_type if self.product else "none",
                "partial_product_key": row["PartialProductKey"] if row else None,
                "channel": row["Description"].rsplit(", ", 1)[1].removesuffix(" channel") if row else None,
                "product_key_channel": row["ProductKeyChannel"] if row else None,
                "license_status": self.product.status if self.product else "unlicensed",
                "grace_period_remaining": row["GracePeriodRemaining"] if row else 0,
                "kms": {
                    "machine": service["KeyManagementServiceMachine"],
                    "port": service["KeyManagementServicePort"],
                    "lookup_domain": service["KeyManagementServiceLookupDomain"],
                    "discovered_machine": service["DiscoveredKeyManagementServiceMachineName"],
                    "discovered_port": service["DiscoveredKeyManagementServiceMachinePort"],
                },
                "product_kms": {
                    "machine": row["KeyManagementServiceMachine"] if row else None,
                    "port": row["KeyManagementServicePort"] if row else None,
                },
                "worker_executions": self.worker_executions,
                "writes": self.writes,
            }
        )

    def licensing_state(self) -> dict[str, Any]:
        """Everything the host's licensing holds, without counters: the probe as Windows answers it (never
        patched) and the KMS of the last activation. Equal dumps mean the worker changed nothing."""
        return copy.deepcopy({"probe": self._probe(), "activated_against": self.activated_against})
