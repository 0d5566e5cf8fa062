"""The worker's kms_route answer, read as the contract shapes it: every attempt an object, every field bounded."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import (
    MAX_ATTEMPTS,
    RouteError,
    parse_route,
)

ATTEMPT = {"name": "kms01.corp.example.com", "address": "198.51.100.14", "family": "ipv4", "port": 1688}


def test_a_route_with_one_connected_attempt_is_reachable() -> None:
    route = parse_route(
        {"machine": "kms01.corp.example.com", "port": 0, "attempts": [{**ATTEMPT, "outcome": "connected"}]}
    )
    assert route.reachable and route.port == 1688 and route.failure() == ""


def test_a_route_whose_attempts_failed_says_what_failed_and_where() -> None:
    route = parse_route({"machine": "kms01.corp.example.com", "attempts": [{**ATTEMPT, "outcome": "timed_out"}]})
    assert not route.reachable
    assert "kms01.corp.example.com" in route.failure() and "timed out" in route.failure()


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {"attempts": [[{**ATTEMPT, "outcome": "connected"}]]},  # PowerShell's array in an array: not an object
        {"attempts": {"0": ATTEMPT}},
        {"attempts": [{**ATTEMPT, "outcome": "connected"}] * (MAX_ATTEMPTS + 1)},
        {"attempts": [{**ATTEMPT, "outcome": "maybe"}]},
        {"attempts": [{**ATTEMPT, "outcome": "connected", "family": "ipx"}]},
        {"attempts": [{**ATTEMPT, "outcome": "connected", "port": 70000}]},
        {"attempts": [{**ATTEMPT, "outcome": "connected", "name": None}]},
        {"attempts": [], "srv": {"outcome": "found", "targets": "kms01"}},
    ],
    ids=["null", "nested-array", "attempts-object", "too-many", "outcome", "family", "port", "no-name", "srv-targets"],
)
def test_an_answer_out_of_the_contract_is_refused(raw: Any) -> None:
    with pytest.raises(RouteError):
        parse_route(raw)


def test_host_text_in_the_answer_is_bounded() -> None:
    route = parse_route({"attempts": [{**ATTEMPT, "outcome": "error", "message": "x" * 100_000 + "\x1b"}]})
    (attempt,) = route.attempts
    assert len(attempt.message) <= 1024 and "\x1b" not in attempt.message
