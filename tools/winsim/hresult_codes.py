"""HRESULTs a Windows host returns to the worker, with the text Windows prints for them.

Sources: slerror.h of the Windows SDK (``SL_*`` codes and their MessageText), winerror.h
(``E_INVALIDARG``, ``DNS_ERROR_RCODE_NAME_ERROR``, the ``WSAE*`` socket errors as ``0x80070000 | code``),
wbemcli.h (``WBEM_E_*``). Messages are the English system text.
"""

from __future__ import annotations

S_OK = 0x00000000
COR_E_INVALIDCAST = 0x80004002
E_POINTER = 0x80004003
E_ACCESSDENIED = 0x80070005
E_INVALIDARG = 0x80070057
ERROR_NOT_SUPPORTED = 0x80070032
ERROR_PRIVILEGE_NOT_HELD = 0x80070522
DNS_ERROR_RCODE_NAME_ERROR = 0x8007232B
WSAETIMEDOUT = 0x8007274C
WSAECONNREFUSED = 0x8007274D
WSAHOST_NOT_FOUND = 0x80072AF9
WININET_E_NAME_NOT_RESOLVED = 0x80072EE7
COR_E_ARGUMENTOUTOFRANGE = 0x80131502
COR_E_OVERFLOW = 0x80131516
WBEM_E_ACCESS_DENIED = 0x80041003

SL_I_OOB_GRACE_PERIOD = 0x4004F00C
SL_I_OOT_GRACE_PERIOD = 0x4004F00D
SL_I_NONGENUINE_GRACE_PERIOD = 0x4004F065
SL_I_TIMEBASED_VALIDITY_PERIOD = 0x4004FC04
SL_I_TIMEBASED_EXTENDED_GRACE_PERIOD = 0x4004FC06
SL_E_GRACE_TIME_EXPIRED = 0xC004F009
SL_E_PKEY_NOT_INSTALLED = 0xC004F014
SL_E_LUA_ACCESSDENIED = 0xC004F025
SL_E_VL_NOT_ENOUGH_COUNT = 0xC004F038
SL_E_VL_BINDING_SERVICE_NOT_ENABLED = 0xC004F039
SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED = 0xC004F041
SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH = 0xC004F042
SL_E_INVALID_PRODUCT_KEY = 0xC004F050
SL_E_VL_MACHINE_NOT_BOUND = 0xC004F056
SL_E_MISMATCHED_PRODUCT_SKU = 0xC004F069
SL_E_VL_INVALID_TIMESTAMP = 0xC004F06C
SL_E_VL_BINDING_SERVICE_UNAVAILABLE = 0xC004F074
SL_E_VALIDITY_PERIOD_EXPIRED = 0xC004FC07
SL_E_CHPA_PRODUCT_KEY_BLOCKED = 0xC004C003
SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED = 0xC004C008
SL_E_IA_PARENT_PARTITION_NOT_ACTIVATED = 0xC004FD02

_TEXT: dict[int, tuple[str, str]] = {
    S_OK: ("S_OK", ""),
    COR_E_INVALIDCAST: ("COR_E_INVALIDCAST", "Specified cast is not valid."),
    E_POINTER: ("E_POINTER", "Value cannot be null."),
    E_ACCESSDENIED: ("E_ACCESSDENIED", "Access is denied."),
    E_INVALIDARG: ("E_INVALIDARG", "The parameter is incorrect."),
    ERROR_NOT_SUPPORTED: ("ERROR_NOT_SUPPORTED", "The request is not supported."),
    ERROR_PRIVILEGE_NOT_HELD: ("ERROR_PRIVILEGE_NOT_HELD", "A required privilege is not held by the client."),
    DNS_ERROR_RCODE_NAME_ERROR: ("DNS_ERROR_RCODE_NAME_ERROR", "DNS name does not exist."),
    WSAETIMEDOUT: (
        "WSAETIMEDOUT",
        "A connection attempt failed because the connected party did not properly respond after a period "
        "of time, or established connection failed because connected host has failed to respond.",
    ),
    WSAECONNREFUSED: (
        "WSAECONNREFUSED",
        "No connection could be made because the target machine actively refused it.",
    ),
    WSAHOST_NOT_FOUND: ("WSAHOST_NOT_FOUND", "No such host is known."),
    WININET_E_NAME_NOT_RESOLVED: (
        "WININET_E_NAME_NOT_RESOLVED",
        "The server name or address could not be resolved",
    ),
    COR_E_ARGUMENTOUTOFRANGE: (
        "COR_E_ARGUMENTOUTOFRANGE",
        "Specified argument was out of the range of valid values.",
    ),
    WBEM_E_ACCESS_DENIED: ("WBEM_E_ACCESS_DENIED", "Access denied"),
    SL_I_OOB_GRACE_PERIOD: (
        "SL_I_OOB_GRACE_PERIOD",
        "The Software Licensing Service reported that the application is running within the valid grace period.",
    ),
    SL_I_OOT_GRACE_PERIOD: (
        "SL_I_OOT_GRACE_PERIOD",
        "The Software Licensing Service reported that the application is running within the valid out of "
        "tolerance grace period.",
    ),
    SL_I_NONGENUINE_GRACE_PERIOD: (
        "SL_I_NONGENUINE_GRACE_PERIOD",
        "The Software Licensing Service reported that the application is running within the valid "
        "non-genuine grace period.",
    ),
    SL_I_TIMEBASED_VALIDITY_PERIOD: (
        "SL_I_TIMEBASED_VALIDITY_PERIOD",
        "The Software Licensing Service reported that the application is running within the timebased validity period.",
    ),
    SL_I_TIMEBASED_EXTENDED_GRACE_PERIOD: (
        "SL_I_TIMEBASED_EXTENDED_GRACE_PERIOD",
        "The Software Licensing Service reported that the application is running within the valid extended "
        "grace period.",
    ),
    SL_E_GRACE_TIME_EXPIRED: (
        "SL_E_GRACE_TIME_EXPIRED",
        "The Software Licensing Service reported that the grace period expired.",
    ),
    SL_E_PKEY_NOT_INSTALLED: (
        "SL_E_PKEY_NOT_INSTALLED",
        "The Software Licensing Service reported that the product key is not available.",
    ),
    SL_E_LUA_ACCESSDENIED: (
        "SL_E_LUA_ACCESSDENIED",
        "The Software Licensing Service reported that the action requires administrator privilege.",
    ),
    SL_E_VL_NOT_ENOUGH_COUNT: (
        "SL_E_VL_NOT_ENOUGH_COUNT",
        "The Software Licensing Service reported that the product could not be activated. The count reported "
        "by your Key Management Service (KMS) is insufficient. Please contact your system administrator.",
    ),
    SL_E_VL_BINDING_SERVICE_NOT_ENABLED: (
        "SL_E_VL_BINDING_SERVICE_NOT_ENABLED",
        "The Software Licensing Service reported that the product could not be activated.  The Key "
        "Management Service (KMS) is not enabled.",
    ),
    SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED: (
        "SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED",
        "The Software Licensing Service determined that the Key Management Service (KMS) is not activated. "
        "KMS needs to be activated. Please contact system administrator.",
    ),
    SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH: (
        "SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH",
        "The Software Licensing Service determined that the specified Key Management Service (KMS) cannot be used.",
    ),
    SL_E_INVALID_PRODUCT_KEY: (
        "SL_E_INVALID_PRODUCT_KEY",
        "The Software Licensing Service reported that the product key is invalid.",
    ),
    SL_E_VL_MACHINE_NOT_BOUND: (
        "SL_E_VL_MACHINE_NOT_BOUND",
        "The Software Licensing Service reported that the product could not be activated using the Key "
        "Management Service (KMS).",
    ),
    SL_E_MISMATCHED_PRODUCT_SKU: (
        "SL_E_MISMATCHED_PRODUCT_SKU",
        "The Software Licensing Service reported that the product SKU is not found.",
    ),
    SL_E_VL_INVALID_TIMESTAMP: (
        "SL_E_VL_INVALID_TIMESTAMP",
        "The Software Licensing Service reported that the product could not be activated. The Key "
        "Management Service (KMS) determined that the request timestamp is invalid.",
    ),
    SL_E_VL_BINDING_SERVICE_UNAVAILABLE: (
        "SL_E_VL_BINDING_SERVICE_UNAVAILABLE",
        "The Software Licensing Service reported that the product could not be activated. No Key Management "
        "Service (KMS) could be contacted. Please see the Application Event Log for additional information.",
    ),
    SL_E_VALIDITY_PERIOD_EXPIRED: (
        "SL_E_VALIDITY_PERIOD_EXPIRED",
        "The Software Licensing Service reported that the validity period expired.",
    ),
    SL_E_CHPA_PRODUCT_KEY_BLOCKED: (
        "SL_E_CHPA_PRODUCT_KEY_BLOCKED",
        "The activation server determined the specified product key has been blocked.",
    ),
    SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED: (
        "SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED",
        "The activation server reported that the product key has exceeded its unlock limit.",
    ),
    SL_E_IA_PARENT_PARTITION_NOT_ACTIVATED: (
        "SL_E_IA_PARENT_PARTITION_NOT_ACTIVATED",
        "Windows isn't activated on the host machine. Please contact your system administrator.",
    ),
}


def unsigned(hresult: int) -> int:
    """The unsigned 32-bit form of an HRESULT given signed (as .NET reports it) or unsigned."""
    return hresult & 0xFFFFFFFF


def message(hresult: int) -> str:
    """The text Windows prints for ``hresult`` (FormatMessage falls back to a generic text)."""
    entry = _TEXT.get(unsigned(hresult))
    if entry:
        return entry[1]
    return f"Unknown error (0x{unsigned(hresult):08X})"
