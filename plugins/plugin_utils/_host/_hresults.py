# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HRESULTs the licensing service and the TCP test can return: symbol, meaning, cause and remedy.

Symbols and meanings follow the Windows SDK (slerror.h, winerror.h); causes and remedies follow
Microsoft's "Troubleshoot Windows activation error codes" guidance for volume activation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HResultInfo:
    """What one HRESULT means for a KMS client."""

    code: int
    symbol: str
    meaning: str
    cause: str
    remedy: str

    @property
    def hex(self) -> str:
        return format_hresult(self.code)


def _e(code: int, symbol: str, meaning: str, cause: str, remedy: str) -> tuple[int, HResultInfo]:
    return code, HResultInfo(code, symbol, meaning, cause, remedy)


_CHECK_KMS = (
    "Check that a KMS host is running, reachable on TCP port 1688 (or the configured port) and its firewall allows it."
)

TABLE: dict[int, HResultInfo] = dict(
    [
        # KMS client activation
        _e(
            0xC004F074,
            "SL_E_VL_BINDING_SERVICE_UNAVAILABLE",
            "The product could not be activated: no Key Management Service (KMS) could be contacted.",
            "The KMS host is unreachable, not answering on its port, or every KMS host returned an error.",
            _CHECK_KMS + " Set kms_host (and kms_port) explicitly if DNS auto-discovery finds the wrong host.",
        ),
        _e(
            0xC004F038,
            "SL_E_VL_NOT_ENOUGH_COUNT",
            "The product could not be activated: the count reported by the KMS is insufficient.",
            "The KMS host has not yet reached its activation threshold (5 servers, or 25 clients for Windows client editions).",
            "Wait until enough distinct machines have requested activation from the KMS host, or use Active Directory-based activation.",
        ),
        _e(
            0xC004F039,
            "SL_E_VL_BINDING_SERVICE_NOT_ENABLED",
            "The product could not be activated: the Key Management Service (KMS) is not enabled.",
            "The KMS host did not answer the request (service stopped or blocked).",
            "Start the Software Protection service on the KMS host and allow TCP 1688 through its firewall.",
        ),
        _e(
            0xC004F041,
            "SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED",
            "The Key Management Service (KMS) is not activated.",
            "The KMS host itself has not been activated with Microsoft.",
            "Activate the KMS host (slmgr /ato on the host) and retry.",
        ),
        _e(
            0xC004F042,
            "SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH",
            "The specified Key Management Service (KMS) cannot be used.",
            "The KMS host's key (CSVLK) does not cover this Windows version, e.g. an older KMS host key for a newer release.",
            "Install a newer CSVLK on the KMS host (and its servicing update), or point this client at a KMS host that covers it.",
        ),
        _e(
            0xC004F06C,
            "SL_E_VL_INVALID_TIMESTAMP",
            "The KMS determined that the request timestamp is invalid.",
            "The clocks of the client and the KMS host differ by more than four hours.",
            "Synchronise the system time of the client and the KMS host (w32tm /resync) and retry.",
        ),
        _e(
            0xC004F056,
            "SL_E_VL_MACHINE_NOT_BOUND",
            "The product could not be activated using the Key Management Service (KMS).",
            "The KMS host refused or could not complete the activation; its event log has the details.",
            "Check the KMS host's Key Management Service event log (event 12290) and the client's event 12288/12289.",
        ),
        _e(
            0xC004F035,
            "SL_E_VL_NOT_WINDOWS_SLP",
            "The computer could not be activated with a Volume license product key.",
            "Windows 7 and older volume editions require a qualifying OEM operating system (a BIOS SLIC marker).",
            "Use a MAK or retail key on this hardware, or a machine that carries a qualifying OEM license.",
        ),
        _e(
            0xC004F015,
            "SL_E_PRODUCT_SKU_NOT_INSTALLED",
            "The license is not installed.",
            "The KMS host does not hold a license for this product, typically an older KMS host asked to activate a newer edition.",
            "Update the KMS host and install a CSVLK that covers this edition.",
        ),
        _e(
            0xC004F050,
            "SL_E_INVALID_PRODUCT_KEY",
            "The product key is invalid.",
            "The key does not belong to this edition (for example the GVLK of another edition or release).",
            "Check the edition the host reports; if it is not in the catalog, give the right key in gvlk_overrides.",
        ),
        _e(
            0xC004F069,
            "SL_E_MISMATCHED_PRODUCT_SKU",
            "The product SKU is not found.",
            "The key is not accepted by this edition: evaluation editions accept no GVLK, and keys of another edition fail too.",
            "Convert an evaluation edition with DISM /Set-Edition first; otherwise use the key of the installed edition.",
        ),
        _e(
            0xC004F014,
            "SL_E_PKEY_NOT_INSTALLED",
            "The product key is not available.",
            "No product key is installed, so there is nothing to activate.",
            "Install the KMS client setup key before activating.",
        ),
        _e(
            0xC004F025,
            "SL_E_LUA_ACCESSDENIED",
            "The action requires administrator privilege.",
            "The connection user is not an administrator on the host.",
            "Connect with an account in the local Administrators group (or use become).",
        ),
        _e(
            0xC004F051,
            "SL_E_BLOCKED_PRODUCT_KEY",
            "The product key is blocked.",
            "Microsoft has blocked this key.",
            "Use another key.",
        ),
        _e(
            0xC004F061,
            "SL_E_PKEY_INVALID_UPGRADE",
            "The product key can only be used for upgrading, not for clean installations.",
            "An upgrade-only key was installed on a clean installation.",
            "Use a full (non-upgrade) key.",
        ),
        _e(
            0xC004F06B,
            "SL_E_VL_KEY_MANAGEMENT_SERVICE_VM_NOT_SUPPORTED",
            "The Key Management Service is not supported when running in a virtual machine.",
            "The KMS host role was asked to run inside a virtual machine where it is not allowed (older releases).",
            "Run the KMS host on a supported host.",
        ),
        _e(
            0xC004F07D,
            "SL_E_INVALID_PRODUCT_KEY_TYPE",
            "The product key cannot be used for this type of activation.",
            "The key's channel does not match the activation method requested.",
            "Install the KMS client setup key before KMS activation.",
        ),
        _e(
            0xC004F200,
            "SL_E_NOT_GENUINE",
            "The current state is not genuine.",
            "The licensing store reports a non-genuine installation (tampering or a corrupt store).",
            "Repair the licensing store (sfc /scannow, rebuild tokens) and reactivate.",
        ),
        _e(
            0xC004F210,
            "SL_E_EDITION_MISMATCHED",
            "The license edition does not match the computer edition.",
            "The key belongs to another edition than the one installed.",
            "Use the key of the installed edition.",
        ),
        _e(
            0xC004F075,
            "SL_E_SERVICE_STOPPING",
            "The operation cannot be completed because the service is stopping.",
            "The Software Protection service was stopping during the call.",
            "Retry once the service is running.",
        ),
        _e(
            0xC004E028,
            "SL_E_ACTIVATION_IN_PROGRESS",
            "Another activation attempt is in progress for this product.",
            "Another activation request is running on the host.",
            "Retry later.",
        ),
        _e(
            0xC004C003,
            "SL_E_CHPA_PRODUCT_KEY_BLOCKED",
            "The activation server determined the specified product key has been blocked.",
            "Microsoft's activation server rejected the key (MAK or retail activation, not KMS).",
            "Use a KMS client setup key and a KMS host, or another key.",
        ),
        _e(
            0xC004C008,
            "SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED",
            "The activation server reported that the product key has exceeded its unlock limit.",
            "The MAK has exceeded its activation count.",
            "Use KMS activation (this module) or request more MAK activations.",
        ),
        _e(
            0xC004F009,
            "SL_E_GRACE_TIME_EXPIRED",
            "The grace period expired.",
            "The host ran past its activation grace period without activating.",
            "Activate the host against a KMS host (activate: true, the default).",
        ),
        _e(
            0xC004FC07,
            "SL_E_VALIDITY_PERIOD_EXPIRED",
            "The validity period of the application has expired.",
            "An evaluation (time-based) license has expired.",
            "Convert the evaluation edition with DISM /Set-Edition and a GVLK, then reboot.",
        ),
        _e(
            0xC004FD02,
            "SL_E_IA_PARENT_PARTITION_NOT_ACTIVATED",
            "The Hyper-V host of this virtual machine is not activated.",
            "Automatic Virtual Machine Activation needs an activated Datacenter Hyper-V host.",
            "Activate the Hyper-V host, or convert this guest to a KMS client (add 'avma' to convert_from).",
        ),
        _e(
            0x80070057,
            "E_INVALIDARG",
            "The parameter is incorrect.",
            "The licensing service rejected an argument (for example a malformed KMS host name or domain).",
            "Check kms_host and kms_lookup_domain.",
        ),
        _e(
            0x80131502,
            "COR_E_ARGUMENTOUTOFRANGE",
            "Specified argument was out of the range of valid values.",
            "A value passed to the licensing service or the TCP test is out of range (for example the port).",
            "Check kms_port and tcp_timeout.",
        ),
        _e(
            0x80041003,
            "WBEM_E_ACCESS_DENIED",
            "Access denied.",
            "The connection user may not call the licensing CIM methods.",
            "Connect with an account in the local Administrators group (or use become).",
        ),
        _e(
            0x80072EE7,
            "WININET_E_NAME_NOT_RESOLVED",
            "The server name or address could not be resolved.",
            "A name the activation needs does not resolve in DNS from this host.",
            "Check the host's DNS configuration and the spelling of kms_host.",
        ),
        # Network and name resolution (Win32 errors as HRESULTs)
        _e(
            0x8007232B,
            "DNS_ERROR_RCODE_NAME_ERROR",
            "DNS name does not exist.",
            "No KMS host is configured and DNS auto-discovery found no _vlmcs._tcp SRV record (or the configured name does not resolve).",
            "Set kms_host to your KMS host, or publish the _vlmcs._tcp SRV record in the client's DNS domain (kms_lookup_domain).",
        ),
        _e(
            0x8007251D,
            "DNS_INFO_NO_RECORDS",
            "No records found for the DNS query.",
            "The KMS client could not find the KMS SRV record in DNS.",
            "Publish the _vlmcs._tcp SRV record, or set kms_host explicitly.",
        ),
        _e(
            0x8007007B,
            "ERROR_INVALID_NAME",
            "The filename, directory name, or volume label syntax is incorrect.",
            "The KMS host name or the product key given to the licensing service is malformed, or no KMS host could be located.",
            "Check kms_host, or set it explicitly instead of relying on DNS auto-discovery.",
        ),
        # The edition change of an evaluation (DISM's exit code, and Win32_OperatingSystem.Reboot()'s return)
        _e(
            0x80070032,
            "ERROR_NOT_SUPPORTED",
            "The request is not supported.",
            "DISM does not offer this edition change on the host: the edition is not among its target editions, or "
            "the host is a domain controller.",
            "Run 'DISM /online /Get-TargetEditions' on the host and choose an edition it lists, or install the "
            "edition wanted from volume-licensed media.",
        ),
        _e(
            0x80070522,
            "ERROR_PRIVILEGE_NOT_HELD",
            "A required privilege is not held by the client.",
            "Restarting the host needs the shutdown privilege, which the WinRM account does not hold.",
            "Restart the host yourself (or grant the account 'Shut down the system'), then run again.",
        ),
        _e(
            0x80070005,
            "E_ACCESSDENIED",
            "Access is denied.",
            "The connection user lacks the rights to change licensing settings (not an elevated administrator).",
            "Connect with an account in the local Administrators group (or use become).",
        ),
        _e(
            0x800706BA,
            "RPC_S_SERVER_UNAVAILABLE",
            "The RPC server is unavailable.",
            "The KMS host did not answer the activation RPC (firewall, or the host is down).",
            _CHECK_KMS,
        ),
        _e(
            0x8007274C,
            "WSAETIMEDOUT",
            "A connection attempt failed because the connected party did not properly respond after a period of time.",
            "The KMS host did not answer on its port within the TCP test timeout (host down, filtered port or wrong address).",
            _CHECK_KMS,
        ),
        _e(
            0x8007274D,
            "WSAECONNREFUSED",
            "No connection could be made because the target machine actively refused it.",
            "The KMS host name resolved but nothing listens on that port (KMS host role not installed or wrong port).",
            "Check kms_port, and that the Software Protection service on the KMS host listens on it.",
        ),
        _e(
            0x80072751,
            "WSAEHOSTUNREACH",
            "A socket operation was attempted to an unreachable host.",
            "No route from this host to the KMS host.",
            "Check routing and firewalls between the host and the KMS host.",
        ),
        _e(
            0x80072AF9,
            "WSAHOST_NOT_FOUND",
            "No such host is known.",
            "The KMS host name does not resolve in DNS from this host.",
            "Check the spelling of kms_host and the host's DNS configuration.",
        ),
        _e(
            0x80072AFC,
            "WSANO_DATA",
            "The requested name is valid, but no data of the requested type was found.",
            "The KMS host name exists in DNS but has no address record.",
            "Add an A/AAAA record for the KMS host, or use its IP address.",
        ),
    ]
)


def format_hresult(code: int) -> str:
    """Format an HRESULT the way Windows prints it: ``0xC004F074``."""
    return f"0x{code & 0xFFFFFFFF:08X}"


def normalize(code: int | str | None) -> int | None:
    """Accept an HRESULT as unsigned or signed int or a hex/decimal string; return it unsigned."""
    if code is None or code == "":
        return None
    if isinstance(code, bool):
        raise ValueError(f"not an HRESULT: {code!r}")
    if isinstance(code, str):
        code = int(code, 16) if code.lower().startswith("0x") else int(code)
    return int(code) & 0xFFFFFFFF


def lookup(code: int) -> HResultInfo:
    """The table entry for ``code``, or an ``unknown`` entry that still shows the hex value."""
    code &= 0xFFFFFFFF
    if code in TABLE:
        return TABLE[code]
    return HResultInfo(
        code,
        "unknown",
        f"Unknown HRESULT {format_hresult(code)}.",
        "The licensing service returned an error this module has no description for.",
        f"Look up {format_hresult(code)} in Microsoft's activation error documentation "
        "and the host's Application event log.",
    )


def describe(code: int, reported: str = "") -> str:
    """One sentence for a failure message: hex, symbol, meaning or the host's text, cause and remedy."""
    info = lookup(code)
    what = reported.strip() or info.meaning
    return f"{info.hex} ({info.symbol}): {what} Cause: {info.cause} Fix: {info.remedy}"
