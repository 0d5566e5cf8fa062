"""Edition changes of Windows Server evaluation installations, as DISM makes them, and the restart that ends them.

Sources:

- Microsoft Learn, "Upgrade and conversion options for Windows Server" (WindowsServerDocs
  ``get-started/upgrade-conversion-options.md``): the Standard evaluation (Desktop Experience) converts to Standard or
  Datacenter; the Datacenter evaluation "only to the retail Datacenter edition"; "If you install the Standard Core
  evaluation version, you can convert it only to retail Datacenter Core"; a Server Core installation never becomes
  a Desktop Experience one or the reverse; "You can't convert an Active Directory domain controller from an
  evaluation to a retail version". The conversion is ``DISM /online /Set-Edition:<edition> /ProductKey:<key>
  /AcceptEula`` followed by a restart.
- MicrosoftDocs/windowsserverdocs issues: #6315 (2019) and #7017 (2022), a Standard Core evaluation whose
  ``/Get-TargetEditions`` lists ``ServerDatacenterCor`` only; #1405, a 2016 (14393) Core evaluation that listed no
  target edition ("known issue"); #7679, ``/Set-Edition`` "takes around 15 minutes".
- DISM Global Options: ``/NoRestart`` keeps DISM from restarting; exit code 3010 (ERROR_SUCCESS_REBOOT_REQUIRED)
  is what servicing commands return with it when the change needs a restart.
- Win32_OperatingSystem: ``LastBootUpTime`` (datetime) is when the system last started; ``Reboot()`` restarts it and
  returns 0.
- MicrosoftDocs/windowsserverdocs #6337: client editions refuse ``/Set-Edition`` on a running system; their
  evaluations list no target here.

Where the sources are silent, the simulator is hard on the controller:

- the target list of a domain controller is the same as any host's (the controller must refuse a DC from
  ``ProductType``/``DomainRole``, not from an empty list), and ``/Set-Edition`` on a DC, or to an edition the host
  does not offer, fails with 50 (ERROR_NOT_SUPPORTED: the exact code is undocumented);
- a key that is not the target edition's published KMS client key fails with 0xC004F050 (SL_E_INVALID_PRODUCT_KEY);
- the change succeeds with 3010, never 0, and nothing the engine reads changes before the restart;
- the reply of the worker execution that calls ``Reboot()`` never arrives (the WinRM service stops with the host),
  the host drops every connection while it is down, and its WinRM shells are gone when it is back.
"""

from __future__ import annotations

import datetime

# EditionID of a Windows Server evaluation -> the editions DISM offers it (Desktop Experience and Server Core alike).
_TARGETS: dict[str, tuple[str, ...]] = {
    "ServerStandardEval": ("ServerStandard", "ServerDatacenter"),
    "ServerDatacenterEval": ("ServerDatacenter",),
    "ServerStandardEvalCor": ("ServerDatacenterCor",),
    "ServerDatacenterEvalCor": ("ServerDatacenterCor",),
}
# Windows Server 2016: a Server Core evaluation offered no target (issue #1405).
_CORE_WITHOUT_TARGETS_BUILD = 14393

# OperatingSystemSKU of the evaluations (winnt.h PRODUCT_STANDARD_EVALUATION_SERVER 0x4F, PRODUCT_DATACENTER_EVALUATION_SERVER
# 0x50). A Server Core evaluation reports them too: recent Server Core installations report the Desktop Experience
# SKU (reference README), so neither the SKU nor an EditionID alone tells Server Core (the winnt.h Core evaluation
# SKUs 0x9F and 0xA0 are left to scenarios that give os_sku).
EVALUATION_SKUS = {"ServerStandardEval": 79, "ServerDatacenterEval": 80}

# winerror.h: ERROR_NOT_SUPPORTED, and ERROR_SUCCESS_REBOOT_REQUIRED.
NOT_SUPPORTED = 50
REBOOT_REQUIRED = 3010


def win32_code(hresult: int) -> int:
    """What DISM exits with, or Reboot() returns, for a scenario's fault: the Win32 error of a 0x8007xxxx HRESULT
    (DISM prints "Error: 50"; Reboot's return values are Win32 error codes), another code as a signed exit code."""
    code = hresult & 0xFFFFFFFF
    if code & 0xFFFF0000 == 0x80070000:
        return code & 0xFFFF
    return code - 2**32 if code >= 2**31 else code


def documented_targets(edition_id: str, build: int) -> tuple[str, ...]:
    """The editions DISM offers an evaluation edition at a build (none for anything else)."""
    if edition_id.endswith("Cor") and build <= _CORE_WITHOUT_TARGETS_BUILD:
        return ()
    return _TARGETS.get(edition_id, ())


def evaluated_edition(edition_id: str) -> str:
    """The edition an evaluation evaluates, as the key table lists it: ServerStandardEvalCor -> ServerStandard."""
    return catalog_edition(edition_id).replace("Eval", "")


def catalog_edition(edition_id: str) -> str:
    """The EditionID the key table lists an edition under: a Server Core edition's without ``Cor``."""
    return edition_id.removesuffix("Cor") if edition_id.startswith("Server") else edition_id


def dmtf(seconds_since_epoch: float) -> str:
    """A CIM datetime (DMTF: yyyymmddHHMMSS.mmmmmm+UUU, the offset in minutes), in UTC."""
    moment = datetime.datetime.fromtimestamp(seconds_since_epoch, datetime.timezone.utc)
    return moment.strftime("%Y%m%d%H%M%S.%f") + "+000"
