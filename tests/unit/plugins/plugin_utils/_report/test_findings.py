"""The report's findings about the fleet: shared machine IDs, activation HRESULTs by code, and what the KMS hosts
among the hosts count against the thresholds; in every format."""

from __future__ import annotations

import csv
import io
from typing import Any

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import render_html
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import (
    build_report,
    finding_lines,
    host_row,
    report_from_rows,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import (
    render_csv,
    render_markdown,
    render_table,
)

CLONE = "0b7e4a3c-8d2f-4e61-9a5b-3c2d1e0f9a87"


def result(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": status,
        "msg": f"{status} message",
        "changed": status in ("converted", "activation_pending"),
        "key_type": {"before": "mak", "after": "gvlk"},
        "partial_product_key": {"before": "3V66T", "after": "6VM33"},
        "license_status": {"before": "licensed", "after": "licensed"},
        **extra,
    }


PENDING = {"attempted": True, "hresult": "0xC004F038", "symbol": "SL_E_VL_NOT_ENOUGH_COUNT", "message": "count"}
RESULTS = {
    "kms-fresh": result("is_kms_host", kms_count=3),
    "server-1": result(
        "activation_pending",
        activation_route="kms",
        client_machine_id="11111111-1111-1111-1111-111111111111",
        kms={"machine": "kms-fresh.corp.example.com"},
        activation=PENDING,
    ),
    "server-2": result(
        "converted",
        activation_route="kms",
        client_machine_id="22222222-2222-2222-2222-222222222222",
        kms={"machine": "kms-fresh.corp.example.com"},
        activation={**PENDING, "hresult": "0x00000000", "symbol": "S_OK"},
    ),
    "elsewhere": result(
        "converted", activation_route="kms", kms={"machine": "kms-busy.corp.example.com"}, activation=PENDING
    ),
    "clone-a": result("compliant", client_machine_id=CLONE),
    "clone-b": result("compliant", client_machine_id=CLONE.upper()),
}


def report() -> dict[str, Any]:
    return build_report(RESULTS, "apply", "2026-12-04T12:00:00Z")


def test_hosts_sharing_a_machine_id_are_named_with_the_remedy() -> None:
    found = report()["findings"]
    assert found["duplicate_machine_ids"] == [{"client_machine_id": CLONE, "hosts": ["clone-a", "clone-b"]}]
    assert "sysprep /generalize" in found["duplicate_remedy"] and "slmgr /rearm" in found["duplicate_remedy"]


def test_activation_hresults_are_counted_by_code() -> None:
    errors = report()["findings"]["activation_errors"]
    assert errors == [
        {"hresult": "0xC004F038", "symbol": "SL_E_VL_NOT_ENOUGH_COUNT", "hosts": ["elsewhere", "server-1"]}
    ]
    rows = {row["host"]: row for row in report()["hosts"]}
    assert rows["server-1"]["activation"]["hresult"] == "0xC004F038"  # the row keeps it


def test_a_kms_host_among_the_hosts_gets_its_prediction_from_the_clients_it_serves() -> None:
    (kms,) = report()["findings"]["kms_hosts"]
    # server-1 and server-2 name kms-fresh; "elsewhere" activates against another KMS host.
    assert kms == {
        "host": "kms-fresh",
        "count": 3,
        "clients_in_run": 2,
        "reaches": 5,
        "servers_activate": True,
        "clients_activate": False,
    }


def test_only_the_hosts_of_this_run_count_as_brought_to_a_kms_host() -> None:
    rows = [dict(host_row(host, value), in_run=host != "server-2", age_days=3) for host, value in RESULTS.items()]
    (kms,) = report_from_rows(rows, "apply", "2026-12-04T12:00:00Z")["findings"]["kms_hosts"]
    assert (kms["clients_in_run"], kms["reaches"]) == (1, 4)


def test_every_format_says_the_findings() -> None:
    built = report()
    lines = finding_lines(built["findings"])
    assert lines[0] == (
        "KMS host kms-fresh counts 3 machines; this run brings at most 2 more (5): servers activate (from 5), client "
        "editions do not activate yet (from 25)."
    )
    assert lines[1] == "2 host(s) got 0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT) from Activate(): elsewhere, server-1."
    assert lines[2].startswith(f"2 hosts share the ClientMachineID {CLONE} (clone-a, clone-b): hosts cloned")
    markdown = render_markdown(built)
    assert "## Fleet findings" in markdown and all(line.split(":")[0] in markdown for line in lines)
    html = render_html(built)
    assert "<h2>Fleet findings</h2>" in html and "0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT)" in html
    table = render_table(built, "headline")
    assert sum(line.startswith("Fleet: ") for line in table) == len(lines)
    rows = list(csv.DictReader(io.StringIO(render_csv(built))))
    server = next(row for row in rows if row["host"] == "server-1")
    assert (server["activation_route"], server["activation_hresult"], server["client_machine_id"]) == (
        "kms",
        "0xC004F038",
        "11111111-1111-1111-1111-111111111111",
    )


def test_no_findings_say_nothing() -> None:
    quiet = build_report({"a": result("compliant")}, "check", "2026-12-04T12:00:00Z")
    assert finding_lines(quiet["findings"]) == []
    assert "Fleet findings" not in render_markdown(quiet) and "Fleet findings" not in render_html(quiet)
