"""The host-outcome record: the task result, the fact and the report row all derive from it, and the module's
documentation agrees with it."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import (
    FACT_VERSION,
    Activation,
    Change,
    Edition,
    HostOutcome,
    Kms,
    Override,
    row_as_result,
    utc_timestamp,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import read_outcome

ROOT = Path(__file__).resolve().parents[4]
TIME = "2025-06-25T14:03:07Z"
CONVERTED = HostOutcome(
    status="converted",
    msg="Done: install the KMS client key.",
    changed=True,
    edition=Edition("ServerDatacenter", "Windows Server 2022 Datacenter", "Windows", 20348, "Windows Server", "Server"),
    gvlk="WX4NM-KYWYW-QJJR4-XV3QB-6VM33",
    key_type=Change("mak", "gvlk"),
    partial_product_key=Change("3V66T", "6VM33"),
    license_status=Change("licensed", "licensed"),
    kms=Kms("kms01.corp.example.com", 1688, None, None, None),
    gvlk_override=Override(("ServerDatacenter@20348",), "ServerDatacenter@20348"),
    activation=Activation(True, "0x00000000", "S_OK", "Activated; license status licensed."),
    steps=({"action": "install_product_key", "hresult": "0x00000000", "symbol": "S_OK", "message": ""},),
)


def test_utc_timestamp():
    moment = datetime.datetime(2025, 6, 25, 16, 3, 7, 999, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert utc_timestamp(moment) == TIME


def _documented(*path: str) -> dict[str, Any]:
    node = yaml.safe_load((ROOT / "plugins" / "modules" / "kms_client_key.yml").read_text(encoding="utf-8"))["RETURN"]
    for key in path:
        node = node[key]["contains"]
    return node


def test_the_fact_shares_its_fields_with_the_result_and_shortens_partial_keys() -> None:
    result = CONVERTED.result()
    fact = CONVERTED.fact("apply", TIME)
    shared = set(fact) - {"version", "time", "mode", "partial_product_key"}
    assert shared <= set(result) and {field: fact[field] for field in shared} == {
        field: result[field] for field in shared
    }
    assert (fact["version"], fact["time"], fact["mode"]) == (FACT_VERSION, TIME, "apply")
    long = dataclasses.replace(CONVERTED, partial_product_key=Change("XXXXX-3V66T", None))
    assert long.fact("apply", TIME)["partial_product_key"] == {"before": "3V66T", "after": None}


def test_the_result_and_the_fact_are_the_documented_ones() -> None:
    documented = _documented()
    result = CONVERTED.result()
    assert set(result) <= set(documented) and set(documented) - set(result) == {"skip_reason", "diff", "ansible_facts"}
    assert list(_documented("ansible_facts", "kms_client")) == list(CONVERTED.fact("apply", TIME))


def test_the_result_says_a_refusal_the_reason_of_a_skip_and_an_unreachable_host() -> None:
    assert HostOutcome("is_kms_host", "a KMS host", failed=True).result()["refused"] is True
    assert HostOutcome("failed", "no", failed=True).result()["refused"] is False
    skipped = HostOutcome("skipped", "left as it is", skip_reason="key type retail not in convert_from").result()
    assert skipped["skip_reason"] == "key type retail not in convert_from"
    assert HostOutcome("failed", "cut", failed=True, unreachable=True).result()["unreachable"] is True
    assert not {"skip_reason", "diff", "unreachable"} & set(HostOutcome("compliant", "ok").result())


def test_a_report_row_reads_back_as_the_same_row() -> None:
    row = CONVERTED.row("srv1", TIME, "facts")
    assert row["message"] == CONVERTED.msg and row["edition_id"] == "ServerDatacenter" and row["build"] == 20348
    assert read_outcome(row_as_result(row)).row("srv1", TIME, "facts") == row


def test_a_fact_reads_back_as_its_outcome() -> None:
    fact = CONVERTED.fact("apply", TIME)
    assert read_outcome(fact).row("srv1") == CONVERTED.row("srv1")
