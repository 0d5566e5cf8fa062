"""The worker's C# engine (plugins/module_utils/*.cs): compiled as Add-Type compiles it on Windows PowerShell 5.1,
and executed under Mono against the CIM-level model, its route test connecting real sockets to loopback listeners."""

from __future__ import annotations

import pathlib
import time
from typing import Any

import pytest
import yaml
from unit.utils.contract import ROOT, probe_shape_problems

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import RouteError, parse_route
from winsim import hresult_codes as hr
from winsim.engine import CompileError, compile_library, loopback, shipped_sources
from winsim.engine.compiler import add_type_options
from winsim.licensing import WindowsHost
from winsim.scenario import load_specs

ENGINE = "ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientEngine.cs"
WINDOWS = "ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows.cs"
SCENARIOS = sorted((ROOT / "tools" / "winsim" / "scenarios").glob("*.yml"))
SERVER = {"name": "srv01", "edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"}


def route(**arguments: Any) -> dict[str, Any]:
    return {
        "machine": None,
        "port": None,
        "lookup_domain": None,
        "use_configured": True,
        "timeout_ms": 2000,
        **arguments,
    }


def probe_route(spec: dict[str, Any], **arguments: Any) -> dict[str, Any]:
    answer = WindowsHost.from_spec(spec).run_worker({"operation": "probe", "kms_route": route(**arguments)})
    assert not answer.get("failed"), answer
    return answer["kms_route"]


# ---- compiling as Add-Type does ------------------------------------------------------------------------------


def test_the_shipped_sources_compile_as_add_type_would(tmp_path: pathlib.Path) -> None:
    sources = shipped_sources()
    assert set(sources) == {ENGINE, WINDOWS}  # the Windows implementations are compiled too
    compile_library(sources, tmp_path / "engine.dll")
    assert (tmp_path / "engine.dll").stat().st_size > 0


@pytest.mark.parametrize(
    ("construct", "problem"),
    [
        ('string s = $"{1}";', "interpolated strings"),  # C# 6
        ("string s = nameof(Probe);", "nameof"),  # C# 6
        ("int Probe => 1;", "expression bodied"),  # C# 6
        ("int unused = 1;", "CS0219"),  # a warning: Add-Type treats warnings as errors
    ],
)
def test_what_windows_powershell_cannot_compile_fails_here(
    tmp_path: pathlib.Path, construct: str, problem: str
) -> None:
    member = construct if "=>" in construct else "public void Run() { " + construct + " }"
    source = "namespace Probe { public class Probe { " + member + " } }"
    with pytest.raises(CompileError) as raised:
        compile_library({"Probe.cs": source}, tmp_path / "probe.dll")
    assert problem.lower() in str(raised.value).lower()


def test_an_assembly_the_sources_do_not_reference_is_missing(tmp_path: pathlib.Path) -> None:
    sources = shipped_sources()
    sources[WINDOWS] = sources[WINDOWS].replace("//AssemblyReference -Name System.Management.dll", "")
    with pytest.raises(CompileError, match="`Management' does not exist in the namespace `System'"):
        compile_library(sources, tmp_path / "engine.dll")


def test_assembly_references_and_ignored_warnings_are_read_as_add_type_reads_them() -> None:
    references, ignored = add_type_options(
        {
            "a.cs": "//AssemblyReference -Name System.Management.dll\n//AssemblyReference -Name Core.dll -CLR Core\n"
            "//NoWarn -Name CS1234 -CLR Framework\n//NoWarn -Name CS9999 -CLR Core\n"
        }
    )
    assert references == ["mscorlib.dll", "System.dll", "System.Core.dll", "System.Management.dll"]
    assert ignored == ["1234"]


# ---- the route test: real sockets --------------------------------------------------------------------------


def test_route_attempts_are_a_flat_list_of_objects_the_controller_reads() -> None:
    """On Windows the PowerShell worker returned the attempts as a list inside a list, which the controller refused
    as an unusable route, so every licensed host stayed unconverted; the engine's list is flat."""
    network = {"addresses": {"kms01": ["198.51.100.14", "2001:db8::14"]}}
    answers = [
        probe_route({**SERVER, "network": network}, machine="kms01"),
        probe_route({**SERVER, "kms": {"dns": "kms01"}, "network": network}, use_configured=False),
    ]
    for answer in answers:
        assert answer["attempts"] and all(isinstance(a, dict) for a in answer["attempts"])
        assert parse_route(answer).reachable
    nested = {**answers[0], "attempts": [answers[0]["attempts"]]}
    with pytest.raises(RouteError):
        parse_route(nested)


def test_an_ipv6_only_kms_host_is_reached_through_the_real_socket_code() -> None:
    listeners = loopback.shared()
    before = (listeners.accepted_count("ipv4"), listeners.accepted_count("ipv6"))
    answer = probe_route(
        {**SERVER, "network": {"addresses": {"kms6.corp.example.com": ["2001:db8::10"]}}},
        machine="kms6.corp.example.com",
    )
    assert [(a["address"], a["family"], a["outcome"]) for a in answer["attempts"]] == [
        ("2001:db8::10", "ipv6", "connected")
    ]
    # The listener accepts on its own thread, after the kernel completed the connection: wait for it (bounded).
    deadline = time.monotonic() + 5
    while listeners.accepted_count("ipv6") == before[1] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (listeners.accepted_count("ipv4"), listeners.accepted_count("ipv6")) == (before[0], before[1] + 1)


def test_dual_stack_with_ipv4_refused_and_ipv6_open_is_reachable() -> None:
    network = {
        "addresses": {"kms01": ["198.51.100.14", "2001:db8::14"]},
        "unreachable": {"198.51.100.14": "refused"},
    }
    answer = probe_route({**SERVER, "network": network}, machine="kms01")
    assert [(a["family"], a["outcome"]) for a in answer["attempts"]] == [("ipv4", "refused"), ("ipv6", "connected")]
    assert answer["attempts"][0]["message"]  # the socket's own text
    assert parse_route(answer).reachable


def test_a_kms_host_that_does_not_answer_times_out_after_the_given_wait() -> None:
    network = {"addresses": {"kms01": ["198.51.100.14"]}, "unreachable": {"198.51.100.14": "timed_out"}}
    answer = probe_route({**SERVER, "network": network}, machine="kms01", timeout_ms=300)
    assert [(a["outcome"], a["message"]) for a in answer["attempts"]] == [("timed_out", "")]


def test_the_configured_kms_host_is_the_services_with_an_ipv6_address_out_of_its_brackets() -> None:
    """The route after the plan: a new key is a new product without product-level KMS settings, and the plan clears
    those that differ; slmgr /skms stores an IPv6 address with its brackets."""
    network = {"addresses": {"kms-product": ["192.0.2.9"], "kms-service": ["2001:db8::21"]}}
    spec = {**SERVER, "network": network, "kms": {"machine": "kms-service", "product_machine": "kms-product"}}
    assert probe_route(spec)["machine"] == "kms-service"
    bracketed = probe_route({**SERVER, "kms": {"machine": "[2001:db8::30]", "port": 1700}})
    assert (bracketed["machine"], bracketed["port"]) == ("2001:db8::30", 1700)
    assert [(a["address"], a["outcome"]) for a in bracketed["attempts"]] == [("2001:db8::30", "connected")]


def test_names_that_do_not_resolve_and_ports_out_of_range() -> None:
    missing = probe_route({**SERVER, "network": {"addresses": {"gone": []}}}, machine="gone")
    assert [(a["address"], a["outcome"]) for a in missing["attempts"]] == [(None, "name_not_found")]
    wrong_port = probe_route(SERVER, machine="kms01", port=70000)
    assert [a["outcome"] for a in wrong_port["attempts"]] == ["invalid_argument"]


def test_srv_discovery_tries_each_target_until_one_connects() -> None:
    network = {
        "srv": {"corp.example.com": [{"target": "kms-a", "port": 1688}, {"target": "kms-b", "port": 1689}]},
        "addresses": {"kms-a": ["192.0.2.1"], "kms-b": ["192.0.2.2"]},
        "unreachable": {"192.0.2.1": "refused"},
    }
    answer = probe_route({**SERVER, "network": network}, use_configured=False)
    assert answer["srv"]["targets"] == [{"name": "kms-a", "port": 1688}, {"name": "kms-b", "port": 1689}]
    assert [(a["name"], a["port"], a["outcome"]) for a in answer["attempts"]] == [
        ("kms-a", 1688, "refused"),
        ("kms-b", 1689, "connected"),
    ]


# ---- steps and probe ----------------------------------------------------------------------------------------


def test_steps_stop_at_the_first_failure_and_earlier_results_are_kept() -> None:
    host = WindowsHost.from_spec({**SERVER, "faults": [{"operation": "set_kms_port", "hresult": "0xC004F025"}]})
    answer = host.run_worker(
        {
            "operation": "apply",
            "steps": [
                {"action": "set_kms_machine", "machine": "kms01"},
                {"action": "set_kms_port", "port": 1688},
                {"action": "activate"},
            ],
        }
    )
    assert [(s["action"], s["hresult"]) for s in answer["steps"]] == [
        ("set_kms_machine", 0),
        ("set_kms_port", hr.SL_E_LUA_ACCESSDENIED),
    ]
    assert answer["probe"]["service"]["KeyManagementServiceMachine"] == "kms01"  # read back after the steps


def test_a_product_step_without_a_keyed_product_fails_with_pkey_not_installed() -> None:
    answer = WindowsHost.from_spec({**SERVER, "key_type": "none"}).run_worker(
        {"operation": "apply", "steps": [{"action": "activate"}]}
    )
    assert answer["steps"] == [
        {"action": "activate", "hresult": hr.SL_E_PKEY_NOT_INSTALLED, "message": "No Windows product key is installed."}
    ]


def test_a_probe_that_cannot_read_the_service_fails_the_module_keeping_the_steps() -> None:
    host = WindowsHost.from_spec({**SERVER, "faults": [{"operation": "probe", "hresult": "0x80041003", "times": 1}]})
    answer = host.run_worker({"operation": "apply", "steps": [{"action": "refresh_license_status"}]})
    assert answer["failed"] is True
    assert answer["msg"] == (
        "volume_activation.kms.kms_client_key cannot read SoftwareLicensingService (0x80041003): Access denied"
    )
    assert answer["steps"] == [{"action": "refresh_license_status", "hresult": 0, "message": ""}]
    assert "probe" not in answer


def test_unkeyed_licences_and_other_applications_are_not_in_the_probe() -> None:
    host = WindowsHost.from_spec(SERVER)
    answer = host.run_worker({"operation": "probe"})
    assert [p["PartialProductKey"] is not None for p in answer["probe"]["products"]] == [True]
    assert len(host.query("SELECT ID FROM SoftwareLicensingProduct")) > 1  # the host has more licences


# ---- every scenario -----------------------------------------------------------------------------------------


def _scenario_hosts() -> list[tuple[str, Any]]:
    return [(f"{path.stem}:{spec.name}", spec) for path in SCENARIOS for spec in load_specs(path)]


@pytest.mark.parametrize(("name", "spec"), _scenario_hosts(), ids=[n for n, _s in _scenario_hosts()])
def test_every_scenario_host_runs_through_the_engine(name: str, spec: Any) -> None:
    """The engine reads every host of every scenario file and tests its route; the reply follows the contract
    (hosts whose reply a scenario tampers with, standing for a compromised host, excepted)."""
    del name
    host = WindowsHost(spec)
    answer = host.run_worker({"operation": "probe", "kms_route": route(timeout_ms=200)})
    if any(f.operation == "probe" for f in spec.faults):
        assert answer["failed"] and "cannot read SoftwareLicensingService" in answer["msg"]
        return
    assert not answer.get("failed"), answer
    if not spec.probe_patch:
        assert probe_shape_problems(answer["probe"]) == []
    assert parse_route(answer["kms_route"]).attempts == parse_route(answer["kms_route"]).attempts
    assert all(isinstance(a, dict) for a in answer["kms_route"]["attempts"])


def test_scenario_files_are_all_covered() -> None:
    assert {p.name for p in SCENARIOS} >= {
        "mixed_fleet.yml",
        "route_failures.yml",
        "step_hresults.yml",
        "hostile_probes.yml",
    }
    assert all(yaml.safe_load(p.read_text(encoding="utf-8"))["hosts"] for p in SCENARIOS)
