"""Fixed facts of Windows releases and of the licensing service's strings.

Sources: the project's reference README (build numbers per release, Windows 11 reporting
"Windows 10" in ProductName, Windows 7 captions ending with a space), licensing_samples.md (names,
descriptions, channels, LicenseStatus values), TechNet "Managing License States" for Windows 7 /
Server 2008 R2 (``Name: Windows(R) 7, Enterprise edition``, ``Description: Windows Operating System -
Windows(R) 7, VOLUME_KMSCLIENT channel``, KMS host ``VOLUME_KMS_C``), slerror.h for reason codes.
"""

from __future__ import annotations

from winsim import hresult_codes as hr

WINDOWS_APPLICATION_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"
KMS_DEFAULT_PORT = 1688
DAY = 24 * 60  # GracePeriodRemaining is in minutes
KMS_ACTIVATION_VALIDITY = 180 * DAY  # a KMS activation is valid 180 days
INITIAL_GRACE = 30 * DAY  # out-of-box grace of volume editions
AVMA_ACTIVATION_VALIDITY = 7 * DAY  # AVMA renews its activation every 7 days
OOT_GRACE = 3 * DAY
WINDOWS_7_BUILD = 7600  # SppWmi (Windows 7 / 2008 R2): product-level and discovered KMS properties exist from here on
WINDOWS_8_BUILD = 9200  # ProductKeyChannel exists from here on
WINDOWS_10_BUILD = 10240

# Editions a Windows 10/11 edition changes to, in place and without a reboot, when the product key of the
# target edition is installed (Microsoft Learn "Windows edition upgrade", table of upgrade paths: Pro > Pro
# for Workstations, Pro > Pro Education, Pro > Enterprise, Pro for Workstations > Pro Education, Pro for
# Workstations > Enterprise; "each desktop edition also has an N and KN SKU ... upgraded to corresponding N
# or KN SKUs"). Paths that need a reboot (to Education) are left out: InstallProductKey alone does not
# finish them.
_UPGRADES = {
    "Professional": ("ProfessionalWorkstation", "ProfessionalEducation", "Enterprise"),
    "ProfessionalWorkstation": ("ProfessionalEducation", "Enterprise"),
}
EDITION_UPGRADES: dict[str, tuple[str, ...]] = {
    **_UPGRADES,
    **{f"{source}N": tuple(f"{target}N" for target in targets) for source, targets in _UPGRADES.items()},
}

LICENSE_STATUS = {
    "unlicensed": 0,
    "licensed": 1,
    "oob_grace": 2,
    "oot_grace": 3,
    "non_genuine_grace": 4,
    "notification": 5,
    "extended_grace": 6,
}

# key type -> (Description channel on Windows 8+, ProductKeyChannel)
CHANNELS = {
    "gvlk": ("VOLUME_KMSCLIENT", "Volume:GVLK"),
    "mak": ("VOLUME_MAK", "Volume:MAK"),
    "retail": ("RETAIL", "Retail"),
    "oem": ("OEM_DM", "OEM:DM"),
    "csvlk": ("VOLUME_KMS_2012-R2_WIN10", "Volume:CSVLK"),
    "eval": ("TIMEBASED_EVAL", "Retail:TB:Eval"),
    "avma": ("VIRTUAL_MACHINE_ACTIVATION", "VT:IA"),
}
_OLD_CHANNELS = {"oem": "OEM_SLP", "csvlk": "VOLUME_KMS_C"}  # Windows 7 / 2008 R2 and older


def os_version(build: int) -> str:
    """Win32_OperatingSystem.Version: NT 6.0 Vista/2008, 6.1 7/2008 R2, 6.2 8/2012, 6.3 8.1/2012 R2, 10.0 after."""
    if build >= 10240:
        return f"10.0.{build}"
    if build >= 9600:
        return f"6.3.{build}"
    if build >= 9200:
        return f"6.2.{build}"
    if build >= 7600:
        return f"6.1.{build}"
    return f"6.0.{build}"


def display_version(build: int) -> str | None:
    """Registry DisplayVersion, written since 20H2 (19042); absent (null) on older releases."""
    return {
        19042: "20H2",
        19043: "21H1",
        19044: "21H2",
        19045: "22H2",
        20348: "21H2",
        22000: "21H2",
        22621: "22H2",
        22631: "23H2",
        25398: "23H2",
        26100: "24H2",
    }.get(build)


def channel(key_type: str, build: int) -> tuple[str, str | None]:
    """(Description channel, ProductKeyChannel) of an installed key; ProductKeyChannel is null before Windows 8."""
    description, product_key_channel = CHANNELS[key_type]
    if build < WINDOWS_8_BUILD:
        return _OLD_CHANNELS.get(key_type, description), None
    return description, product_key_channel


_DISCOVERED = ("DiscoveredKeyManagementServiceMachineName", "DiscoveredKeyManagementServiceMachinePort")


_AD_ACTIVATION = (
    "VLActivationTypeEnabled",
    "VLActivationType",
    "ADActivationObjectName",
    "ADActivationObjectDN",
    "ADActivationCsvlkPid",
    "ADActivationCsvlkSkuId",
)


def missing_properties(build: int) -> dict[str, tuple[str, ...]]:
    """Probe properties the licensing classes lack on a release, per probe section.

    Vista / 2008 (SLWmi): the service has no KeyManagementServicePort (its method list has no
    SetKeyManagementServicePort) and no Discovered* properties, the product none of the KMS properties
    (slwmiprov class pages). ProductKeyChannel, the activation-type and the AD activation properties are Windows 8
    additions (SPP 6.2, with Active Directory-based activation). Which release added
    KeyManagementServiceLookupDomain and ClientMachineID is not documented (the SppWmi class page lists neither
    KeyManagementServiceLookupDomain nor KeyManagementServicePort); the lookup domain is taken as absent before
    Windows 8 and the machine ID before Windows 7, the harder answers for the controller.
    """
    service: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    if build < WINDOWS_8_BUILD:
        service += ("KeyManagementServiceLookupDomain",)
        products += ("ProductKeyChannel", *_AD_ACTIVATION)
    if build < WINDOWS_7_BUILD:
        service = ("KeyManagementServicePort", *service, *_DISCOVERED, "ClientMachineID")
        products += ("KeyManagementServiceMachine", "KeyManagementServicePort", *_DISCOVERED)
    return {"service": service, "products": products}


def addon_strings(license_family: str, edition_id: str, build: int) -> tuple[str, str]:
    """(Name, Description) of an Extended Security Update add-on. The add-on is a MAK licence ("ESU MAK
    add-on key", Microsoft Learn "Obtaining Extended Security Updates for eligible Windows devices"); the
    exact wording of its Name is not published, so the primary product's pattern is used."""
    family = "Windows(R)" if build >= WINDOWS_8_BUILD else "Windows(R) 7"
    channel_name = "VOLUME_MAK"
    return f"{family}, {license_family} add-on for {edition_id}", f"Windows(R) Operating System, {channel_name} channel"


def product_strings(edition_id: str, build: int, server: bool, channel_name: str) -> tuple[str, str]:
    """SoftwareLicensingProduct (Name, Description) as the licensing service words them on that release."""
    if build >= WINDOWS_8_BUILD:
        return f"Windows(R), {edition_id} edition", f"Windows(R) Operating System, {channel_name} channel"
    family = "Windows Server(R)" if server else ("Windows(R) 7" if build >= 7600 else "Windows(TM) Vista")
    return f"{family}, {edition_id} edition", f"Windows Operating System - {family}, {channel_name} channel"


def status_reason(status: str, key_type: str) -> int:
    """LicenseStatusReason (an HRESULT) Windows reports with each LicenseStatus."""
    if status == "licensed":
        return hr.SL_I_TIMEBASED_VALIDITY_PERIOD if key_type == "eval" else hr.S_OK
    if status == "notification":
        if key_type == "eval":
            return hr.SL_E_VALIDITY_PERIOD_EXPIRED
        return hr.SL_E_VL_MACHINE_NOT_BOUND if key_type == "gvlk" else hr.SL_E_GRACE_TIME_EXPIRED
    return {
        "unlicensed": hr.SL_E_GRACE_TIME_EXPIRED,
        "oob_grace": hr.SL_I_OOB_GRACE_PERIOD,
        "oot_grace": hr.SL_I_OOT_GRACE_PERIOD,
        "non_genuine_grace": hr.SL_I_NONGENUINE_GRACE_PERIOD,
        "extended_grace": hr.SL_I_TIMEBASED_EXTENDED_GRACE_PERIOD,
    }[status]


def grace_minutes(status: str, key_type: str) -> int:
    """GracePeriodRemaining for a state: validity left when licensed by KMS/AVMA/eval, grace left in grace states."""
    if status == "licensed":
        return {"gvlk": KMS_ACTIVATION_VALIDITY, "eval": KMS_ACTIVATION_VALIDITY, "avma": AVMA_ACTIVATION_VALIDITY}.get(
            key_type, 0
        )
    return {
        "oob_grace": INITIAL_GRACE,
        "oot_grace": OOT_GRACE,
        "non_genuine_grace": INITIAL_GRACE,
        "extended_grace": INITIAL_GRACE,
    }.get(status, 0)
