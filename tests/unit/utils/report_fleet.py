"""Registered results of kms_client_key for the report's tests: a fleet of every status, and a small fleet."""

from __future__ import annotations

import csv
from pathlib import Path

KEY_TABLE = Path(__file__).resolve().parents[1] / "fixtures" / "windows_editions_gvlk.csv"


GENERATED = "2025-06-25T14:03:07Z"


def published_gvlk(edition_id: str, build: int) -> str | None:
    """Microsoft's key for the edition on that build, from the reference table (None when it has none)."""
    with KEY_TABLE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["edition_id"] == edition_id and str(build) in row["builds"].split(";"):
                return row["gvlk"] or None
    raise LookupError(f"{edition_id} {build} is not in the reference table")


# host, status, edition_id, edition name, build, key type before/after, partial key before,
# license status before/after, changed
FLEET = [
    (
        "srv2022-dc-01",
        "compliant",
        "ServerDatacenter",
        "Windows Server 2022 Datacenter",
        20348,
        "gvlk",
        "gvlk",
        None,
        "licensed",
        "licensed",
        False,
    ),
    (
        "srv2019-std-01",
        "would_convert",
        "ServerStandard",
        "Windows Server 2019 Standard",
        17763,
        "mak",
        "gvlk",
        "Q7X3B",
        "licensed",
        "licensed",
        True,
    ),
    (
        "srv2019-std-02",
        "would_convert",
        "ServerStandard",
        "Windows Server 2019 Standard",
        17763,
        "retail",
        "gvlk",
        "K2P8W",
        "licensed",
        "licensed",
        True,
    ),
    (
        "win11-pro-01",
        "converted",
        "Professional",
        "Windows 11 Pro",
        22631,
        "oem",
        "gvlk",
        "F6YP2",
        "licensed",
        "licensed",
        True,
    ),
    (
        "win10-ent-01",
        "activation_failed",
        "Enterprise",
        "Windows 10 Enterprise",
        19045,
        "mak",
        "gvlk",
        "M4RK9",
        "licensed",
        "oob_grace",
        True,
    ),
    (
        "srv2016-kms",
        "is_kms_host",
        "ServerStandard",
        "Windows Server 2016 Standard",
        14393,
        "csvlk",
        "csvlk",
        "T9DD3",
        "licensed",
        "licensed",
        False,
    ),
    (
        "srv2022-eval",
        "evaluation_edition",
        "ServerDatacenterEval",
        "Windows Server Datacenter Evaluation (Desktop Experience)",
        20348,
        "eval",
        "eval",
        "WQ4RP",
        "licensed",
        "licensed",
        False,
    ),
    (
        "srv2019-failed",
        "failed",
        "ServerStandard",
        "Windows Server 2019 Standard",
        17763,
        "mak",
        "mak",
        "H7H2C",
        "licensed",
        "licensed",
        False,
    ),
]


def moduleresult_of(
    host: str,
    status: str,
    edition_id: str,
    name: str,
    build: int,
    before: str,
    after: str,
    partial_before: str | None,
    license_before: str,
    license_after: str,
    changed: bool,
) -> dict:
    """A result shaped as volume_activation.kms.kms_client_key registers it."""
    gvlk = published_gvlk(edition_id, build)
    if partial_before is None:
        partial_before = gvlk[-5:]
    return {
        "changed": changed,
        "failed": status in ("failed", "activation_failed"),
        "msg": f"{host}: {status} | edition {edition_id}",
        "status": status,
        "edition": {
            "id": edition_id,
            "name": name,
            "family": "Windows",
            "build": build,
            "caption": name,
            "installation_type": "Server",
        },
        "gvlk": gvlk,
        "key_type": {"before": before, "after": after},
        "partial_product_key": {
            "before": partial_before,
            "after": gvlk[-5:] if after == "gvlk" and gvlk else partial_before,
        },
        "license_status": {"before": license_before, "after": license_after},
        "kms": {
            "machine": "kms01.corp.example.com",
            "port": 1688,
            "lookup_domain": None,
            "discovered_machine": None,
            "discovered_port": None,
        },
        "activation": {
            "attempted": status == "activation_failed",
            "hresult": "0xC004F074" if status == "activation_failed" else None,
            "symbol": None,
            "message": None,
        },
    }


def fleet_results() -> dict:
    results = {spec[0]: moduleresult_of(*spec) for spec in FLEET}
    results["win11-home"] = {
        "changed": False,
        "failed": False,
        "status": "unsupported_edition",
        "msg": "no published key for Core",
        "edition": {"id": "Core", "name": "Windows 11 Home", "build": 22631},
        "gvlk": None,
        "key_type": {"before": "oem", "after": "oem"},
        "partial_product_key": {"before": "B3JTX", "after": "B3JTX"},
        "license_status": {"before": "licensed", "after": "licensed"},
        "kms": None,
    }
    results["pc-mystery"] = {
        "changed": False,
        "status": "unknown_edition",
        "msg": "EditionID Foo unknown",
        "edition": {"id": "Foo", "name": None, "build": "99999"},
        "key_type": {"before": "unknown", "after": "unknown"},
    }
    results["srv-skipped"] = {"changed": False, "status": "skipped", "msg": "state=absent"}
    results["srv-down"] = {
        "unreachable": True,
        "changed": False,
        "msg": "winrm connection error: [Errno 111] Connection refused",
    }
    results["srv-early-fail"] = {"failed": True, "changed": False, "msg": "kms_port must be between 1 and 65535"}
    results["srv-when-false"] = {
        "changed": False,
        "skipped": True,
        "skip_reason": "Conditional result was False",
        "false_condition": 'ansible_os_family == "Windows"',
    }
    results["srv-never"] = None
    return results


EXPECTED_STATUS = {spec[0]: spec[1] for spec in FLEET} | {
    "win11-home": "unsupported_edition",
    "pc-mystery": "unknown_edition",
    "srv-skipped": "skipped",
    "srv-down": "unreachable",
    "srv-early-fail": "failed",
    "srv-when-false": "skipped",
    "srv-never": "not_run",
}


CONNECTION_ERROR = "basic: HTTPConnectionPool(host='10.0.0.7', port=5985): Connection refused"


def result_of(status: str, **extra: object) -> dict[str, object]:
    return {"status": status, "msg": f"{status} message", "key_type": {"before": "mak", "after": "gvlk"}, **extra}


def small_fleet() -> dict[str, dict[str, object] | None]:
    return {
        "a-compliant": result_of("compliant"),
        "b-converted": result_of("converted", changed=True),
        "c-kms": result_of("is_kms_host"),
        "d-down": {"unreachable": True, "msg": CONNECTION_ERROR},
        "e-failed": result_of("failed"),
        "f-missing": None,
    }
