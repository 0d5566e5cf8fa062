"""kms_client_key: options checked before the host is contacted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from unit.utils.action_harness import (
    KMS,
    executions,
    gvlk_for,
    make_host,
    run_action,
    spec,
)

INVALID_OPTIONS = [
    ({"kms_host": "kms_01!.corp"}, ["kms_host", "kms_01!.corp"]),
    ({"kms_host": "https://kms01.corp.example.com"}, ["give a host name, not a URL"]),
    ({"kms_host": "10.0.0.999"}, ["kms_host", "10.0.0.999"]),
    ({"kms_host": "fd00::5"}, ["kms_host", "brackets"]),
    ({"kms_host": "[fd00::zz]:1688"}, ["kms_host", "IPv6"]),
    ({"kms_host": "kms01:0"}, ["kms_host", "1 to 65535"]),
    ({"kms_host": "kms01:70000"}, ["kms_host", "70000"]),
    ({"kms_host": "kms01:abc"}, ["kms_host", "abc"]),
    ({"kms_host": " "}, ["kms_host", "empty"]),
    ({"kms_port": 0}, ["kms_port", "0", "1 to 65535"]),
    ({"kms_port": 65536}, ["kms_port", "65536"]),
    ({"kms_port": "high"}, ["kms_port", "int"]),
    ({"kms_host": "kms01:1700", "kms_port": 1688}, ["kms_host", "kms_port", "1700", "1688"]),
    ({"kms_discovery": "auto"}, ["kms_discovery", "auto", "dns", "unchanged"]),
    ({"kms_discovery": "dns", "kms_host": KMS}, ["kms_discovery", "kms_host"]),
    ({"kms_discovery": "dns", "kms_port": 1700}, ["kms_discovery", "kms_port"]),
    ({"kms_lookup_domain": "corp..example.com"}, ["kms_lookup_domain", "corp..example.com"]),
    ({"kms_lookup_domain": "not a domain"}, ["kms_lookup_domain", "not a domain"]),
    ({"activate": "perhaps"}, ["activate", "perhaps"]),
    ({"convert_from": ["csvlk"]}, ["convert_from", "csvlk", "never replaced"]),
    ({"convert_from": ["eval"]}, ["convert_from", "eval", "DISM"]),
    ({"convert_from": ["gvlk"]}, ["convert_from", "gvlk"]),
    ({"convert_from": ["floppy"]}, ["convert_from", "floppy", "retail, oem, mak, avma, none, unknown"]),
    ({"gvlk_overrides": {"Server Standard": "x"}}, ["gvlk_overrides", "Server Standard", "EditionID@build"]),
    ({"gvlk_overrides": {"Core": "not-a-key"}}, ["gvlk_overrides['Core']", "not a valid product key"]),
    ({"gvlk_overrides": ["Core"]}, ["gvlk_overrides", "dict"]),
    ({"on_unsupported": "ignore"}, ["on_unsupported", "ignore", "fail", "skip"]),
    ({"tcp_timeout": -1}, ["tcp_timeout", "-1", "120"]),
    ({"tcp_timeout": 121}, ["tcp_timeout", "121"]),
    ({"kms_hots": KMS}, ["kms_hots"]),
]


@pytest.mark.parametrize("args,words", INVALID_OPTIONS, ids=[json.dumps(a) for a, _words in INVALID_OPTIONS])
def test_invalid_option_fails_before_the_host_is_contacted(args: dict[str, Any], words: list[str]) -> None:
    host = make_host(spec())
    calls: list[dict[str, Any]] = []
    result = run_action(host, args, calls=calls, check_mode=True)
    assert result["status"] == "failed" and result["failed"] is True and result["changed"] is False
    assert calls == [] and executions(host) == 0
    for word in words:
        assert word in result["msg"], (word, result["msg"])


@pytest.mark.parametrize(
    "kms_host,machine,port",
    [
        ("kms01.corp.example.com", "kms01.corp.example.com", None),
        ("kms01.corp.example.com.:1700", "kms01.corp.example.com", 1700),
        ("KMS01", "KMS01", None),
        ("10.0.0.5:1688", "10.0.0.5", 1688),
        ("[fd00::5]", "[fd00::5]", None),
        ("[fd00::5]:1700", "[fd00::5]", 1700),
    ],
)
def test_kms_host_forms(kms_host: str, machine: str, port: int | None) -> None:
    calls: list[dict[str, Any]] = []
    run_action(make_host(spec(key_type="retail")), {"kms_host": kms_host}, calls=calls)
    steps = calls[1]["steps"]
    assert {"action": "set_kms_machine", "machine": machine} in steps
    assert ({"action": "set_kms_port", "port": port} in steps) == (port not in (None, 1688))
    route = calls[0]["kms_route"]
    assert route["machine"] == machine.strip("[]") and route["port"] == port


def test_tcp_timeout_zero_skips_the_route_test_only_with_on_kms_unreachable_convert() -> None:
    calls: list[dict[str, Any]] = []
    options = {"kms_host": KMS, "tcp_timeout": 0, "on_kms_unreachable": "convert"}
    result = run_action(make_host(spec(key_type="retail")), options, calls=calls)
    assert "kms_route" not in calls[0] and result["kms_route"] is None
    refused = run_action(make_host(spec(key_type="retail")), {"kms_host": KMS, "tcp_timeout": 0})
    assert refused["failed"] is True and "on_kms_unreachable: convert" in refused["msg"]


# --------------------------------------------------------------------------- editions and key types


def test_override_for_an_unknown_edition_id_warns_with_the_nearest_known_one() -> None:
    key = gvlk_for("ServerStandard", 20348)
    result = run_action(make_host(spec(key_type="retail")), {"gvlk_overrides": {"ServerStandrad": key}})
    assert any("did you mean ServerStandard?" in w for w in result.get("warnings", [])), result.get("warnings")
    known = run_action(make_host(spec(key_type="retail")), {"gvlk_overrides": {"ServerAzureCor": key}})
    assert not any("does not know" in w for w in known.get("warnings", []))


def test_results_name_the_overrides_given_and_the_one_used() -> None:
    key = gvlk_for("ServerDatacenter", 20348)
    overrides = {"ServerDatacenter@20348": key, "ServerDatacenter": key, "Professional": key}
    result = run_action(make_host(spec(key_type="mak")), {"gvlk_overrides": overrides}, check_mode=True)
    assert result["gvlk_override"] == {
        "given": ["Professional", "ServerDatacenter", "ServerDatacenter@20348"],
        "used": "ServerDatacenter@20348",
    }
    assert result["ansible_facts"]["kms_client"]["gvlk_override"] == result["gvlk_override"]
