"""The kms_client fact: the same documented keys in every outcome, partial keys only, the run's mode and time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from unit.utils.action_harness import KMS, make_host, run_action, spec

ROOT = Path(__file__).resolve().parents[5]
# The fact's keys as kms_client_key's documentation lists them.
KEYS = set(
    yaml.safe_load((ROOT / "plugins" / "modules" / "kms_client_key.yml").read_text(encoding="utf-8"))["RETURN"][
        "ansible_facts"
    ]["contains"]["kms_client"]["contains"]
)
PAIRS = ("key_type", "partial_product_key", "license_status")


def _check(fact: dict, result: dict) -> None:
    assert set(fact) == KEYS and fact["version"] == 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fact["time"])
    assert (fact["status"], fact["changed"], fact["failed"], fact["msg"]) == (
        result["status"],
        result["changed"],
        result["failed"],
        result["msg"],
    )
    assert all(set(fact[pair]) == {"before", "after"} for pair in PAIRS)
    assert all(len(value or "") <= 5 for value in fact["partial_product_key"].values())


@pytest.mark.parametrize(
    ("host_spec", "args", "check_mode", "mode"),
    [
        (spec(key_type="mak"), {"kms_host": KMS}, False, "apply"),
        (spec(key_type="mak"), {"kms_host": KMS}, True, "check"),
        (spec(key_type="csvlk"), {}, False, "apply"),
        (spec(key_type="retail"), {"activate": False}, False, "apply"),
    ],
)
def test_every_outcome_has_the_documented_fact(host_spec, args, check_mode, mode) -> None:
    result = run_action(make_host(host_spec), args, check_mode=check_mode)
    fact = result["ansible_facts"]["kms_client"]
    _check(fact, result)
    assert fact["mode"] == mode
    assert (fact["edition"], fact["gvlk"], fact["kms"]) == (result["edition"], result["gvlk"], result["kms"])
    assert (fact["key_type"], fact["license_status"]) == (result["key_type"], result["license_status"])
    assert fact["partial_product_key"] == result["partial_product_key"]


def test_a_failure_before_the_probe_has_the_fact_without_a_mode() -> None:
    host = make_host(spec())
    result = run_action(host, {"kms_port": 0})
    assert result["status"] == "failed" and "Invalid options" in result["msg"] and host.worker_executions == 0
    fact = result["ansible_facts"]["kms_client"]
    _check(fact, result)
    assert fact["mode"] is None and fact["edition"] is None and fact["kms"] is None
