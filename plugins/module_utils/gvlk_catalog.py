# Copyright: (c) volume_activation.kms maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Catalog of Microsoft's KMS client setup keys (GVLKs) and the resolver from host facts to key.

Source of every key: Microsoft's page "Key Management Services (KMS) client activation and product
keys" (revision 2025-06-25), as recorded in the project's reference table. Pure Python, standard
library only, so any controller-side plugin can import it by its full name.

Resolution rules (never guess: a wrong key is worse than no key):

* The edition is read from the registry ``EditionID`` (= ``SoftwareLicensingProduct.LicenseFamily``)
  plus the build; then from ``OperatingSystemSKU`` plus the build; then from an English caption.
* Windows 10/11 client editions (Pro, Pro N, Pro for Workstations (N), Pro Education (N),
  Education (N), Enterprise (N), Enterprise G (N)) share one key across every build from 10240 on,
  future builds included; the name reported is Windows 11's from build 22000 on. Every other
  edition needs a build the catalog lists for it.
* Server Core: on 2016 and later the key is the edition's key. A Server Core host reports the same
  SKU as Desktop Experience; if it reports a ``…Cor`` EditionID (``ServerStandardCor``,
  ``ServerDatacenterCor``, ``ServerTurbineCor``, as DISM names them) or a Server Core SKU (148,
  147, 408), it is resolved as the edition without the suffix, for builds where that edition has a
  key. Semi-Annual Channel editions (``…ACor``) are separate editions with their own keys.
* Microsoft's page lists four keys under "Windows Server 2012" that belong to the Windows 8 Home
  editions (``Core``, ``CoreN``, ``CoreSingleLanguage``, ``CoreCountrySpecific``, build 9200).
  The catalog files them under Windows 8, so they are never offered to a server.
* Captions are localized and sometimes lack the year; only English captions equal to an edition
  name of the catalog are read, and a year-less server caption needs the build to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ENTRIES",
    "KEY_ALPHABET",
    "NO_KEY_EDITIONS",
    "CatalogError",
    "Entry",
    "NoKeyEdition",
    "Resolution",
    "UnknownEdition",
    "UnsupportedEdition",
    "entries_for_key",
    "is_valid_product_key",
    "key_fits",
    "parse_build",
    "partial_key",
    "resolve",
]

# Release builds of Windows 10 and Windows 11 that Microsoft's page names (table tokens W10, W11).
_BUILD_SETS: dict[str, tuple[int, ...]] = {
    "W10": (10240, 10586, 14393, 15063, 16299, 17134, 17763, 18362, 18363, 19041, 19042, 19043, 19044, 19045),
    "W11": (22000, 22621, 22631, 26100),
}
WINDOWS_11_FIRST_BUILD = 22000

# One line per edition row of Microsoft's page, grouped by [family]. Columns: key, EditionIDs, SKUs
# (comma-separated and parallel when several), builds ("W10+"/"W11+": the release builds of that
# set and every later build), edition name.
# key                          EditionIDs                             SKUs   builds                         edition
_KEY_TABLE = """
[Windows 11 and Windows 10 Semi-Annual Channel]
W269N-WFGWX-YVC9B-4J6C9-T83GX  Professional                           48     W11+                           Windows 11 Pro
W269N-WFGWX-YVC9B-4J6C9-T83GX  Professional                           48     W10+                           Windows 10 Pro
MH37W-N47XK-V7XM9-C7227-GCQG9  ProfessionalN                          49     W11+                           Windows 11 Pro N
MH37W-N47XK-V7XM9-C7227-GCQG9  ProfessionalN                          49     W10+                           Windows 10 Pro N
NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J  ProfessionalWorkstation                161    W11+                           Windows 11 Pro for Workstations
NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J  ProfessionalWorkstation                161    W10+                           Windows 10 Pro for Workstations
9FNHH-K3HBT-3W4TD-6383H-6XYWF  ProfessionalWorkstationN               162    W11+                           Windows 11 Pro for Workstations N
9FNHH-K3HBT-3W4TD-6383H-6XYWF  ProfessionalWorkstationN               162    W10+                           Windows 10 Pro for Workstations N
6TP4R-GNPTD-KYYHQ-7B7DP-J447Y  ProfessionalEducation                  164    W11+                           Windows 11 Pro Education
6TP4R-GNPTD-KYYHQ-7B7DP-J447Y  ProfessionalEducation                  164    W10+                           Windows 10 Pro Education
YVWGF-BXNMC-HTQYQ-CPQ99-66QFC  ProfessionalEducationN                 165    W11+                           Windows 11 Pro Education N
YVWGF-BXNMC-HTQYQ-CPQ99-66QFC  ProfessionalEducationN                 165    W10+                           Windows 10 Pro Education N
NW6C2-QMPVW-D7KKK-3GKT6-VCFB2  Education                              121    W11+                           Windows 11 Education
NW6C2-QMPVW-D7KKK-3GKT6-VCFB2  Education                              121    W10+                           Windows 10 Education
2WH4N-8QGBV-H22JP-CT43Q-MDWWJ  EducationN                             122    W11+                           Windows 11 Education N
2WH4N-8QGBV-H22JP-CT43Q-MDWWJ  EducationN                             122    W10+                           Windows 10 Education N
NPPR9-FWDCX-D2C8J-H872K-2YT43  Enterprise                             4      W11+                           Windows 11 Enterprise
NPPR9-FWDCX-D2C8J-H872K-2YT43  Enterprise                             4      W10+                           Windows 10 Enterprise
DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4  EnterpriseN                            27     W11+                           Windows 11 Enterprise N
DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4  EnterpriseN                            27     W10+                           Windows 10 Enterprise N
YYVX9-NTFWV-6MDM3-9PT4T-4M68B  EnterpriseG                            171    W11+                           Windows 11 Enterprise G
YYVX9-NTFWV-6MDM3-9PT4T-4M68B  EnterpriseG                            171    W10+                           Windows 10 Enterprise G
44RPN-FTY23-9VTTB-MP9BX-T84FV  EnterpriseGN                           172    W11+                           Windows 11 Enterprise G N
44RPN-FTY23-9VTTB-MP9BX-T84FV  EnterpriseGN                           172    W10+                           Windows 10 Enterprise G N
[Windows 11 LTSC 2024 / Windows 10 LTSC 2021, 2019]
M7XTQ-FN8P6-TTKYV-9D4CC-J462D  EnterpriseS                            125    26100                          Windows 11 Enterprise LTSC 2024
M7XTQ-FN8P6-TTKYV-9D4CC-J462D  EnterpriseS                            125    19044                          Windows 10 Enterprise LTSC 2021
M7XTQ-FN8P6-TTKYV-9D4CC-J462D  EnterpriseS                            125    17763                          Windows 10 Enterprise LTSC 2019
92NFX-8DJQP-P6BBQ-THF9C-7CG2H  EnterpriseSN                           126    26100                          Windows 11 Enterprise N LTSC 2024
92NFX-8DJQP-P6BBQ-THF9C-7CG2H  EnterpriseSN                           126    19044                          Windows 10 Enterprise N LTSC 2021
92NFX-8DJQP-P6BBQ-THF9C-7CG2H  EnterpriseSN                           126    17763                          Windows 10 Enterprise N LTSC 2019
[Windows IoT LTSC]
KBN8V-HFGQ4-MGXVD-347P6-PDQGT  IoTEnterpriseS                         191    26100                          Windows IoT Enterprise LTSC 2024
KBN8V-HFGQ4-MGXVD-347P6-PDQGT  IoTEnterpriseS                         191    19044                          Windows IoT Enterprise LTSC 2021
[Windows 10 LTSB 2016]
DCPHK-NFMTC-H88MJ-PFHPY-QJ4BJ  EnterpriseS                            125    14393                          Windows 10 Enterprise LTSB 2016
QFFDN-GRT3P-VKWWX-X7T3R-8B639  EnterpriseSN                           126    14393                          Windows 10 Enterprise N LTSB 2016
[Windows 10 LTSB 2015]
WNMTR-4C88C-JK8YV-HQ7T2-76DF9  EnterpriseS                            125    10240                          Windows 10 Enterprise LTSB 2015
2F77B-TNFGY-69QQF-B8YKP-D69TJ  EnterpriseSN                           126    10240                          Windows 10 Enterprise N LTSB 2015
[Windows 8.1]
GCRJD-8NW9H-F2CDX-CCM8D-9D6T9  Professional                           48     9600                           Windows 8.1 Pro
HMCNV-VVBFX-7HMBH-CTY9B-B4FXY  ProfessionalN                          49     9600                           Windows 8.1 Pro N
MHF9N-XY6XB-WVXMC-BTDCT-MKKG7  Enterprise                             4      9600                           Windows 8.1 Enterprise
TT4HM-HN7YT-62K67-RGRQJ-JFFXW  EnterpriseN                            27     9600                           Windows 8.1 Enterprise N
[Windows 8]
NG4HW-VH26C-733KW-K6F98-J8CK4  Professional                           48     9200                           Windows 8 Pro
XCVCF-2NXM9-723PB-MHCB7-2RYQQ  ProfessionalN                          49     9200                           Windows 8 Pro N
32JNW-9KQ84-P47T8-D8GGY-CWCK7  Enterprise                             4      9200                           Windows 8 Enterprise
JMNMF-RHW7P-DMY6X-RF3DR-X2BQT  EnterpriseN                            27     9200                           Windows 8 Enterprise N
BN3D2-R7TKB-3YPBD-8DRP2-27GG4  Core                                   101    9200                           Windows 8
8N2M2-HWPGY-7PGT9-HGDD8-GVGGY  CoreN                                  98     9200                           Windows 8 N
2WN2H-YGCQR-KFX6K-CD6TF-84YXQ  CoreSingleLanguage                     100    9200                           Windows 8 Single Language
4K36P-JN4VD-GDC6V-KDT89-DYFKP  CoreCountrySpecific                    99     9200                           Windows 8 China
[Windows 7]
FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4  Professional                           48     7600 7601                      Windows 7 Professional
MRPKT-YTG23-K7D7T-X2JMM-QY7MG  ProfessionalN                          49     7600 7601                      Windows 7 Professional N
W82YF-2Q76Y-63HXB-FGJG9-GF7QX  ProfessionalE                          69     7600 7601                      Windows 7 Professional E
33PXH-7Y6KF-2VJC9-XBBR8-HVTHH  Enterprise                             4      7600 7601                      Windows 7 Enterprise
YDRBP-3D83W-TY26F-D46B2-XCKRJ  EnterpriseN                            27     7600 7601                      Windows 7 Enterprise N
C29WB-22CC8-VJ326-GHFJW-H9DH4  EnterpriseE                            70     7600 7601                      Windows 7 Enterprise E
[Windows Vista]
YFKBB-PQJJV-G996G-VWGXY-2V3X8  Business                               6      6000 6001 6002                 Windows Vista Business
HMBQG-8H2RH-C77VX-27R82-VMQBT  BusinessN                              16     6000 6001 6002                 Windows Vista Business N
VKK3X-68KWM-X2YGT-QR4M6-4BWMV  Enterprise                             4      6000 6001 6002                 Windows Vista Enterprise
VTC42-BM838-43QHV-84HX6-XJXKV  EnterpriseN                            27     6000 6001 6002                 Windows Vista Enterprise N
[Windows Server 2025]
TVRH6-WHNXV-R9WG3-9XRFY-MY832  ServerStandard                         7      26100                          Windows Server 2025 Standard
D764K-2NDRG-47T6Q-P8T8W-YP6DF  ServerDatacenter                       8      26100                          Windows Server 2025 Datacenter
XGN3F-F394H-FD2MY-PP6FD-8MCRC  ServerTurbine                          407    26100                          Windows Server 2025 Datacenter: Azure Edition
[Windows Server 2022]
VDYBN-27WPP-V4HQT-9VMD4-VMK7H  ServerStandard                         7      20348                          Windows Server 2022 Standard
WX4NM-KYWYW-QJJR4-XV3QB-6VM33  ServerDatacenter                       8      20348                          Windows Server 2022 Datacenter
NTBV8-9K7Q8-V27C6-M2BTV-KHMXV  ServerTurbine                          407    20348                          Windows Server 2022 Datacenter: Azure Edition
[Windows Server 2019]
N69G4-B89J2-4G8F4-WWYCC-J464C  ServerStandard                         7      17763                          Windows Server 2019 Standard
WMDGN-G9PQG-XVVXX-R3X43-63DFG  ServerDatacenter                       8      17763                          Windows Server 2019 Datacenter
WVDHN-86M7X-466P6-VHXV7-YY726  ServerSolution                         50     17763                          Windows Server 2019 Essentials
[Windows Server 2016]
WC2BQ-8NRM3-FDDYY-2BFGV-KHKQY  ServerStandard                         7      14393                          Windows Server 2016 Standard
CB7KF-BWN84-R7R2Y-793K2-8XDDG  ServerDatacenter                       8      14393                          Windows Server 2016 Datacenter
JCKRF-N37P4-C2D82-9YXRT-4M63B  ServerSolution                         50     14393                          Windows Server 2016 Essentials
[Windows Server, versions 20H2, 2004, 1909, 1903, and 1809]
N2KJX-J94YW-TQVFB-DG9YT-724CC  ServerStandardACor                     146    17763 18362 18363 19041 19042  Windows Server Standard
6NMRW-2C8FM-D24W7-TQWMY-CWH2D  ServerDatacenterACor                   145    17763 18362 18363 19041 19042  Windows Server Datacenter
[Windows Server, version 1803]
PTXN8-JFHJM-4WC78-MPCBR-9W4KR  ServerStandardACor                     146    17134                          Windows Server Standard
2HXDN-KRXHB-GPYC7-YCKFJ-7FVDG  ServerDatacenterACor                   145    17134                          Windows Server Datacenter
[Windows Server, version 1709]
DPCNP-XQFKJ-BJF7R-FRC8D-GF6G4  ServerStandardACor                     146    16299                          Windows Server Standard
6Y6KB-N82V8-D8CQV-23MJW-BWTG6  ServerDatacenterACor                   145    16299                          Windows Server Datacenter
[Windows Server 2012 R2]
D2N9P-3P6X9-2R39C-7RTCD-MDVJX  ServerStandard                         7      9600                           Windows Server 2012 R2 Standard
W3GGN-FT8W3-Y4M27-J84CP-Q3VJ9  ServerDatacenter                       8      9600                           Windows Server 2012 R2 Datacenter
KNC87-3J2TX-XB4WP-VCPJV-M4FWM  ServerSolution                         50     9600                           Windows Server 2012 R2 Essentials
[Windows Server 2012]
XC9B7-NBPP2-83J2H-RHMBY-92BT4  ServerStandard                         7      9200                           Windows Server 2012 Standard
HM7DN-YVMH3-46JC3-XYTG7-CYQJJ  ServerMultiPointStandard               76     9200                           Windows Server 2012 MultiPoint Standard
XNH6W-2V9GX-RGJ4K-Y8X6F-QGJ2G  ServerMultiPointPremium                77     9200                           Windows Server 2012 MultiPoint Premium
48HP8-DN98B-MYWDG-T2DCC-8W83P  ServerDatacenter                       8      9200                           Windows Server 2012 Datacenter
HTDQM-NBMMG-KGYDT-2DTKT-J2MPV  ServerSolution                         50     9200                           Windows Server 2012 Essentials
[Windows Server 2008 R2]
6TPJF-RBVHG-WBW2R-86QPH-6RTM4  ServerWeb,ServerWebCore                17,29  7600 7601                      Windows Server 2008 R2 Web
TT8MH-CG224-D3D7Q-498W2-9QCTX  ServerHPC                              18     7600 7601                      Windows Server 2008 R2 HPC edition
YC6KT-GKW9T-YTKYR-T4X34-R7VHC  ServerStandard,ServerStandardCore      7,13   7600 7601                      Windows Server 2008 R2 Standard
489J6-VHDMP-X63PK-3K798-CPX3Y  ServerEnterprise,ServerEnterpriseCore  10,14  7600 7601                      Windows Server 2008 R2 Enterprise
74YFP-3QFB3-KQT8W-PMXWJ-7M648  ServerDatacenter,ServerDatacenterCore  8,12   7600 7601                      Windows Server 2008 R2 Datacenter
GT63C-RJFQ3-4GMB6-BRFB9-CB83V  ServerEnterpriseIA64                   15     7600 7601                      Windows Server 2008 R2 for Itanium-based Systems
[Windows Server 2008]
WYR28-R7TFJ-3X2YQ-YCY4H-M249D  ServerWeb                              17     6001 6002                      Windows Web Server 2008
TM24T-X9RMF-VWXK6-X8JC9-BFGM2  ServerStandard                         7      6001 6002                      Windows Server 2008 Standard
W7VD6-7JFBR-RX26B-YKQ3Y-6FFFJ  ServerStandardV                        36     6001 6002                      Windows Server 2008 Standard without Hyper-V
YQGMW-MPWTJ-34KDK-48M3W-X4Q6V  ServerEnterprise                       10     6001 6002                      Windows Server 2008 Enterprise
39BXF-X8Q23-P2WWT-38T2F-G3FPG  ServerEnterpriseV                      38     6001 6002                      Windows Server 2008 Enterprise without Hyper-V
RCTX3-KWVHP-BR6TB-RB6DM-6X7HP  ServerComputeCluster                   18     6001 6002                      Windows Server 2008 HPC
7M67G-PC374-GR742-YH8V4-TCBY3  ServerDatacenter                       8      6001 6002                      Windows Server 2008 Datacenter
22XQ2-VRXRG-P8D42-K34TD-G3QQC  ServerDatacenterV                      37     6001 6002                      Windows Server 2008 Datacenter without Hyper-V
4DWFP-JF3DJ-B7DTH-78FJB-PDRHK  ServerEnterpriseIA64                   15     6001 6002                      Windows Server 2008 for Itanium-Based Systems
"""

# Names Microsoft's page prints for rows the catalog files under another family.
_MICROSOFT_LABELS = {
    "Windows 8": "Windows Server 2012",
    "Windows 8 N": "Windows Server 2012 N",
    "Windows 8 Single Language": "Windows Server 2012 Single Language",
    "Windows 8 China": "Windows Server 2012 Country Specific",
}


@dataclass(frozen=True)
class Entry:
    """One edition row of Microsoft's page: the key and the hosts it is meant for."""

    gvlk: str
    family: str
    names: tuple[str, ...]
    edition_ids: tuple[str, ...]
    os_skus: tuple[int, ...]
    builds: tuple[int, ...]
    any_build_from: int | None = None
    note: str = ""

    @property
    def name(self) -> str:
        """The edition's display name."""
        return self.names[0]

    def lists_build(self, build: int) -> bool:
        """True when the build is one of the entry's listed builds."""
        return build in self.builds

    def covers_build(self, build: int) -> bool:
        """True when the key applies at this build (listed, or on/after ``any_build_from``)."""
        return build in self.builds or (self.any_build_from is not None and build >= self.any_build_from)

    def edition_id_for_sku(self, os_sku: int) -> str:
        """The EditionID that goes with one of the entry's SKUs (the lists are parallel)."""
        if len(self.edition_ids) == len(self.os_skus):
            return self.edition_ids[self.os_skus.index(os_sku)]
        return self.edition_ids[0]


@dataclass(frozen=True)
class NoKeyEdition:
    """An edition a host can report for which Microsoft publishes no KMS client setup key.

    ``builds``/``any_build_from`` bound it only when its EditionIDs or SKUs also have keyed
    entries (``Core`` is Windows 8 at 9200 but Windows 10/11 Home from 10240); otherwise the
    edition has no key at any build.
    """

    family: str
    names: tuple[str, ...]
    edition_ids: tuple[str, ...]
    os_skus: tuple[int, ...]
    builds: tuple[int, ...]
    reason_code: str
    reason: str
    any_build_from: int | None = None
    target_edition_id: str | None = None

    @property
    def name(self) -> str:
        """The edition's display name."""
        return self.names[0]

    def covers_build(self, build: int | None) -> bool:
        """True when the build is one this no-key edition is listed for."""
        if build is None:
            return False
        return build in self.builds or (self.any_build_from is not None and build >= self.any_build_from)


_DISM = "DISM /online /Set-Edition:{target} /ProductKey:{key} /AcceptEula"
_EVAL_SERVER = (
    "an evaluation edition takes no KMS client setup key (installing one fails with 0xC004F069); convert it"
    " with `" + _DISM + "` and reboot; check the targets with `DISM /online /Get-TargetEditions`."
    " A domain controller cannot be converted"
)
_EVAL_CLIENT = (
    "an evaluation edition takes no KMS client setup key and cannot be converted by a key; reinstall from"
    " volume-licensed media"
)
_NOT_PUBLISHED = (
    "Microsoft publishes no KMS client setup key for this edition; supply a key you are licensed for"
    " (gvlk_overrides) if your agreement provides one"
)

NO_KEY_EDITIONS: tuple[NoKeyEdition, ...] = (
    NoKeyEdition(
        "Windows Server evaluation",
        ("Windows Server Standard Evaluation",),
        ("ServerStandardEval", "ServerStandardEvalCor"),
        (79,),
        (14393, 17763, 20348, 26100),
        "evaluation",
        _EVAL_SERVER + ". Standard evaluation converts to Standard (or Datacenter)",
        target_edition_id="ServerStandard",
    ),
    NoKeyEdition(
        "Windows Server evaluation",
        ("Windows Server Datacenter Evaluation",),
        ("ServerDatacenterEval", "ServerDatacenterEvalCor"),
        (80,),
        (14393, 17763, 20348, 26100),
        "evaluation",
        _EVAL_SERVER + ". Datacenter evaluation converts only to Datacenter",
        target_edition_id="ServerDatacenter",
    ),
    NoKeyEdition(
        "Windows 10/11 Enterprise Evaluation",
        ("Windows 10 Enterprise Evaluation", "Windows 11 Enterprise Evaluation"),
        ("EnterpriseEval",),
        (72,),
        (),
        "evaluation",
        _EVAL_CLIENT,
        any_build_from=10240,
    ),
    NoKeyEdition(
        "Windows 10/11 Enterprise LTSC Evaluation",
        ("Windows Enterprise LTSC Evaluation",),
        (),
        (129,),
        (14393, 17763, 19044, 26100),
        "evaluation",
        _EVAL_CLIENT,
    ),
    NoKeyEdition(
        "Windows 10/11 Home",
        ("Windows 10 Home", "Windows 11 Home"),
        ("Core",),
        (101,),
        (),
        "no_volume_key",
        "Home editions have no volume license key; upgrade the edition first (for example to Pro),"
        " then install that edition's key",
        any_build_from=10240,
    ),
    NoKeyEdition(
        "Windows 10/11 Home",
        ("Windows 10 Home N", "Windows 11 Home N"),
        ("CoreN",),
        (98,),
        (),
        "no_volume_key",
        "Home editions have no volume license key; upgrade the edition first (for example to Pro N),"
        " then install that edition's key",
        any_build_from=10240,
    ),
    NoKeyEdition(
        "Windows 10/11 Home",
        ("Windows 10 Home Single Language", "Windows 11 Home Single Language"),
        ("CoreSingleLanguage",),
        (100,),
        (),
        "no_volume_key",
        "Home editions have no volume license key; upgrade the edition first (for example to Pro),"
        " then install that edition's key",
        any_build_from=10240,
    ),
    NoKeyEdition(
        "Windows 10/11 Home",
        ("Windows 10 Home China", "Windows 11 Home China"),
        ("CoreCountrySpecific",),
        (99,),
        (),
        "no_volume_key",
        "Home editions have no volume license key; upgrade the edition first, then install that edition's key",
        any_build_from=10240,
    ),
    NoKeyEdition(
        "Windows 11 SE",
        ("Windows 11 SE",),
        ("CloudEdition",),
        (203,),
        (),
        "not_published",
        _NOT_PUBLISHED,
        any_build_from=22000,
    ),
    NoKeyEdition(
        "Windows 11 SE",
        ("Windows 11 SE N",),
        ("CloudEditionN",),
        (202,),
        (),
        "not_published",
        _NOT_PUBLISHED,
        any_build_from=22000,
    ),
    NoKeyEdition(
        "Windows 10/11 IoT Enterprise",
        ("Windows 10 IoT Enterprise", "Windows 11 IoT Enterprise"),
        ("IoTEnterprise",),
        (188,),
        (),
        "not_published",
        _NOT_PUBLISHED,
    ),
    NoKeyEdition(
        "Windows 10/11 Enterprise multi-session",
        ("Windows 10 Enterprise multi-session", "Windows 11 Enterprise multi-session"),
        ("ServerRdsh",),
        (175,),
        (),
        "not_published",
        _NOT_PUBLISHED,
    ),
    NoKeyEdition(
        "Windows Server Azure Core",
        ("Windows Server Azure Core",),
        ("ServerAzureCor",),
        (168,),
        (14393, 17763, 20348, 26100),
        "not_published",
        _NOT_PUBLISHED,
    ),
    NoKeyEdition(
        "Windows Server, version 23H2",
        ("Windows Server, version 23H2",),
        (
            "ServerStandard",
            "ServerDatacenter",
            "ServerStandardACor",
            "ServerDatacenterACor",
            "ServerStandardCor",
            "ServerDatacenterCor",
        ),
        (7, 8, 146, 145, 148, 147),
        (25398,),
        "not_published",
        _NOT_PUBLISHED,
    ),
    NoKeyEdition(
        "Azure Stack HCI / Azure Local",
        ("Azure Stack HCI",),
        (),
        (406,),
        (),
        "not_published",
        "Azure Stack HCI is licensed through its Azure registration, not KMS; " + _NOT_PUBLISHED,
    ),
    NoKeyEdition(
        "Windows Server 2016/2019",
        ("Windows Server ARM64",),
        ("ServerARM64",),
        (120,),
        (14393, 17763),
        "not_published",
        _NOT_PUBLISHED,
    ),
    NoKeyEdition(
        "Windows Server 2016/2019",
        ("Windows Server Cloud Storage",),
        ("ServerCloudStorage",),
        (110,),
        (14393, 17763),
        "not_published",
        _NOT_PUBLISHED,
    ),
)

# Server Core EditionIDs (as DISM names them) and SKUs resolved as the edition without the suffix,
# from the first build on which the catalog knows that.
_CORE_ALIASES: dict[str, tuple[str, int]] = {
    "ServerStandardCor": ("ServerStandard", 14393),
    "ServerDatacenterCor": ("ServerDatacenter", 14393),
    "ServerTurbineCor": ("ServerTurbine", 20348),
}
_CORE_SKUS: dict[int, str] = {148: "ServerStandardCor", 147: "ServerDatacenterCor", 408: "ServerTurbineCor"}


def _parse_table(text: str) -> tuple[Entry, ...]:
    entries: list[Entry] = []
    family = ""
    for line in text.strip().splitlines():
        if line.startswith("["):
            family = line.strip("[]")
            continue
        key, ids, skus, builds, name = re.split(r"\s{2,}", line.strip())
        any_build_from = None
        if builds.endswith("+"):
            build_list = _BUILD_SETS[builds[:-1]]
            any_build_from = build_list[0]
        else:
            build_list = tuple(int(b) for b in builds.split())
        label = _MICROSOFT_LABELS.get(name)
        note = f'Microsoft\'s page lists this key as "{label}"' if label else ""
        entries.append(
            Entry(
                gvlk=key,
                family=family,
                names=(name,),
                edition_ids=tuple(ids.split(",")),
                os_skus=tuple(int(s) for s in skus.split(",")),
                builds=build_list,
                any_build_from=any_build_from,
                note=note,
            )
        )
    return tuple(entries)


ENTRIES: tuple[Entry, ...] = _parse_table(_KEY_TABLE)

_KEYED_IDS = frozenset(i for e in ENTRIES for i in e.edition_ids)
_KEYED_SKUS = frozenset(s for e in ENTRIES for s in e.os_skus)
_ID_SPELLING = {
    i.casefold(): i for i in (*_KEYED_IDS, *(i for n in NO_KEY_EDITIONS for i in n.edition_ids), *_CORE_ALIASES)
}


# --------------------------------------------------------------------------------------------- errors


class CatalogError(Exception):
    """The catalog has no key to offer for what the host reported."""

    def __init__(self, message: str, reported: dict[str, object]) -> None:
        super().__init__(message)
        self.message = message
        self.reported = reported


class UnknownEdition(CatalogError):
    """The edition (or its build) could not be identified with certainty."""


class UnsupportedEdition(CatalogError):
    """A known edition for which Microsoft publishes no KMS client setup key.

    ``reason_code`` is ``evaluation``, ``no_volume_key`` or ``not_published``; evaluation editions
    that can be converted carry ``target_edition_id`` and, when the build is known, ``target_gvlk``.
    """

    def __init__(
        self,
        message: str,
        reported: dict[str, object],
        edition: NoKeyEdition,
        target_edition_id: str | None,
        target_gvlk: str | None,
    ) -> None:
        super().__init__(message, reported)
        self.edition = edition
        self.reason_code = edition.reason_code
        self.target_edition_id = target_edition_id
        self.target_gvlk = target_gvlk


@dataclass(frozen=True)
class Resolution:
    """The key for one host, with what the catalog knows of its edition."""

    gvlk: str
    edition_id: str
    edition: str
    family: str
    build: int
    entry: Entry


# --------------------------------------------------------------------------------------------- lookups


def entries_for_key(key: str) -> tuple[Entry, ...]:
    """Every entry (edition row) that carries this key."""
    wanted = key.strip().upper()
    return tuple(e for e in ENTRIES if e.gvlk == wanted)


def _select(edition_id: str, build: int) -> Entry | NoKeyEdition | None:
    """The entry or no-key edition for a canonical EditionID at a build, or None."""
    if edition_id in _CORE_ALIASES:
        base, first_build = _CORE_ALIASES[edition_id]
        return _select(base, build) if build >= first_build else None
    keyed = [e for e in ENTRIES if edition_id in e.edition_ids]
    listed = [e for e in keyed if e.lists_build(build)]
    if listed:
        return listed[0]
    for n in NO_KEY_EDITIONS:
        if edition_id in n.edition_ids and (edition_id not in _KEYED_IDS or n.covers_build(build)):
            return n
    open_ended = [e for e in keyed if e.any_build_from is not None and build >= e.any_build_from]
    return max(open_ended, key=lambda e: e.any_build_from or 0) if open_ended else None


def _no_key_only(edition_id: str) -> NoKeyEdition | None:
    """The no-key edition of an EditionID that has no key at any build."""
    if edition_id in _KEYED_IDS or edition_id in _CORE_ALIASES:
        return None
    return next((n for n in NO_KEY_EDITIONS if edition_id in n.edition_ids), None)


def _edition_id_for_sku(os_sku: int, build: int | None) -> tuple[str | None, NoKeyEdition | None]:
    """The EditionID an SKU stands for at a build, or the no-key edition an SKU always is."""
    if os_sku not in _KEYED_SKUS and os_sku not in _CORE_SKUS:
        return None, next((n for n in NO_KEY_EDITIONS if os_sku in n.os_skus), None)
    if build is None:
        return None, None
    if os_sku in _CORE_SKUS:
        return _CORE_SKUS[os_sku], None
    ids = {e.edition_id_for_sku(os_sku) for e in ENTRIES if os_sku in e.os_skus and e.covers_build(build)}
    ids |= {
        n.edition_ids[n.os_skus.index(os_sku)]
        for n in NO_KEY_EDITIONS
        if os_sku in n.os_skus and n.covers_build(build) and len(n.edition_ids) == len(n.os_skus)
    }
    return (ids.pop(), None) if len(ids) == 1 else (None, None)


_NT_VERSIONS: dict[tuple[int, int], tuple[int, int]] = {
    (6, 0): (6000, 6003),
    (6, 1): (7600, 7601),
    (6, 2): (9200, 9200),
    (6, 3): (9600, 9600),
    (10, 0): (10240, 10**6),
}


def parse_build(value: object) -> int | None:
    """The build number of an int, a numeric string, or a version string "10.0.17763[.1234]".

    Raises ValueError for anything else, including a version whose NT version does not match the
    build (e.g. "6.1.9600"). None and "" mean "not reported".
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"build {value!r} is not a build number")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"build {value!r} is not a build number")
        return value
    if not isinstance(value, str):
        raise ValueError(f"build {value!r} is not a build number or a version string like '10.0.17763'")
    text = value.strip()
    if re.fullmatch(r"\d{1,6}", text):
        return parse_build(int(text))
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:\.\d+)?", text)
    if not match:
        raise ValueError(f"build {value!r} is not a build number or a version string like '10.0.17763'")
    major, minor, build = (int(g) for g in match.groups())
    low, high = _NT_VERSIONS.get((major, minor), (1, 0))
    if not low <= build <= high:
        raise ValueError(f"version {value!r}: build {build} does not belong to Windows NT {major}.{minor}")
    return build


def _parse_sku(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"OperatingSystemSKU {value!r} is not a number")
    return value or None  # 0 is PRODUCT_UNDEFINED: nothing reported


# --------------------------------------------------------------------------------------------- captions


def _normalize_caption(caption: str) -> str:
    text = re.sub(r"®|™|\(R\)|\(TM\)", " ", caption, flags=re.IGNORECASE)
    text = " ".join(text.split())
    text = re.sub(r"^Microsoft ", "", text, flags=re.IGNORECASE)
    return text.casefold()


def _without_year(name: str) -> str | None:
    """ "Windows Server 2022 Datacenter" -> "windows server datacenter" (None for other names)."""
    match = re.fullmatch(r"Windows Server \d{4}(?: R2)? (.+)", name)
    return f"windows server {match.group(1).casefold()}" if match else None


def _caption_index() -> dict[str, list[Entry | NoKeyEdition]]:
    index: dict[str, list[Entry | NoKeyEdition]] = {}
    for item in (*ENTRIES, *NO_KEY_EDITIONS):
        for name in item.names:
            for form in {name.casefold(), _without_year(name)} - {None}:
                index.setdefault(form, []).append(item)
    return index


_CAPTIONS = _caption_index()


def _by_caption(caption: str, build: int | None) -> tuple[Entry | NoKeyEdition | None, str | None, str]:
    """(match, edition ID, why not) for an English caption equal to a catalog edition name."""
    text = _normalize_caption(caption)
    evaluation = re.fullmatch(r"(windows server) \d{4}(?: r2)? (standard|datacenter) evaluation", text)
    if evaluation:
        text = f"{evaluation.group(1)} {evaluation.group(2)} evaluation"
    candidates = _CAPTIONS.get(text, [])
    if not candidates:
        return (
            None,
            None,
            (
                f"caption {caption!r} is not an English edition name the catalog knows"
                " (captions are localized; report EditionID and build)"
            ),
        )
    no_key = [
        c
        for c in candidates
        if isinstance(c, NoKeyEdition) and (not (set(c.edition_ids) & _KEYED_IDS) or c.covers_build(build))
    ]
    keyed = [c for c in candidates if isinstance(c, Entry)]
    if build is None:
        builds = {b for c in keyed for b in c.builds}
        if len(builds) != 1 or no_key:
            return None, None, f"caption {caption!r} needs the build to decide"
        build = builds.pop()
    fitting = [c for c in keyed if c.covers_build(build)]
    outcomes = {(_select(c.edition_ids[0], build), c.edition_ids[0]) for c in fitting}
    outcomes |= {(n, n.edition_ids[0] if n.edition_ids else None) for n in no_key}
    if len({outcome[0] for outcome in outcomes}) == 1:
        match, edition_id = outcomes.pop()
        if match is not None:
            return match, edition_id, ""
    if not outcomes:
        return None, None, f"caption {caption!r} names no edition the catalog knows at build {build}"
    return None, None, f"caption {caption!r} is ambiguous at build {build}"


# --------------------------------------------------------------------------------------------- resolve


def _describe(reported: dict[str, object]) -> str:
    labels = {
        "edition_id": "EditionID",
        "build": "build",
        "os_sku": "OperatingSystemSKU",
        "caption": "caption",
        "installation_type": "InstallationType",
    }
    parts = [f"{labels[k]} {v!r}" for k, v in reported.items() if v is not None and v != ""]
    return ", ".join(parts) if parts else "nothing"


def _unsupported(
    edition: NoKeyEdition, edition_id: str | None, build: int | None, reported: dict[str, object]
) -> UnsupportedEdition:
    target_id = edition.target_edition_id
    if target_id and edition_id and edition_id.endswith("Cor"):
        target_id += "Cor"  # Server Core evaluation converts to the Server Core edition
    target_gvlk = None
    if target_id and build is not None:
        target = _select(target_id, build)
        target_gvlk = target.gvlk if isinstance(target, Entry) else None
    reason = edition.reason.format(
        target=target_id or "<edition>", key=target_gvlk or "<KMS client setup key of the target edition>"
    )
    message = (
        f"no KMS client setup key for {edition.name} ({edition.family}); the host reported "
        f"{_describe(reported)}: {reason}"
    )
    return UnsupportedEdition(message, reported, edition, target_id, target_gvlk)


def resolve(
    *,
    edition_id: str | None = None,
    build: int | str | None = None,
    os_sku: int | str | None = None,
    caption: str | None = None,
    installation_type: str | None = None,
) -> Resolution:
    """The GVLK for a host, from its EditionID/LicenseFamily, build, SKU and English caption.

    Raises UnsupportedEdition for a known edition without a published key and UnknownEdition when
    the edition or its build cannot be identified with certainty. Both subclass CatalogError and
    name every value the host reported.
    """
    reported = {
        "edition_id": edition_id,
        "build": build,
        "os_sku": os_sku,
        "caption": caption,
        "installation_type": installation_type,
    }

    def unknown(why: str) -> UnknownEdition:
        return UnknownEdition(f"cannot identify the edition from {_describe(reported)}: {why}", reported)

    try:
        number = parse_build(build)
        sku = _parse_sku(os_sku)
    except ValueError as exc:
        raise unknown(str(exc)) from None
    reported_id = edition_id.strip() if isinstance(edition_id, str) and edition_id.strip() else None
    canonical = _ID_SPELLING.get(reported_id.casefold()) if reported_id else None
    text = caption.strip() if isinstance(caption, str) and caption.strip() else None
    if reported_id is None and sku is None and text is None:
        raise unknown("no EditionID, OperatingSystemSKU or caption")

    # Each source on its own: (match, edition ID) or a reason it cannot decide.
    decided: list[tuple[str, Entry | NoKeyEdition, str | None]] = []
    why_not: list[str] = []
    if reported_id is not None:
        if canonical is None:
            why_not.append(f"EditionID {reported_id!r} is not in the catalog")
        elif _no_key_only(canonical) is not None:
            decided.append(("EditionID", _no_key_only(canonical), canonical))
        elif number is None:
            why_not.append(f"EditionID {canonical!r} needs the build to decide")
        else:
            match = _select(canonical, number)
            if match is None:
                builds = sorted({b for e in ENTRIES if canonical in e.edition_ids for b in e.builds})
                raise unknown(
                    f"build {number} is not a build the catalog knows for EditionID {canonical!r}"
                    + (f" (known builds: {', '.join(map(str, builds))})" if builds else "")
                )
            decided.append(("EditionID", match, canonical))
    if sku is not None:
        sku_id, sku_no_key = _edition_id_for_sku(sku, number)
        if sku_no_key is not None:
            decided.append(("OperatingSystemSKU", sku_no_key, None))
        elif sku_id is not None and number is not None and (match := _select(sku_id, number)) is not None:
            decided.append(("OperatingSystemSKU", match, sku_id))
        else:
            why_not.append(
                f"OperatingSystemSKU {sku} is not one the catalog knows"
                + (f" at build {number}" if number is not None else " without the build")
            )
    if text is not None:
        match, caption_id, why = _by_caption(text, number)
        if match is None:
            why_not.append(why)
        else:
            decided.append(("caption", match, caption_id))

    if reported_id is not None and canonical is None and not any(isinstance(d[1], NoKeyEdition) for d in decided):
        raise unknown(f"EditionID {reported_id!r} is not in the catalog")
    if not decided:
        raise unknown("; ".join(why_not))
    source, match, found_id = decided[0]
    for other_source, other, _other_id in decided[1:]:
        if other != match:
            raise unknown(f"{source} points at {match.name} but {other_source} points at {other.name}")
    if canonical is not None and source != "EditionID" and isinstance(match, Entry):
        base = _CORE_ALIASES.get(canonical, (canonical, 0))[0]
        if base not in match.edition_ids:
            raise unknown(f"EditionID {canonical!r} does not match {match.name}, which {source} points at")
    if isinstance(match, NoKeyEdition):
        raise _unsupported(match, canonical or found_id, number, reported)
    # Without a build only a caption naming a single-build edition decides a key.
    return Resolution(
        gvlk=match.gvlk,
        edition_id=canonical or found_id or match.edition_ids[0],
        edition=match.name,
        family=match.family,
        build=number if number is not None else match.builds[0],
        entry=match,
    )


def key_fits(key: str, *, edition_id: str, build: int | str) -> bool:
    """True when the catalog resolves this EditionID and build to this key."""
    try:
        return resolve(edition_id=edition_id, build=build).gvlk == key.strip().upper()
    except CatalogError:
        return False


# --------------------------------------------------------------------------------------------- key format

KEY_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"
_KEY_FORMAT = re.compile(rf"[{KEY_ALPHABET}N]{{5}}(?:-[{KEY_ALPHABET}N]{{5}}){{4}}")
_CHECKSUM_SHIFT = 103
_CHECKSUM_MASK = 0x3FF


def _crc32_msb_first(data: bytes) -> int:
    """CRC-32, polynomial 0x04C11DB7, most-significant bit first, init and final XOR 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF


def _decode(chars: str) -> int:
    """The integer a Windows 8+ key encodes: the N position, then the other characters, in base 24."""
    position = chars.index("N")
    value = position
    for char in chars[:position] + chars[position + 1 :]:
        value = value * 24 + KEY_ALPHABET.index(char)
    return value


def is_valid_product_key(key: object) -> bool:
    """True for a well-formed product key; Windows 8+ keys (one N) must also pass the checksum.

    Keys without an N (Vista, 7, 2008, 2008 R2) have no checksum: only the format is checked.
    """
    if not isinstance(key, str):
        return False
    text = key.strip().upper()
    if not _KEY_FORMAT.fullmatch(text):
        return False
    chars = text.replace("-", "")
    count = chars.count("N")
    if count == 0:
        return True
    if count > 1:
        return False
    value = _decode(chars)
    if value >= 1 << 128:
        return False
    checksum = (value >> _CHECKSUM_SHIFT) & _CHECKSUM_MASK
    cleared = value & ~(_CHECKSUM_MASK << _CHECKSUM_SHIFT)
    return _crc32_msb_first(cleared.to_bytes(16, "little")) & _CHECKSUM_MASK == checksum


def partial_key(key: str) -> str:
    """The last five characters of a key, as Windows reports them (PartialProductKey)."""
    return key.strip().upper()[-5:]
