"""One simulated Windows host: its licensing state, reached by the worker's C# engine as Windows is, through WMI.

The engine (plugins/module_utils/KmsClientEngine.cs, contract in docs/worker_contract.md), compiled from the
shipped sources and run under Mono (winsim.engine), reads ``Win32_OperatingSystem``, the CurrentVersion registry key
(``StdRegProv``), ``SoftwareLicensingService`` and ``SoftwareLicensingProduct`` with WQL, and calls the service's and
products' methods; winsim.licensing.cim answers those calls from the instances and methods below, and
winsim.licensing.network answers its DNS questions. The engine writes the worker's reply; this model only keeps the
state the calls read and change. Behaviour and its sources:

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
  with the error. System.Management raises such a code as the COMException of Marshal.ThrowExceptionForHR, whose
  text only restates the code, and the engine's Windows CIM reports it without text; E_INVALIDARG becomes an
  ArgumentException with .NET's text (:func:`failure`).
- Activate on other channels goes to Microsoft's activation servers over the internet, which the
  simulated network does not reach: 0x80072EE7 (server name not resolved); an expired evaluation
  reports 0xC004FC07; AVMA asks the Hyper-V host: 0xC004FD02. State never changes on failure.
- No keyed product: the engine itself fails a product step with 0xC004F014 "No Windows product key is installed.".
- KMS settings: Set* with an empty value or a port outside 1..65535 fail with 0x80070057 E_INVALIDARG.
  Unset settings read back as null (machine, lookup domain) and 0 (port), on the service and on the
  product alike: slmgr tests the machine name with ``<> "" And Not IsNull`` and replaces a port of 0 by
  1688 (DisplayKMSClientInformation), and the reference samples note "a KMS client's
  KeyManagementServicePort of 0 means 1688". Microsoft's class pages are silent on the unset value; null
  is the harder answer for a parser. Clearing always succeeds.
- RefreshLicenseStatus changes nothing.
- An HRESULT fault on a step (scenario ``faults: [{operation: <step>, hresult: ..., skip: N}]``, the first N
  calls succeeding) is the failure of the licensing method that step calls (:data:`STEP_METHODS`): the method
  changes nothing and the engine stops there, as after any failed step (docs/worker_contract.md), so the state is
  what the steps before it left. A ``probe`` fault fails the read of the SoftwareLicensingService class definition,
  which only the engine's probe makes, for one worker execution each time. Microsoft's method pages document a
  failed call's return value only; that a failed call changes nothing is the reading slmgr relies on (it reports
  the error and reads nothing back), and the harder one for the controller, which must read the host to know.
- ``probe_patch`` (scenario.ProbePatch) stands for a compromised host: it rewrites the reply the engine wrote,
  on its way to the controller, with hostile values; the host's own state (``state()``, ``licensing_state()``)
  is never patched.
- The KMS route pre-flight (probe argument ``kms_route``) and Activate() share one network model (the
  scenario's ``network``, see :class:`winsim.licensing.network.HostNetwork`); the route test's connections are
  real sockets to loopback listeners (winsim.engine.loopback).
- Registry (StdRegProv in root\\cimv2, https://learn.microsoft.com/previous-versions/windows/desktop/regprov/stdregprov):
  the CurrentVersion key's values with their types (REG_SZ text, REG_DWORD UBR, REG_QWORD InstallTime,
  REG_BINARY DigitalProductId), EnumValues listing them; an absent value is not listed (UBR before Windows 10,
  DisplayVersion before 20H2).
- Every host also holds licences of sibling editions that have no key (PartialProductKey null, LicenseStatus 0:
  slmgr /dlv all prints them as "This license is not in use.", its L_MsgErrorLicenseNotInUse), so the engine's
  WQL must select the keyed ones.
- Before Windows 8 (build < 9200) SoftwareLicensingProduct has no ProductKeyChannel (null in the
  probe), and Name/Description use the Windows 7 wording. LicenseIsAddon exists on every release: it is
  in the Windows Vista / Server 2008 class (slwmiprov "SoftwareLicensingProduct class": ``boolean
  LicenseIsAddon``) and the Windows 7 one (sppwmi). The product-level and discovered KMS properties are
  Windows 7 (SppWmi) additions: absent, so null, on Vista / 2008. What a release lacks is also listed in
  the probe's ``missing_properties`` (facts.missing_properties, with its sources).
- Evaluation editions (winsim.licensing.servicing, with its sources): DISM's target-edition query answers the
  editions Microsoft documents for the EditionID and build (or the scenario's ``servicing.targets``); the edition
  change (``set_edition``, DISM /Set-Edition) takes ``servicing.conversion_seconds`` and completes at the next restart:
  Win32_OperatingSystem.Reboot() takes the host down for ``servicing.restart_seconds`` (for ever with
  ``comes_back: false``); it comes back with the new EditionID, OperatingSystemSKU, caption and the KMS client key
  the change installed (out-of-box grace, unactivated), and a new LastBootUpTime. A domain controller reports
  ProductType 2 and DomainRole 5 (Win32_OperatingSystem, Win32_ComputerSystem).
- Extended Security Update add-ons (``addons``): keyed Windows products (the Windows ApplicationID, a
  PartialProductKey) with LicenseIsAddon true, listed before the primary product, as slmgr has to skip
  them (its primary-SKU test: ``ApplicationId = WindowsAppId And LicenseIsAddon = False``).
"""

from __future__ import annotations

import collections
import copy
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ansible_collections.volume_activation.kms.plugins.plugin_utils import _vocabulary as vocabulary
from winsim import hresult_codes as hr
from winsim import productkey, scenario
from winsim.engine import CimError, EngineFailure, process_for, shipped_sources
from winsim.licensing import catalog_view, cim, facts, servicing, worker_args
from winsim.licensing import network as network_module
from winsim.licensing.kms import KmsHosts
from winsim.licensing.network import HostNetwork
from winsim.scenario import HostSpec, ScenarioError, parse_host

_ID_NAMESPACE = uuid.UUID("6b1d3b52-4f4e-4c39-9a43-7d0c2f2a5c11")
ENGINE_TYPE = "ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows.Worker"
SERVICE = "SoftwareLicensingService"
COMPUTER = "Win32_ComputerSystem"
PRODUCT = "SoftwareLicensingProduct"
OS = "Win32_OperatingSystem"
REGISTRY = "StdRegProv"
HKEY_LOCAL_MACHINE = 0x80000002
CURRENT_VERSION = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
# When every host last started, until it restarts (a fixed time keeps probes comparable: 2026-11-30T07:15:02Z).
FIRST_BOOT = 1_796_022_902.0
# winerror.h: what StdRegProv returns for a key or value that does not exist.
ERROR_FILE_NOT_FOUND = 2

# The licensing method each worker step calls (docs/worker_contract.md); a scenario's fault on a step is a failure
# of that method.
STEP_METHODS: dict[str, tuple[str, str]] = {
    "install_product_key": (SERVICE, "InstallProductKey"),
    "refresh_license_status": (SERVICE, "RefreshLicenseStatus"),
    "set_kms_machine": (SERVICE, "SetKeyManagementServiceMachine"),
    "clear_kms_machine": (SERVICE, "ClearKeyManagementServiceMachine"),
    "set_kms_port": (SERVICE, "SetKeyManagementServicePort"),
    "clear_kms_port": (SERVICE, "ClearKeyManagementServicePort"),
    "set_kms_lookup_domain": (SERVICE, "SetKeyManagementServiceLookupDomain"),
    "clear_kms_lookup_domain": (SERVICE, "ClearKeyManagementServiceLookupDomain"),
    "clear_product_kms_machine": (PRODUCT, "ClearKeyManagementServiceMachine"),
    "clear_product_kms_port": (PRODUCT, "ClearKeyManagementServicePort"),
    "clear_vl_activation_type": (SERVICE, "ClearVLActivationTypeEnabled"),
    "clear_product_vl_activation_type": (PRODUCT, "ClearVLActivationTypeEnabled"),
    "activate": (PRODUCT, "Activate"),
    "reboot": (OS, "Reboot"),
}

# CIM types of the properties the engine reads (Microsoft's class pages: SoftwareLicensingService,
# SoftwareLicensingProduct, Win32_OperatingSystem). Which ones a release lacks: facts.missing_properties.
_OS_PROPERTIES = {
    "Name": "string",
    "Caption": "string",
    "Version": "string",
    "BuildNumber": "string",
    "OperatingSystemSKU": "uint32",
    "ProductType": "uint32",
    "CSName": "string",
    "LastBootUpTime": "datetime",
}
_COMPUTER_PROPERTIES = {"Name": "string", "PartOfDomain": "boolean", "Domain": "string", "DomainRole": "uint16"}
_SERVICE_PROPERTIES = {
    "Version": "string",
    "KeyManagementServiceMachine": "string",
    "KeyManagementServicePort": "uint32",
    "KeyManagementServiceLookupDomain": "string",
    "DiscoveredKeyManagementServiceMachineName": "string",
    "DiscoveredKeyManagementServiceMachinePort": "uint32",
    "IsKeyManagementServiceMachine": "uint32",
    "KeyManagementServiceCurrentCount": "uint32",
    "KeyManagementServiceTotalRequests": "uint32",
    "ClientMachineID": "string",
}
_PRODUCT_PROPERTIES = {
    "ID": "string",
    "Name": "string",
    "Description": "string",
    "ApplicationID": "string",
    "LicenseFamily": "string",
    "PartialProductKey": "string",
    "ProductKeyChannel": "string",
    "LicenseStatus": "uint32",
    "LicenseStatusReason": "uint32",
    "GracePeriodRemaining": "uint32",
    "LicenseIsAddon": "boolean",
    "KeyManagementServiceMachine": "string",
    "KeyManagementServicePort": "uint32",
    "DiscoveredKeyManagementServiceMachineName": "string",
    "DiscoveredKeyManagementServiceMachinePort": "uint32",
    "VLActivationTypeEnabled": "uint32",
    "VLActivationType": "uint32",
    "ADActivationObjectName": "string",
    "ADActivationObjectDN": "string",
    "ADActivationCsvlkPid": "string",
    "ADActivationCsvlkSkuId": "string",
}
# Registry value types (winnt.h) and the StdRegProv getter and out parameter of each.
_REG_GETTERS = {
    1: ("GetStringValue", "sValue", "string"),
    2: ("GetExpandedStringValue", "sValue", "string"),
    3: ("GetBinaryValue", "uValue", "uint8[]"),
    4: ("GetDWORDValue", "uValue", "uint32"),
    7: ("GetMultiStringValue", "sValue", "string[]"),
    11: ("GetQWORDValue", "uValue", "uint64"),
}
_REG_SZ, _REG_BINARY, _REG_DWORD, _REG_QWORD = 1, 3, 4, 11
# Editions whose unkeyed licences a host also holds (siblings of its own edition).
_SIBLINGS = {True: ("ServerStandard", "ServerDatacenter"), False: ("Professional", "Enterprise")}


def failure(hresult: int) -> CimError:
    """A method's failure as the engine's Windows CIM reports it: Marshal.ThrowExceptionForHR maps E_INVALIDARG to
    ArgumentException (.NET's text) and E_ACCESSDENIED to UnauthorizedAccessException; other codes to a COMException,
    reported without text; WMI's own codes (0x8004xxxx) to a ManagementException with WMI's description
    (https://learn.microsoft.com/dotnet/api/system.runtime.interopservices.marshal.throwexceptionforhr)."""
    code = hr.unsigned(hresult)
    texts = {
        hr.E_INVALIDARG: "Value does not fall within the expected range.",
        hr.E_ACCESSDENIED: "Attempted to perform an unauthorized operation.",
    }
    if code in texts:
        return CimError(code, texts[code])
    if code & 0xFFFFF000 == 0x80041000:
        return CimError(code, hr.message(code))
    return CimError(code, "")


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
    activation_type: int | None = None  # the product's own VLActivationTypeEnabled (slmgr /act-type <n> <ActivationID>)
    activated_by: int | None = None  # VLActivationType of the last activation: 1 AD, 2 KMS
    activation_object: scenario.ActivationObjectSpec | None = None  # the AD activation object it last activated from


def _pseudo_partial_key(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return "".join(productkey.ALPHABET[b % len(productkey.ALPHABET)] for b in digest[:5])


class WindowsHost:
    """The licensing state of one host, driven through :meth:`run_worker`."""

    def __init__(self, spec: HostSpec, kms_hosts: KmsHosts | None = None) -> None:
        self.spec = spec
        self.kms_hosts = kms_hosts or KmsHosts()
        # The service-wide VLActivationTypeEnabled (slmgr /act-type <n> without an Activation ID).
        self.activation_type: int | None = spec.activation_type.get("service")
        # ClientMachineID: the scenario's (clones share one), else one of the host's own.
        self.machine_id = spec.client_machine_id or str(uuid.uuid5(_ID_NAMESPACE, f"cmid|{spec.name}"))
        self.worker_executions = 0
        self.writes = 0  # state-changing licensing method calls that succeeded
        self.write_calls = 0  # state-changing licensing method calls, failed ones included
        entry = catalog_view.entry_for(spec.edition_id, spec.build)
        self._server = spec.edition_id.startswith("Server")
        # A Server evaluation is named and numbered after the edition it evaluates.
        evaluated = catalog_view.entry_for(servicing.evaluated_edition(spec.edition_id), spec.build)
        self.caption = spec.caption or self._default_caption(entry, evaluated)
        evaluation_sku = servicing.EVALUATION_SKUS.get(servicing.catalog_edition(spec.edition_id))
        if spec.os_sku is not None:
            self.os_sku = spec.os_sku
        elif evaluation_sku is not None and evaluated is not None:
            self.os_sku = evaluation_sku
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
        self.network = HostNetwork(spec)
        self._lock = threading.RLock()
        self._probe_fault: int | None = None  # this execution's probe fault (see the module docstring)
        # The last WMI calls the engine made (query text, or "Class.Method" with its arguments), for tests to read.
        self.cim_calls: collections.deque[tuple[str, dict[str, Any]]] = collections.deque(maxlen=200)
        self._schema = self._classes()  # a release's classes never change
        self._cim = cim.CimProvider(lambda: self._schema, self._instances, self._methods())
        self.product = self._initial_product(entry)
        # Restarts: when the host last started (epoch seconds), and while it is down, when it is back (None: never).
        self.boot_time = FIRST_BOOT
        self.boots = 0  # restarts completed
        self._down = False
        self._back_at: float | None = None
        self._restart_notice = False  # a restart began during the current worker execution
        self._pending_edition: tuple[str, str] | None = None  # (EditionID, key) a completed /Set-Edition applies
        self.servicing_calls: list[tuple[str, str]] = []  # (call, edition): DISM's calls, for tests to read

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | HostSpec) -> WindowsHost:
        """Build a host from a scenario host spec (validated; errors name the host and the field)."""
        return cls(spec if isinstance(spec, HostSpec) else parse_host(spec))

    @property
    def name(self) -> str:
        return self.spec.name

    # -- defaults ---------------------------------------------------------------------------------

    def _default_caption(self, entry: catalog_view.Entry | None, evaluated: catalog_view.Entry | None) -> str:
        # The catalog's edition name is the English caption without "Microsoft " (an evaluation's: the evaluated
        # edition's name and " Evaluation", e.g. "Microsoft Windows Server 2022 Standard Evaluation").
        if entry is None and evaluated is not None and "Eval" in self.spec.edition_id:
            return f"Microsoft {evaluated.name} Evaluation"
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
        product.activation_type = spec.activation_type.get("product")
        if status == "licensed" and spec.key_type == "gvlk":
            product.activated_by = 2
        configured = product.kms_machine or self.kms_machine
        if spec.key_type == "gvlk" and status == "licensed" and not configured and spec.kms.dns:
            self._discovered(product, spec.kms.dns, facts.KMS_DEFAULT_PORT)
        return product

    def _discovered(self, product: _Product, machine: str, port: int) -> None:
        product.discovered_machine, product.discovered_port = machine, port
        self.discovered_machine, self.discovered_port = machine, port

    # -- the worker -------------------------------------------------------------------------------

    def run_worker(self, args: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One execution of kms_client_key.ps1 with ``args``: the module result as JSON-able data.

        The shim's part is reproduced: Ansible.Basic's argument check (worker_args), then one call of the engine,
        whose result is the module's (``changed`` false, ``failed`` and ``msg`` when it returns why it fails). The
        engine is compiled from ``sources`` (the C# module_utils of a payload; the shipped files when None).
        """
        self.worker_executions += 1
        try:
            params, check_mode = worker_args.parse(dict(args))
        except worker_args.ArgumentError as error:
            return {"changed": False, "failed": True, "msg": str(error)}
        if sources is not None and not sources:
            # PowerShell itself would fail the shim's first use of the engine's type.
            return {"changed": False, "failed": True, "msg": "Unable to find type [" + ENGINE_TYPE + "]."}
        self._probe_fault = self._take_fault("probe")
        try:
            reply = process_for(_shipped() if sources is None else sources).execute(self, params, check_mode)
        except EngineFailure as error:  # what Ansible's exec wrapper reports for an exception the module let out
            return {"changed": False, "failed": True, "msg": f"Unhandled exception while executing module: {error}"}
        finally:
            self._probe_fault = None
        result: dict[str, Any] = {"changed": False, **reply.result}
        if reply.failure is not None:
            result.update(failed=True, msg=reply.failure)
        if "probe" in result:
            result["probe"] = self._tampered(result["probe"])
        return result

    def _tampered(self, probe: Any) -> Any:
        """The engine's probe as a compromised host would send it (scenario.ProbePatch)."""
        if not isinstance(probe, dict):
            return probe
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

    # -- what the engine reaches: WMI and the network ------------------------------------------------

    def class_properties(self, class_name: str) -> list[str]:
        with self._lock:
            if class_name.lower() == SERVICE.lower() and self._probe_fault is not None:
                raise failure(self._probe_fault)
            return self._cim.class_properties(class_name)

    def query(self, wql: str) -> list[tuple[str | None, dict[str, cim.Typed]]]:
        with self._lock:
            self.cim_calls.append((wql, {}))
            return self._cim.query(wql)

    def invoke(self, path: str, method: str, arguments: dict[str, Any]) -> dict[str, cim.Typed]:
        if method.lower() == "activate" and self.spec.activation_seconds:
            # The time the service takes to reach its KMS host, before the state changes; the host is not locked
            # meanwhile. Bounded by the scenario (MAX_ACTIVATION_SECONDS).
            time.sleep(self.spec.activation_seconds)
        with self._lock:
            shown = {name: (str(v)[-5:] if name == "ProductKey" else v) for name, v in arguments.items()}  # no full key
            self.cim_calls.append((f"{path.partition('.')[0]}.{method}", shown))
            return self._cim.invoke(path, method, arguments)

    def resolve(self, name: str) -> list[tuple[str, str]]:
        return self.network.resolve(name)

    def srv(self, name: str) -> list[tuple[str, int, int, int]]:
        return self.network.srv(name)

    def primary_domain(self) -> str:
        return self.network.primary_domain()

    def activation_objects(self, domain: str) -> list[dict[str, Any]]:
        return self.network.activation_objects(domain)

    # -- servicing: DISM and restarts ------------------------------------------------------------------

    def target_editions(self) -> list[str]:
        """DISM's target-edition query (winsim.licensing.servicing)."""
        with self._lock:
            self.servicing_calls.append(("target_editions", self.edition_id))
            return list(self._targets())

    def _dism_edition(self) -> str:
        """The edition as DISM names it: a Server Core installation's with ``Cor``, which the registry EditionID
        need not carry (the reference table: the registry EditionID on Server Core is unverified; DISM's names carry
        the suffix). A scenario's EditionID without it is the harder case: only InstallationType tells Core."""
        if self._server and self.installation_type == "Server Core" and not self.edition_id.endswith("Cor"):
            return self.edition_id + "Cor"
        return self.edition_id

    def _targets(self) -> tuple[str, ...]:
        if self.spec.servicing.targets is not None:
            return self.spec.servicing.targets
        return servicing.documented_targets(self._dism_edition(), self.spec.build)

    def set_edition(self, edition: str, product_key: str) -> int:
        """DISM /Set-Edition /NoRestart: DISM's exit code; the change completes at the next restart."""
        with self._lock:
            self.servicing_calls.append(("set_edition", edition))
            code = self._take_fault("set_edition")
            if code is not None:
                return servicing.win32_code(code)
            if self.spec.domain_controller or edition not in self._targets():
                return servicing.NOT_SUPPORTED
            key = productkey.normalize(product_key or "")
            if not catalog_view.accepts(key, servicing.catalog_edition(edition), self.spec.build):
                return hr.SL_E_INVALID_PRODUCT_KEY
        time.sleep(self.spec.servicing.conversion_seconds)  # the change runs; the host is not locked meanwhile
        with self._lock:
            self._pending_edition = (edition, key)
            self.writes += 1
        return servicing.REBOOT_REQUIRED

    def _reboot(self, arguments: Mapping[str, Any]) -> dict[str, cim.Typed]:
        """Win32_OperatingSystem.Reboot(): the host goes down at once; a fault's code is the method's Win32 error."""
        code = self._take_fault("reboot")
        if code is not None:
            return {"ReturnValue": ("uint32", servicing.win32_code(code) & 0xFFFFFFFF)}
        spec = self.spec.servicing
        self._down, self._restart_notice = True, True
        self._back_at = time.monotonic() + spec.restart_seconds if spec.comes_back else None
        return {"ReturnValue": ("uint32", 0)}

    def take_restart_notice(self) -> bool:
        """Whether a restart began during the worker execution that just ended (its reply is then lost)."""
        with self._lock:
            notice, self._restart_notice = self._restart_notice, False
            return notice

    def boot_generation(self) -> int | None:
        """How many restarts the host completed, or None while it is down (its WinRM service does not answer)."""
        with self._lock:
            if self._down and self._back_at is not None and time.monotonic() >= self._back_at:
                self._start()
            return None if self._down else self.boots

    def _start(self) -> None:
        """The host is back: a completed edition change takes effect, and LastBootUpTime is now."""
        self._down, self._back_at = False, None
        self.boot_time = time.time()
        self.boots += 1
        if self._pending_edition is not None:
            edition, key = self._pending_edition
            self._pending_edition = None
            entry = cast(
                catalog_view.Entry, catalog_view.entry_for(servicing.catalog_edition(edition), self.spec.build)
            )
            # The registry keeps the naming it had: with Cor only when the evaluation's EditionID carried it.
            self.edition_id = edition if self.edition_id.endswith("Cor") else servicing.catalog_edition(edition)
            self.os_sku = catalog_view.os_sku(entry, servicing.catalog_edition(edition))
            self.caption = f"Microsoft {entry.name}"
            self.product_name = self._default_product_name(entry)
            self.product = _Product("gvlk", key[-5:], "oob_grace", facts.INITIAL_GRACE)

    def _methods(self) -> dict[tuple[str, str], cim.Method]:
        """The licensing and registry methods, each wrapped with the scenario's faults and the write counters."""
        licensing: dict[tuple[str, str], Callable[[Mapping[str, Any]], int]] = {
            (SERVICE, "InstallProductKey"): lambda a: self._install(a.get("ProductKey")),
            (SERVICE, "RefreshLicenseStatus"): lambda a: hr.S_OK,
            (SERVICE, "SetKeyManagementServiceMachine"): lambda a: self._set_machine(a.get("MachineName")),
            (SERVICE, "ClearKeyManagementServiceMachine"): lambda a: self._clear("kms_machine", None),
            (SERVICE, "SetKeyManagementServicePort"): lambda a: self._set_port(a.get("PortNumber")),
            (SERVICE, "ClearKeyManagementServicePort"): lambda a: self._clear("kms_port", None),
            (SERVICE, "SetKeyManagementServiceLookupDomain"): lambda a: self._set_domain(a.get("LookupDomain")),
            (SERVICE, "ClearKeyManagementServiceLookupDomain"): lambda a: self._clear("kms_lookup_domain", None),
            (PRODUCT, "ClearKeyManagementServiceMachine"): lambda a: self._clear_product(a, "kms_machine"),
            (PRODUCT, "ClearKeyManagementServicePort"): lambda a: self._clear_product(a, "kms_port"),
            (PRODUCT, "Activate"): self._activate,
            (SERVICE, "SetVLActivationTypeEnabled"): lambda a: self._set_activation_type(a, product_level=False),
            (SERVICE, "ClearVLActivationTypeEnabled"): lambda a: self._clear_activation_type(a, product_level=False),
            (PRODUCT, "SetVLActivationTypeEnabled"): lambda a: self._set_activation_type(a, product_level=True),
            (PRODUCT, "ClearVLActivationTypeEnabled"): lambda a: self._clear_activation_type(a, product_level=True),
        }
        steps = {method: step for step, method in STEP_METHODS.items()}
        methods: dict[tuple[str, str], cim.Method] = {
            key: self._licensing_call(steps.get(key, key[1]), call) for key, call in licensing.items()
        }
        methods[(OS, "Reboot")] = self._reboot
        methods[(REGISTRY, "EnumValues")] = self._enum_values
        for getter, output, kind in _REG_GETTERS.values():
            methods[(REGISTRY, getter)] = self._registry_getter(output, kind)
        return methods

    def _licensing_call(self, step: str, call: Callable[[Mapping[str, Any]], int]) -> cim.Method:
        writes = vocabulary.changes_state(step)

        def invoke(arguments: Mapping[str, Any]) -> dict[str, cim.Typed]:
            if writes:
                self.write_calls += 1
            code = self._take_fault(step)
            if code is None:
                code = call(arguments)
            if code != hr.S_OK:
                raise failure(code)
            if writes:
                self.writes += 1
            return {"ReturnValue": ("uint32", 0)}

        return invoke

    # -- SoftwareLicensingService methods ---------------------------------------------------------

    def _install(self, key: str | None) -> int:
        key = productkey.normalize(key or "")
        if not productkey.is_well_formed(key):
            return hr.SL_E_INVALID_PRODUCT_KEY
        known = key in self.spec.accepts_keys or catalog_view.is_gvlk(key)
        if "Eval" in self.edition_id:
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

    def _set_machine(self, machine: str | None) -> int:
        if machine is None or not machine.strip():
            return hr.E_INVALIDARG
        self.kms_machine = machine
        return hr.S_OK

    def _set_domain(self, domain: str | None) -> int:
        if domain is None or not domain.strip():
            return hr.E_INVALIDARG
        self.kms_lookup_domain = domain
        return hr.S_OK

    def _set_port(self, port: int | None) -> int:
        # PortNumber is a uint32: the engine converts the step's port before calling (an out-of-range one fails there).
        if port is None or not 1 <= port <= 65535:
            return hr.E_INVALIDARG
        self.kms_port = port
        return hr.S_OK

    def _clear(self, attribute: str, value: Any) -> int:
        setattr(self, attribute, value)
        return hr.S_OK

    def _clear_product(self, arguments: Mapping[str, Any], attribute: str) -> int:
        # SoftwareLicensingProduct.ClearKeyManagementServiceMachine / ClearKeyManagementServicePort on the product the
        # path names; only the primary product keeps KMS settings here, clearing another one changes nothing.
        if self.product is not None and self._is_primary(arguments):
            setattr(self.product, attribute, None)
        return hr.S_OK

    # -- SoftwareLicensingProduct.Activate --------------------------------------------------------

    def _kms_target(self, product: _Product) -> tuple[str, int, bool] | None:
        """(machine, port, found through DNS) the product activates against: its product-level KMS host, else the
        service-wide one, else the first SRV record that answers; None without a name or a record."""
        machine = product.kms_machine or self.kms_machine
        if machine:
            return machine, product.kms_port or self.kms_port or facts.KMS_DEFAULT_PORT, False
        records = self.network.srv_records(self.kms_lookup_domain or self.spec.network.domain)
        for target, port in records:
            if self.network.reaches(target, port):
                return target, port, True
        return (records[0][0], records[0][1], True) if records else None

    def _activate(self, arguments: Mapping[str, Any]) -> int:
        product = self.product
        if product is None or not self._is_primary(arguments):
            # Another product of the host: an unkeyed licence, or an add-on, which activates over the internet.
            return (
                hr.SL_E_PKEY_NOT_INSTALLED
                if self._row(arguments).get("PartialProductKey") is None
                else (hr.WININET_E_NAME_NOT_RESOLVED)
            )
        if product.key_type == "gvlk":
            return self._activate_volume_client(product)
        if product.key_type == "avma":
            return hr.SL_E_IA_PARENT_PARTITION_NOT_ACTIVATED
        if product.key_type == "eval" and product.status == "notification":
            return hr.SL_E_VALIDITY_PERIOD_EXPIRED
        return hr.WININET_E_NAME_NOT_RESOLVED

    def _activate_volume_client(self, product: _Product) -> int:
        """A KMS client activates from its forest's activation object first, then from a KMS host (Microsoft's
        "Activate using Active Directory-based activation": "If the AD DS object cannot be retrieved, client
        computers use KMS activation"), as VLActivationTypeEnabled allows (1 AD only, 2 KMS only, 3 token only; 0 or
        null any). ADBA needs Windows 8 / Server 2012 or later and a domain member. Microsoft documents no HRESULT
        for an activation its type setting rules out; 0xC004F074 (no KMS could be contacted) is the reading that
        hides the cause best, the hardest for the controller."""
        allowed = self._effective_activation_type(product)
        if allowed in (None, 0, 1):
            ao = self._activation_object()
            if ao is not None:
                product.status, product.grace = "licensed", facts.KMS_ACTIVATION_VALIDITY
                product.activated_by, product.activation_object = 1, ao
                self.activated_against = None
                return hr.S_OK
        if allowed in (1, 3):
            return hr.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
        target = self._kms_target(product)
        if target is None:
            return hr.DNS_ERROR_RCODE_NAME_ERROR
        if not self.network.reaches(target[0], target[1]):
            return hr.SL_E_VL_BINDING_SERVICE_UNAVAILABLE
        machine, port, discovered = target
        if discovered:
            self._discovered(product, machine, port)
        if not self.kms_hosts.request(machine, self.machine_id, self._server):
            return hr.SL_E_VL_NOT_ENOUGH_COUNT  # the license stays as it was; the client retries at its interval
        product.status, product.grace = "licensed", facts.KMS_ACTIVATION_VALIDITY
        product.activated_by, product.activation_object = 2, None
        self.activated_against = machine, port
        return hr.S_OK

    def _activation_object(self) -> scenario.ActivationObjectSpec | None:
        """The activation object of the host's forest that its edition's KMS ID is enabled in, if any."""
        if not self.spec.domain_joined or self.spec.build < facts.WINDOWS_8_BUILD or self.spec.network.forest.error:
            return None
        return next((ao for ao in self.spec.network.forest.activation_objects if self.edition_id in ao.editions), None)

    def _set_activation_type(self, arguments: Mapping[str, Any], product_level: bool) -> int:
        """SetVLActivationTypeEnabled(ActivationType) (slmgr /act-type 1..3): 0x80070057 outside 1..3, whose
        clearing is ClearVLActivationTypeEnabled (slmgr /act-type 0 calls that instead)."""
        value = arguments.get("ActivationType")
        if value not in (1, 2, 3):
            return hr.E_INVALIDARG
        if product_level:
            if self.product is not None and self._is_primary(arguments):
                self.product.activation_type = value
        else:
            self.activation_type = value
        return hr.S_OK

    def _clear_activation_type(self, arguments: Mapping[str, Any], product_level: bool) -> int:
        if product_level:
            if self.product is not None and self._is_primary(arguments):
                self.product.activation_type = None
        else:
            self.activation_type = None
        return hr.S_OK

    @staticmethod
    def _row(arguments: Mapping[str, Any]) -> dict[str, Any]:
        return cast(dict[str, Any], arguments["__instance"])

    def _is_primary(self, arguments: Mapping[str, Any]) -> bool:
        """Whether a product method's path names the primary product (the keyed product that is not an add-on)."""
        row = self._row(arguments)
        return row.get("PartialProductKey") is not None and not row.get("LicenseIsAddon")

    # -- WMI: classes and instances -----------------------------------------------------------------

    def _classes(self) -> list[cim.CimClass]:
        """The classes as this release declares them (a property it lacks is not declared)."""
        missing = facts.missing_properties(self.spec.build)

        def declared(properties: dict[str, str], section: str) -> dict[str, str]:
            return {name: kind for name, kind in properties.items() if name not in missing[section]}

        return [
            cim.CimClass(OS, ("Name",), _OS_PROPERTIES),
            cim.CimClass(COMPUTER, ("Name",), _COMPUTER_PROPERTIES),
            cim.CimClass(SERVICE, ("Version",), declared(_SERVICE_PROPERTIES, "service")),
            cim.CimClass(PRODUCT, ("ID",), declared(_PRODUCT_PROPERTIES, "products")),
            cim.CimClass(REGISTRY, (), {}),
        ]

    def _instances(self, class_name: str) -> list[cim.Instance]:
        """The current instances of a class, with the properties this release declares."""
        declared = next(c for c in self._schema if c.name == class_name).properties
        rows = {
            OS: lambda: [self._os_row()],
            COMPUTER: lambda: [self._computer_row()],
            SERVICE: lambda: [self._service_row()],
            PRODUCT: self._product_rows,
            REGISTRY: list,
        }[class_name]()
        return [{name: value for name, value in row.items() if name in declared} for row in rows]

    def _os_row(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "Name": f"{self.caption}|C:\\Windows|\\Device\\Harddisk0\\Partition2",
            "Caption": self.caption,
            "Version": facts.os_version(spec.build),
            "BuildNumber": str(spec.build),
            "OperatingSystemSKU": self.os_sku,
            "ProductType": 1 if self.installation_type == "Client" else 2 if spec.domain_controller else 3,
            "CSName": self.name.upper()[:15],
            "LastBootUpTime": servicing.dmtf(self.boot_time),
        }

    def _computer_row(self) -> dict[str, Any]:
        """Win32_ComputerSystem: PartOfDomain, Domain (the workgroup's name outside a domain) and DomainRole (0
        standalone workstation, 1 member workstation, 2 standalone server, 3 member server, 4 backup and 5 primary
        domain controller)."""
        joined = self.spec.domain_joined
        role = (1 if joined else 0) + (0 if self.installation_type == "Client" else 2)
        return {
            "Name": self.name.upper()[:15],
            "PartOfDomain": joined,
            "Domain": self.spec.network.domain if joined else "WORKGROUP",
            "DomainRole": 5 if self.spec.domain_controller else role,
        }

    def _service_row(self) -> dict[str, Any]:
        return {
            "Version": f"{facts.os_version(self.spec.build)}.{self.ubr or 0}",
            "KeyManagementServiceMachine": self.kms_machine,
            "KeyManagementServicePort": self.kms_port or 0,
            "KeyManagementServiceLookupDomain": self.kms_lookup_domain,
            "DiscoveredKeyManagementServiceMachineName": self.discovered_machine,
            "DiscoveredKeyManagementServiceMachinePort": self.discovered_port,
            **self._kms_host_counters(),
            # Generated for a volume client; a retail host shows none (a real Windows 10 retail host's listing).
            "ClientMachineID": self.machine_id if self.product and self.product.key_type in ("gvlk", "mak") else "",
        }

    def _product_rows(self) -> list[dict[str, Any]]:
        # Add-ons before the primary product: the order WMI enumerates them in is not documented, and this one makes
        # the primary-product selection matter; the unkeyed licences last.
        rows = [self._addon_row(a) for a in self.spec.addons]
        if self.product is not None:
            rows.append(self._product_row(self.product))
        rows += [self._unkeyed_row(family) for family in _SIBLINGS[self._server] if family != self.edition_id]
        return rows

    def _registry_values(self) -> dict[str, tuple[int, Any]]:
        """HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion: name -> (REG_* type, data); absent values left out."""
        spec = self.spec
        values: dict[str, tuple[int, Any]] = {
            "CurrentVersion": (
                _REG_SZ,
                facts.os_version(spec.build).rsplit(".", 1)[0] if spec.build < 10240 else "6.3",
            ),
            "EditionID": (_REG_SZ, self.edition_id),
            "ProductName": (_REG_SZ, self.product_name),
            "InstallationType": (_REG_SZ, self.installation_type),
            "CurrentBuild": (_REG_SZ, str(spec.build)),
            "DigitalProductId": (_REG_BINARY, list(hashlib.sha256(self.name.encode()).digest()[:16])),
            "InstallTime": (_REG_QWORD, 133_000_000_000_000_000),
            "SystemRoot": (_REG_SZ, "C:\\Windows"),
        }
        if self.ubr is not None:
            values["UBR"] = (_REG_DWORD, self.ubr)
        display = spec.display_version or facts.display_version(spec.build)
        if display is not None:
            values["DisplayVersion"] = (_REG_SZ, display)
        return values

    def _enum_values(self, arguments: Mapping[str, Any]) -> dict[str, cim.Typed]:
        """StdRegProv.EnumValues: the value names and their types; ERROR_FILE_NOT_FOUND for another key."""
        if not self._current_version_key(arguments):
            return {
                "ReturnValue": ("uint32", ERROR_FILE_NOT_FOUND),
                "sNames": ("string[]", None),
                "Types": ("sint32[]", None),
            }
        values = self._registry_values()
        return {
            "ReturnValue": ("uint32", 0),
            "sNames": ("string[]", list(values)),
            "Types": ("sint32[]", [kind for kind, _data in values.values()]),
        }

    def _registry_getter(self, output: str, kind: str) -> cim.Method:
        """A StdRegProv.Get*Value method: the data of a value of its own type, else ERROR_FILE_NOT_FOUND (an absent
        value) or WBEM_E_TYPE_MISMATCH (another type; the method page's return values)."""
        getter_type = next(t for t, (_g, _o, k) in _REG_GETTERS.items() if k == kind and _o == output)

        def get(arguments: Mapping[str, Any]) -> dict[str, cim.Typed]:
            found = (
                self._registry_values().get(str(arguments.get("sValueName")))
                if self._current_version_key(arguments)
                else None
            )
            if found is None:
                return {"ReturnValue": ("uint32", ERROR_FILE_NOT_FOUND), output: (kind, None)}
            value_type, data = found
            if value_type != getter_type and {value_type, getter_type} != {1, 2}:
                return {"ReturnValue": ("uint32", 0x80041005), output: (kind, None)}
            return {"ReturnValue": ("uint32", 0), output: (kind, data)}

        return get

    @staticmethod
    def _current_version_key(arguments: Mapping[str, Any]) -> bool:
        return (
            arguments.get("hDefKey") == HKEY_LOCAL_MACHINE
            and str(arguments.get("sSubKeyName") or "").lower() == CURRENT_VERSION.lower()
        )

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
            **self._activation_properties(None),
        }

    def _unkeyed_row(self, license_family: str) -> dict[str, Any]:
        channel, _product_key_channel = facts.channel("gvlk", self.spec.build)
        name, description = facts.product_strings(license_family, self.spec.build, self._server, channel)
        return {
            "ID": str(uuid.uuid5(_ID_NAMESPACE, f"unkeyed|{license_family}|{channel}")),
            "Name": name,
            "Description": description,
            "ApplicationID": facts.WINDOWS_APPLICATION_ID,
            "LicenseFamily": license_family,
            "PartialProductKey": None,
            "ProductKeyChannel": None,
            "LicenseStatus": facts.LICENSE_STATUS["unlicensed"],
            "LicenseStatusReason": 0,
            "GracePeriodRemaining": 0,
            "LicenseIsAddon": False,
            "KeyManagementServiceMachine": None,
            "KeyManagementServicePort": 0,
            "DiscoveredKeyManagementServiceMachineName": None,
            "DiscoveredKeyManagementServiceMachinePort": 0,
            **self._activation_properties(None),
        }

    def _kms_host_counters(self) -> dict[str, int]:
        """The service's KMS host properties (Volume Activation Technical Reference, "WMI Properties and Methods",
        technet ff793441): IsKeyManagementServiceMachine is 1 when KMS is enabled on the computer; the current
        count is -1 (4294967295 through the uint32) on a machine that is not a KMS host, and so are the request
        counters (a real Windows 10 1803 host's Get-WmiObject SoftwareLicensingService listing: CurrentCount,
        RequiredClientCount and TotalRequests 4294967295). A CSVLK host here is enabled and has served 25 clients
        (the count client editions need; servers need 5: Microsoft's "Plan for KMS activation"); installing a GVLK
        makes it a client, which reads as never a host (the sources are silent on what the counters keep)."""
        if self.product is not None and self.product.key_type == "csvlk":
            served = self.kms_hosts.served_by(self.name)
            count = served.count if served is not None else 25  # a scenario's kms_hosts entry gives the count
            return {
                "IsKeyManagementServiceMachine": 1,
                "KeyManagementServiceCurrentCount": count,
                "KeyManagementServiceTotalRequests": count,
            }
        return {
            "IsKeyManagementServiceMachine": 0,
            "KeyManagementServiceCurrentCount": 2**32 - 1,
            "KeyManagementServiceTotalRequests": 2**32 - 1,
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
            **self._activation_properties(product),
        }

    def _activation_properties(self, product: _Product | None) -> dict[str, Any]:
        """VLActivationTypeEnabled, VLActivationType and the ADActivation* properties of a product (slmgr /dli's
        "Configured Activation Type" and AD activation block, DisplayADClientInformation). The product's own setting,
        else the service-wide one: slmgr shows only the product's value, also after /act-type without an Activation
        ID, which is read here as the product reflecting the service's setting (the sources say no more). Null
        when never set and before the first activation ("If blank, the client was never activated")."""
        ad = product.activation_object if product is not None else None
        return {
            "VLActivationTypeEnabled": self._effective_activation_type(product),
            "VLActivationType": product.activated_by if product is not None else None,
            "ADActivationObjectName": ad.name if ad else None,
            "ADActivationObjectDN": network_module.activation_object_dn(ad, self.spec.network.domain) if ad else None,
            "ADActivationCsvlkPid": network_module.csvlk_pid(ad) if ad else None,
            "ADActivationCsvlkSkuId": network_module.csvlk_sku_id(ad) if ad else None,
        }

    def _effective_activation_type(self, product: _Product | None) -> int | None:
        own = product.activation_type if product is not None else None
        return own if own is not None else self.activation_type

    def _snapshot(self) -> dict[str, Any]:
        """What WMI holds for this host: the instances the engine reads and the registry values."""
        return {
            "os": self._instances(OS)[0],
            "registry": {name: data for name, (_type, data) in self._registry_values().items()},
            "service": self._instances(SERVICE)[0],
            "products": self._instances(PRODUCT),
        }

    def state(self) -> dict[str, Any]:
        """A JSON-able dump of everything the worker can change, plus the counters."""
        row = self._product_row(self.product) if self.product else None
        service = self._service_row()
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
        """Everything the host's licensing holds, without counters: its WMI instances and registry values (never
        patched) and the KMS of the last activation. Equal dumps mean the worker changed nothing."""
        return copy.deepcopy({"wmi": self._snapshot(), "activated_against": self.activated_against})


_SHIPPED: dict[str, str] = {}


def _shipped() -> dict[str, str]:
    """The collection's C# sources, read once per process."""
    if not _SHIPPED:
        _SHIPPED.update(shipped_sources())
    return _SHIPPED
