# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The key table: every edition row of Microsoft's KMS client key page, and the editions with no published key.

Source of every key: Microsoft's page "Key Management Services (KMS) client activation and product
keys" (revision 2025-06-25), as recorded in the project's reference table. Data only; the resolver
(``_gvlk_resolver``) decides which row a host gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Release builds of Windows 10 and Windows 11 that Microsoft's page names (table tokens W10, W11).
_BUILD_SETS: dict[str, tuple[int, ...]] = {
    "W10": (10240, 10586, 14393, 15063, 16299, 17134, 17763, 18362, 18363, 19041, 19042, 19043, 19044, 19045),
    "W11": (22000, 22621, 22631, 26100),
}

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
    " with `" + _DISM + "` and restart, to an edition the host lists with `DISM /online /Get-TargetEditions`."
    " Desktop Experience and Server Core cannot be switched, and a domain controller cannot be converted"
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
        (79, 160),
        (14393, 17763, 20348, 26100),
        "evaluation",
        _EVAL_SERVER + ". The Standard evaluation converts to Standard or Datacenter, the Standard Server Core"
        " evaluation only to Datacenter Server Core",
        target_edition_id="ServerStandard",
    ),
    NoKeyEdition(
        "Windows Server evaluation",
        ("Windows Server Datacenter Evaluation",),
        ("ServerDatacenterEval", "ServerDatacenterEvalCor"),
        (80, 159),
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
