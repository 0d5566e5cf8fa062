"""The worker (the .ps1 shim and the C# engine), the licensing model and the controller's probe parser all follow
docs/worker_contract.md.

The engine is compiled from the shipped sources and run under Mono against the CIM-level model
(winsim.engine): what it asks WMI for and which methods it calls are read from the model's record of the calls.
The shim's argument spec is read on its tree-sitter syntax tree (no PowerShell runs here).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from unit.utils.contract import (
    CONTRACT_DOC,
    ROOT,
    WORKER,
    load_contract,
    probe_properties,
    probe_shape_problems,
    step_actions,
)
from unit.utils.pwsh_syntax import hash_entries, parse, string_list, text, variables_assigned

from winsim.licensing import WindowsHost
from winsim.licensing.host import STEP_METHODS

CONTRACT = load_contract()
SPEC = hash_entries(variables_assigned(parse(WORKER.read_bytes()))["spec"])
OPTIONS = hash_entries(SPEC["options"])
STEP_OPTIONS = hash_entries(hash_entries(OPTIONS["steps"])["options"])
CIM_SECTIONS = ("os", "computer", "service", "products")


def _probe_calls(spec: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    model = WindowsHost.from_spec(spec)
    answer = model.run_worker({"operation": "probe"})
    assert not answer.get("failed"), answer
    return answer, list(model.cim_calls)


def _select(calls: list[tuple[str, dict[str, Any]]], cim_class: str) -> str:
    """The engine's query of a class's properties (not a key-only lookup)."""
    found = [q for q, _a in calls if re.search(rf"\bFROM {cim_class}\b", q) and "," in q]
    assert len(found) == 1, (cim_class, calls)
    return found[0]


# --- the shim: its argument spec ----------------------------------------------------------------------


def test_shim_requires_the_engine_and_ansible_basic() -> None:
    lines = WORKER.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!powershell"
    assert "#AnsibleRequires -CSharpUtil Ansible.Basic" in lines
    assert (
        "#AnsibleRequires -CSharpUtil ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows"
        in lines
    )


def test_operation_choices_are_the_contract_operations() -> None:
    operation = hash_entries(OPTIONS["operation"])
    assert string_list(operation["choices"]) == CONTRACT["operations"]
    assert text(operation["required"]) == "$true"
    assert text(SPEC["supports_check_mode"]) == "$true"


def test_step_choices_and_arguments_are_the_contract_steps() -> None:
    assert string_list(hash_entries(STEP_OPTIONS["action"])["choices"]) == list(step_actions())
    arguments = {a for step in step_actions().values() for a in step["arguments"]}
    assert set(STEP_OPTIONS) == {"action"} | arguments
    assert text(hash_entries(STEP_OPTIONS["product_key"])["no_log"]) == "$true"


def test_kms_route_argument_spec_is_the_contract_arguments() -> None:
    route = hash_entries(hash_entries(OPTIONS["kms_route"])["options"])
    assert set(route) == set(CONTRACT["kms_route"]["arguments"])


# --- the engine: what it reads and calls ----------------------------------------------------------------


@pytest.mark.parametrize("section", CIM_SECTIONS)
def test_probe_reads_the_contract_class_and_properties(section: str) -> None:
    answer, calls = _probe_calls(MODEL_HOSTS["server2022-mak"])
    cim_class = CONTRACT["probe"][section]["class"]
    columns = re.match(r"SELECT (.*?) FROM", _select(calls, cim_class)).group(1)
    assert columns.split(", ") == probe_properties(section)
    row = answer["probe"][section][0] if section == "products" else answer["probe"][section]
    assert list(row) == probe_properties(section)


def test_probe_reads_no_other_class() -> None:
    _answer, calls = _probe_calls(MODEL_HOSTS["server2022-mak"])
    queried = {re.search(r"FROM (\w+)", q).group(1) for q, _a in calls if q.startswith("SELECT")}
    invoked = {name.split(".")[0] for name, _a in calls if not name.startswith("SELECT")}
    assert queried == {CONTRACT["probe"][s]["class"] for s in CIM_SECTIONS}
    assert invoked == {"StdRegProv"}


def test_products_filter_is_windows_products_holding_a_key() -> None:
    _answer, calls = _probe_calls(MODEL_HOSTS["server2022-mak"])
    where = _select(calls, CONTRACT["probe"]["products"]["class"]).split(" WHERE ", 1)[1]
    assert where == f"ApplicationID = '{CONTRACT['windows_application_id']}' AND PartialProductKey IS NOT NULL"


def test_columns_are_limited_to_the_properties_the_class_has() -> None:
    vista = {
        "name": "vista",
        "edition_id": "Business",
        "build": 6002,
        "key_type": "mak",
        "caption": "Windows Vista",
        "os_sku": 6,
    }
    answer, calls = _probe_calls(vista)
    lacking = CONTRACT["probe"]["products"]["optional_properties"]
    columns = _select(calls, "SoftwareLicensingProduct").split(" FROM ")[0]
    assert not set(lacking) & set(columns.removeprefix("SELECT ").split(", "))
    assert set(answer["probe"]["missing_properties"]["products"]) == set(lacking)
    assert all(answer["probe"]["products"][-1][name] is None for name in lacking)


def test_registry_values_are_read_by_their_type_from_the_contract_key() -> None:
    answer, calls = _probe_calls(MODEL_HOSTS["server2022-mak"])
    registry = CONTRACT["probe"]["registry"]
    subkey = registry["key"].removeprefix("HKLM:\\")
    (listing,) = [a for name, a in calls if name == "StdRegProv.EnumValues"]
    assert listing == {"hDefKey": 0x80000002, "sSubKeyName": subkey}
    read = {a["sValueName"]: name.split(".")[1] for name, a in calls if name.startswith("StdRegProv.Get")}
    assert read == {name: "GetDWORDValue" if name == "UBR" else "GetStringValue" for name in registry["properties"]}
    assert list(answer["probe"]["registry"]) == registry["properties"]


def _step_model(action: str) -> Any:
    spec = MODEL_HOSTS["server2022-mak"]
    model = WindowsHost.from_spec(spec)
    answer = model.run_worker({"operation": "apply", "steps": [_step_with_arguments(action, spec)]})
    assert not answer.get("failed"), answer
    return model


def _step_calls(action: str) -> list[tuple[str, dict[str, Any]]]:
    return [call for call in _step_model(action).cim_calls if not call[0].startswith(("SELECT", "StdRegProv."))]


@pytest.mark.parametrize("action", sorted(step_actions()))
def test_step_calls_the_contract_method_on_the_contract_class(action: str) -> None:
    expected = step_actions()[action]
    model = _step_model(action)
    calls = [call for call in model.cim_calls if not call[0].startswith(("SELECT", "StdRegProv."))]
    if "servicing" in expected:  # DISM, not CIM
        assert calls == []
        assert model.servicing_calls == [("set_edition", "ServerDatacenter")]
        return
    (call,) = calls
    assert call[0] == f"{expected['class']}.{expected['method']}"
    assert len(call[1]) == len(expected["arguments"])
    assert model.servicing_calls == []


def test_step_arguments_become_the_method_parameters() -> None:
    assert _step_calls("set_kms_port") == [
        ("SoftwareLicensingService.SetKeyManagementServicePort", {"PortNumber": 1688})
    ]
    assert _step_calls("set_kms_machine")[0][1] == {"MachineName": "kms01.corp.example.com"}
    assert _step_calls("set_kms_lookup_domain")[0][1] == {"LookupDomain": "corp.example.com"}
    assert list(_step_calls("install_product_key")[0][1]) == ["ProductKey"]


def test_product_steps_select_the_primary_product() -> None:
    model = WindowsHost.from_spec(
        {**MODEL_HOSTS["server2022-mak"], "addons": [{"license_family": "ESU", "partial_key": "BCDFG"}]}
    )
    model.run_worker({"operation": "apply", "steps": [{"action": "activate"}]})
    lookup = next(q for q, _a in model.cim_calls if q.startswith("SELECT ID FROM SoftwareLicensingProduct"))
    assert lookup.endswith(
        f"ApplicationID = '{CONTRACT['windows_application_id']}' AND PartialProductKey IS NOT NULL"
        " AND LicenseIsAddon = FALSE"
    )


def test_sim_step_methods_are_the_contract_methods() -> None:
    assert {a: (s["class"], s["method"]) for a, s in step_actions().items() if "class" in s} == STEP_METHODS


@pytest.mark.parametrize(
    ("edition_id", "installation_type", "outcome", "targets"),
    [
        ("ServerStandardEval", "Server", "found", ["ServerStandard", "ServerDatacenter"]),
        ("ServerStandardEvalCor", "Server Core", "found", ["ServerDatacenterCor"]),
        ("ServerStandard", "Server", "not_evaluation", []),
    ],
)
def test_target_editions_answer_has_the_contract_keys(
    edition_id: str, installation_type: str, outcome: str, targets: list[str]
) -> None:
    key_type = "eval" if "Eval" in edition_id else "mak"
    spec = {
        "name": "eval",
        "edition_id": edition_id,
        "build": 20348,
        "installation_type": installation_type,
        "key_type": key_type,
        "os_sku": 7,
    }
    model = WindowsHost.from_spec(spec)
    answer = model.run_worker({"operation": "probe", "target_editions": True})
    contract = CONTRACT["editions"]
    assert list(answer["editions"]) == contract["result"]
    assert answer["editions"]["outcome"] == outcome
    assert outcome in contract["outcomes"]
    assert answer["editions"]["targets"] == targets
    # DISM is asked only on an evaluation edition, and never without the argument.
    assert [call for call, _edition in model.servicing_calls] == (["target_editions"] if targets else [])
    assert "editions" not in model.run_worker({"operation": "probe"})


def test_step_result_and_route_answer_have_the_contract_keys() -> None:
    model = WindowsHost.from_spec({**MODEL_HOSTS["server2022-mak"], "kms": {"dns": "kms01.corp.example.com"}})
    route = {"machine": None, "port": None, "lookup_domain": None, "use_configured": False, "timeout_ms": 1000}
    answer = model.run_worker(
        {"operation": "apply", "steps": [{"action": "refresh_license_status"}], "kms_route": route}
    )
    assert [list(s) for s in answer["steps"]] == [CONTRACT["step_result"]]
    contract = CONTRACT["kms_route"]
    assert list(answer["kms_route"]) == contract["result"]
    assert list(answer["kms_route"]["srv"]) == contract["srv"]
    assert answer["kms_route"]["srv"]["outcome"] in contract["srv_outcomes"]
    for attempt in answer["kms_route"]["attempts"]:
        assert list(attempt) == contract["attempt"] and attempt["outcome"] in contract["outcomes"]


# --- the contract page itself ----------------------------------------------------------------------


def test_contract_table_names_the_same_calls_as_the_yaml_block() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \|[^|]*\| `(\w+)\.(\w+)\(", CONTRACT_DOC.read_text(encoding="utf-8"), re.M)
    documented = {action: (cim_class, method) for action, cim_class, method in rows}
    expected = {a: (s["class"], s["method"]) for a, s in step_actions().items() if s.get("method")}
    assert documented == expected


def test_contract_probe_example_has_the_contract_property_names() -> None:
    page = CONTRACT_DOC.read_text(encoding="utf-8")
    example = json.loads(re.search(r"^```json\n(.*?)^```", page, re.M | re.S).group(1))
    assert list(example) == list(CONTRACT["probe"])
    for section in ("os", "registry", "service"):
        assert list(example[section]) == probe_properties(section)
    assert [list(p) for p in example["products"]] == [probe_properties("products")]


# --- the controller's probe parser -----------------------------------------------------------------

PARSER = ROOT / "plugins" / "plugin_utils" / "_host" / "_state.py"
CONTRACT_PROPERTIES = {p for section in CONTRACT["probe"].values() for p in section["properties"]}


def _probe_parser() -> Any:
    """plugins/plugin_utils/_host/_state.py, which turns the probe into a host state."""
    assert PARSER.is_file(), f"the probe parser {PARSER.relative_to(ROOT)} does not exist"
    from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _state

    return _state


def _contract_example() -> dict[str, Any]:
    page = CONTRACT_DOC.read_text(encoding="utf-8")
    return json.loads(re.search(r"^```json\n(.*?)^```", page, re.M | re.S).group(1))


class _Recording(dict):
    """A dict that notes every key read from it."""

    def __init__(self, data: dict[str, Any], reads: set[str]) -> None:
        super().__init__(data)
        self.reads = reads

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.reads.add(key)
        return super().__getitem__(key)


def _recording_probe(example: dict[str, Any], reads: set[str]) -> _Recording:
    sections = {name: _Recording(value, reads) for name, value in example.items() if name != "products"}
    sections["products"] = [_Recording(product, reads) for product in example["products"]]
    return _Recording(sections, reads)


def test_parser_source_names_only_contract_properties() -> None:
    _probe_parser()
    source = PARSER.read_text(encoding="utf-8")
    named = set(re.findall(r"""\.get\(\s*["']([A-Z]\w*)["']|\[\s*["']([A-Z]\w*)["']\s*\]""", source))
    names = {a or b for a, b in named}
    assert names, "the parser reads no CIM or registry property by name"
    assert names - CONTRACT_PROPERTIES == set()


def test_parser_reads_only_contract_sections_and_properties() -> None:
    reads: set[str] = set()
    _probe_parser().parse_probe(_recording_probe(_contract_example(), reads))
    assert reads - CONTRACT_PROPERTIES - set(CONTRACT["probe"]) == set()
    assert {"os", "registry", "service", "products"} & reads


def test_parser_reads_the_contract_example() -> None:
    example = _contract_example()
    product = example["products"][0]
    state = _probe_parser().parse_probe(example)
    assert state.edition_id == example["registry"]["EditionID"]
    assert state.partial_product_key == product["PartialProductKey"]
    assert state.license_status == product["LicenseStatus"]


def test_parser_accepts_nulls_for_properties_older_windows_lacks() -> None:
    example = _contract_example()
    for name in CONTRACT["probe"]["products"]["optional_properties"]:
        example["products"][0][name] = None
    state = _probe_parser().parse_probe(example)
    assert state.partial_product_key == example["products"][0]["PartialProductKey"]


def test_contract_example_passes_the_shape_check_and_a_renamed_property_fails_it() -> None:
    example = _contract_example()
    assert probe_shape_problems(example) == []
    example["products"][0]["Id"] = example["products"][0].pop("ID")
    assert probe_shape_problems(example) == [f"products[0]: {sorted(example['products'][0])}"]


# --- probes recorded on real Windows hosts (docs/real_windows_checklist.md) ---------------------------

REPLAY_DIR = ROOT / "tests" / "fixtures" / "replay"


def test_recorded_probes_follow_the_contract_and_parse() -> None:
    """Passes trivially until the first fixture is recorded; then checks every one."""
    for path in sorted(REPLAY_DIR.glob("*.json")):
        recorded = json.loads(path.read_text(encoding="utf-8"))
        probes = [recorded["probe"]] + [a["result"]["probe"] for a in recorded.get("apply", [])]
        for probe in probes:
            assert probe_shape_problems(probe) == [], path.name
            _probe_parser().parse_probe(probe)


# --- the licensing model (tools/winsim/licensing) ------------------------------------------------

MODEL_HOSTS = {
    "server2022-mak": {
        "name": "srv2022",
        "edition_id": "ServerDatacenter",
        "build": 20348,
        "ubr": 2113,
        "installation_type": "Server",
        "key_type": "mak",
    },
    "win11-retail": {
        "name": "win11",
        "edition_id": "Professional",
        "build": 22631,
        "installation_type": "Client",
        "key_type": "retail",
    },
    "win7-no-key": {
        "name": "win7",
        "edition_id": "Enterprise",
        "build": 7601,
        "installation_type": "Client",
        "key_type": "none",
    },
}


def _model(spec: dict[str, Any]) -> Any:
    from winsim.licensing import WindowsHost

    return WindowsHost.from_spec(spec)


def _step_with_arguments(action: str, spec: dict[str, Any]) -> dict[str, Any]:
    from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog

    values = {
        "product_key": gvlk_catalog.resolve(edition_id=spec["edition_id"], build=spec["build"]).gvlk,
        "machine": "kms01.corp.example.com",
        "port": 1688,
        "domain": "corp.example.com",
        "host": "kms01.corp.example.com",
        "timeout_ms": 2000,
        "edition": "ServerDatacenter",
    }
    return {"action": action, **{name: values[name] for name in step_actions()[action]["arguments"]}}


@pytest.mark.parametrize("host", MODEL_HOSTS, ids=MODEL_HOSTS)
def test_model_probe_has_exactly_the_contract_names(host: str) -> None:
    answer = _model(MODEL_HOSTS[host]).run_worker({"operation": "probe"})
    assert not answer.get("failed"), answer
    assert probe_shape_problems(answer["probe"]) == []


@pytest.mark.parametrize("action", sorted(step_actions()))
def test_model_accepts_every_contract_step(action: str) -> None:
    spec = MODEL_HOSTS["server2022-mak"]
    answer = _model(spec).run_worker({"operation": "apply", "steps": [_step_with_arguments(action, spec)]})
    assert not answer.get("failed"), answer
    (result,) = answer["steps"]
    assert list(result) == CONTRACT["step_result"]
    assert result["action"] == action
    assert isinstance(result["hresult"], int) and 0 <= result["hresult"] <= 0xFFFFFFFF
    assert probe_shape_problems(answer["probe"]) == []


def test_model_rejects_a_step_the_contract_does_not_define() -> None:
    answer = _model(MODEL_HOSTS["server2022-mak"]).run_worker({"operation": "apply", "steps": [{"action": "rearm"}]})
    assert answer.get("failed") and "steps" not in answer


def test_model_accepts_the_step_options_the_worker_declares_and_no_other() -> None:
    model = _model(MODEL_HOSTS["server2022-mak"])
    declared = {name: None for name in STEP_OPTIONS if name != "action"}
    assert not model.run_worker({"operation": "apply", "steps": [{"action": "clear_kms_port", **declared}]}).get(
        "failed"
    )
    assert model.run_worker({"operation": "apply", "steps": [{"action": "clear_kms_port", "unknown": 1}]}).get("failed")


def test_model_refuses_apply_in_check_mode_like_the_worker() -> None:
    answer = _model(MODEL_HOSTS["server2022-mak"]).run_worker(
        {"operation": "apply", "steps": [{"action": "clear_kms_port"}], "_ansible_check_mode": True}
    )
    assert answer.get("failed") and "steps" not in answer
    assert answer["msg"] == f"{CONTRACT['module']} refuses to apply steps in check mode"
