"""The worker (.ps1), the licensing model and the controller's probe parser all follow docs/worker_contract.md.

The worker is never executed here (there is no PowerShell); its names are checked on its tree-sitter
syntax tree against the machine-readable block of the contract.
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
from unit.utils.pwsh_syntax import (
    Node,
    code_words,
    command_arguments,
    command_name,
    commands,
    functions,
    hash_entries,
    member_accesses,
    parse,
    string_list,
    string_value,
    text,
    variable_references,
    variables_assigned,
    walk,
)

CONTRACT = load_contract()
TREE = parse(WORKER.read_bytes())
ASSIGNED = variables_assigned(TREE)
FUNCTIONS = functions(TREE)
STEP_BLOCKS = hash_entries(ASSIGNED["StepActions"])
SPEC = hash_entries(ASSIGNED["spec"])
OPTIONS = hash_entries(SPEC["options"])
STEP_OPTIONS = hash_entries(hash_entries(OPTIONS["steps"])["options"])
CIM_SECTIONS = ("os", "service", "products")


def _variable_value(node: Node) -> Node:
    """The value assigned at top level to the variable node refers to."""
    name = text(node).lstrip("$")
    assert name in ASSIGNED, f"${name} is not assigned at the top level of the worker"
    return ASSIGNED[name]


def _called_functions(node: Node) -> list[Node]:
    """Definitions of the worker's own functions called at or under node, one level deep."""
    return [FUNCTIONS[command_name(c)] for c in commands(node) if command_name(c) in FUNCTIONS]


def _classes_queried(node: Node) -> set[str]:
    """CIM classes a piece of code reads: -ClassName arguments and the FROM of WQL strings."""
    classes = {text(command_arguments(c)["-classname"]) for c in commands(node) if "-classname" in command_arguments(c)}
    for literal in _walk_strings(node):
        classes.update(re.findall(r"\bFROM\s+(\w+)", literal, re.IGNORECASE))
    return classes


def _walk_strings(node: Node) -> list[str]:
    return [text(n) for n in walk(node) if n.type == "string_literal"]


def _cim_reads() -> dict[str, Node]:
    """Commands that read a CIM class with a property list: class name -> command node."""
    reads = {}
    for command in commands(TREE):
        arguments = command_arguments(command)
        if "-classname" in arguments and "-properties" in arguments:
            reads[text(arguments["-classname"])] = command
    return reads


# --- the worker ------------------------------------------------------------------------------------


def test_worker_header() -> None:
    lines = WORKER.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!powershell"
    assert "#AnsibleRequires -CSharpUtil Ansible.Basic" in lines
    strict = commands(TREE, "Set-StrictMode")
    assert [text(command_arguments(c)["-version"]) for c in strict] == ["2.0"]
    assert string_value(ASSIGNED["ErrorActionPreference"]) == "Stop"


def test_worker_name_is_a_statement() -> None:
    assert string_value(ASSIGNED["WorkerName"]) == CONTRACT["module"]


def test_operation_choices_are_the_contract_operations() -> None:
    operation = hash_entries(OPTIONS["operation"])
    assert string_list(operation["choices"]) == CONTRACT["operations"]
    assert text(operation["required"]) == "$true"


def _enclosing_ifs(node: Node) -> list[Node]:
    found = []
    while node.parent is not None:
        node = node.parent
        if node.type == "if_statement":
            found.append(node)
    return found


def test_check_mode_is_supported_and_apply_refused_in_it() -> None:
    assert text(SPEC["supports_check_mode"]) == "$true"
    checks = [n for n in walk(TREE) if n.type == "member_access" and text(n) == "$module.CheckMode"]
    assert len(checks) == 1
    refusal, *outer = _enclosing_ifs(checks[0])
    assert "FailJson" in code_words(refusal.child_by_field_name("consequence") or refusal)
    assert any(re.search(r"operation -eq 'apply'", text(branch.named_children[0])) for branch in outer)


def test_every_contract_step_is_handled_and_no_other() -> None:
    assert set(STEP_BLOCKS) == set(step_actions())
    action_choices = hash_entries(STEP_OPTIONS["action"])["choices"]
    assert "StepActions" in variable_references(action_choices)


@pytest.mark.parametrize("action", sorted(step_actions()))
def test_step_calls_the_contract_method_on_the_contract_class(action: str) -> None:
    expected = step_actions()[action]
    block = STEP_BLOCKS[action]
    calls = commands(block, "Invoke-CimMethod")
    if expected["method"] is None:
        assert calls == []
        return
    assert [text(command_arguments(c)["-methodname"]) for c in calls] == [expected["method"]]
    target = command_arguments(calls[0])["-inputobject"]
    queried = set().union(*(_classes_queried(f) for f in _called_functions(target)))
    assert queried == {expected["class"]}


@pytest.mark.parametrize("action", sorted(step_actions()))
def test_step_reads_exactly_the_contract_arguments(action: str) -> None:
    assert member_accesses(STEP_BLOCKS[action], "Step") == set(step_actions()[action]["arguments"])


def test_step_argument_spec_matches_and_hides_the_product_key() -> None:
    arguments = {a for step in step_actions().values() for a in step["arguments"]}
    assert set(STEP_OPTIONS) == {"action"} | arguments
    assert text(hash_entries(STEP_OPTIONS["product_key"])["no_log"]) == "$true"


def test_kms_route_argument_spec_is_the_contract_arguments() -> None:
    route = hash_entries(hash_entries(OPTIONS["kms_route"])["options"])
    assert set(route) == set(CONTRACT["kms_route"]["arguments"])


def test_kms_route_connects_each_address_with_a_socket_of_its_own_family() -> None:
    words = code_words(FUNCTIONS["Test-KmsAddress"])
    assert {"System.Net.Dns", "GetHostAddresses", "System.Net.Sockets.Socket", "AddressFamily"} <= words
    assert {"BeginConnect", "WaitOne", "EndConnect"} <= words
    assert "System.Net.Sockets.TcpClient" not in code_words(TREE)  # IPv4 only when built without a family


def test_kms_route_reads_srv_records_as_objects() -> None:
    (lookup,) = [c for c in commands(FUNCTIONS["Test-KmsRoute"]) if command_name(c) == "Resolve-DnsName"]
    assert text(command_arguments(lookup)["-type"]) == "SRV"
    assert {"NameTarget", "Port"} <= code_words(FUNCTIONS["Test-KmsRoute"])


def test_kms_route_keys_and_outcomes_appear_in_the_worker() -> None:
    route = CONTRACT["kms_route"]
    strings = set(_walk_strings(TREE)) | {s.strip("'") for s in _walk_strings(TREE)}
    names = {text(k) for k in walk(TREE) if k.type == "key_expression"} | code_words(TREE)
    for outcome in route["outcomes"] + route["srv_outcomes"]:
        assert outcome in strings, outcome
    for key in route["result"] + route["srv"] + route["attempt"]:
        assert key in names or key in strings, key


def test_step_result_has_the_contract_keys_only() -> None:
    assert list(hash_entries(FUNCTIONS["Invoke-Step"])) == CONTRACT["step_result"]


def test_hresult_prefers_the_cim_error_code() -> None:
    words = code_words(FUNCTIONS["Get-HResult"])
    assert {"ErrorData", "error_Code", "CimInstanceProperties"} <= words


def test_probe_has_the_contract_sections() -> None:
    assert list(hash_entries(FUNCTIONS["Get-Probe"])) == list(CONTRACT["probe"])


@pytest.mark.parametrize("section", CIM_SECTIONS)
def test_probe_reads_the_contract_class_and_properties(section: str) -> None:
    reads = _cim_reads()
    cim_class = CONTRACT["probe"][section]["class"]
    assert cim_class in reads, f"no command reads {cim_class} with -Properties"
    properties = _variable_value(command_arguments(reads[cim_class])["-properties"])
    assert string_list(properties) == probe_properties(section)


def test_probe_reads_no_other_class() -> None:
    assert set(_cim_reads()) == {CONTRACT["probe"][s]["class"] for s in CIM_SECTIONS}


def test_columns_are_limited_to_the_properties_the_class_has() -> None:
    reader = FUNCTIONS[command_name(_cim_reads()["SoftwareLicensingProduct"])]
    helpers = _called_functions(reader)
    assert any(commands(h, "Get-CimClass") for h in helpers)
    assert any("CimClassProperties" in code_words(h) for h in helpers)


def _normalized(wql: str) -> str:
    return re.sub(r"\s+", " ", wql).strip()


def test_products_filter_is_windows_products_holding_a_key() -> None:
    products_read = _cim_reads()[CONTRACT["probe"]["products"]["class"]]
    where = _normalized(string_value(_variable_value(command_arguments(products_read)["-filter"])) or "")
    assert f"ApplicationID = '{CONTRACT['windows_application_id']}'" in where
    assert "PartialProductKey IS NOT NULL" in where


def test_activate_selects_the_primary_product_with_the_same_filter() -> None:
    target = command_arguments(commands(STEP_BLOCKS["activate"], "Invoke-CimMethod")[0])["-inputobject"]
    (selector,) = _called_functions(target)
    products_read = _cim_reads()[CONTRACT["probe"]["products"]["class"]]
    assert text(command_arguments(products_read)["-filter"]).lstrip("$") in variable_references(selector)
    assert "LicenseIsAddon = FALSE" in " ".join(_walk_strings(selector))


def test_registry_path_and_properties() -> None:
    registry = CONTRACT["probe"]["registry"]
    assert string_value(ASSIGNED["RegistryPath"]) == registry["key"]
    assert string_list(ASSIGNED["RegistryProperties"]) == registry["properties"]
    reader = FUNCTIONS["Read-Registry"]
    assert {"RegistryPath", "RegistryProperties"} <= variable_references(reader)


def test_every_contract_name_appears_in_the_worker_code() -> None:
    names = {CONTRACT["probe"][s]["class"] for s in CIM_SECTIONS}
    names |= {p for s in CONTRACT["probe"].values() for p in s["properties"]}
    names |= {v[k] for v in step_actions().values() for k in ("class", "method") if v[k]}
    assert names - code_words(TREE) == set()


def test_no_wmi_cmdlets_or_slmgr() -> None:
    used = {command_name(c).lower() for c in commands(TREE)}
    assert not used & {"get-wmiobject", "gwmi", "invoke-wmimethod", "set-wmiinstance", "cscript", "wscript"}
    assert not {w for w in code_words(TREE) if "slmgr" in w.lower()}


# --- the contract page itself ----------------------------------------------------------------------


def test_contract_table_names_the_same_calls_as_the_yaml_block() -> None:
    rows = re.findall(r"^\| `(\w+)` \|[^|]*\| `(\w+)\.(\w+)\(", CONTRACT_DOC.read_text(encoding="utf-8"), re.M)
    documented = {action: (cim_class, method) for action, cim_class, method in rows}
    expected = {a: (s["class"], s["method"]) for a, s in step_actions().items() if s["method"]}
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


# --- the licensing model (tests/winsim/licensing) ------------------------------------------------

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
    check = next(n for n in walk(TREE) if n.type == "member_access" and text(n) == "$module.CheckMode")
    refusal = _enclosing_ifs(check)[0]
    assert "refuses to apply steps in check mode" in text(refusal)
    assert "refuses to apply steps in check mode" in answer["msg"]
