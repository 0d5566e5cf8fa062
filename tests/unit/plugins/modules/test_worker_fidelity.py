"""The worker's shim (kms_client_key.ps1), read on its tree-sitter syntax tree: its argument spec is the
documented one, and it holds no logic (the C# engine does, and runs in the tests)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from unit.utils.contract import ROOT, WORKER
from unit.utils.pwsh_syntax import (
    Node,
    hash_entries,
    parse,
    string_list,
    string_value,
    text,
    variables_assigned,
    walk,
)

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import ARGUMENT_SPEC

SOURCE = WORKER.read_text(encoding="utf-8")
TREE = parse(SOURCE.encode("utf-8"))
ASSIGNED = variables_assigned(TREE)
OPTIONS = hash_entries(hash_entries(ASSIGNED["spec"])["options"])
INTERNAL = {"operation", "steps", "kms_route", "activation_objects", "target_editions"}
DOCUMENTED = yaml.safe_load((ROOT / "plugins" / "modules" / "kms_client_key.yml").read_text(encoding="utf-8"))[
    "DOCUMENTATION"
]["options"]


def _value(node: Node) -> Any:
    """A spec value as Python data: $true/$false, integers, @{} and string lists."""
    raw = text(node).strip()
    if raw.lower() in ("$true", "$false"):
        return raw.lower() == "$true"
    if raw.lstrip("-").isdigit():
        return int(raw)
    if raw.replace(" ", "") == "@{}":
        return {}
    items = string_list(node)
    if items is not None and "," not in raw and string_value(node) is not None:
        return items[0]
    return items


def _worker_option(name: str) -> dict[str, Any]:
    return {key: _value(value) for key, value in hash_entries(OPTIONS[name]).items()}


def _normal(option: dict[str, Any]) -> dict[str, Any]:
    """The fields compared: type, elements, default, choices (a default list compared as a list)."""
    shown = {k: option[k] for k in ("type", "elements", "default", "choices") if option.get(k) is not None}
    for key in ("default", "choices"):
        if isinstance(shown.get(key), tuple):
            shown[key] = list(shown[key])
    if shown.get("type") == "list" and isinstance(shown.get("default"), str):
        shown["default"] = [shown["default"]]
    return shown


def test_worker_declares_every_documented_option_and_no_other() -> None:
    assert set(OPTIONS) - INTERNAL == set(DOCUMENTED) == set(ARGUMENT_SPEC)


@pytest.mark.parametrize("name", sorted(ARGUMENT_SPEC))
def test_worker_spec_matches_the_documentation(name: str) -> None:
    assert _normal(_worker_option(name)) == _normal(DOCUMENTED[name])


@pytest.mark.parametrize("name", sorted(ARGUMENT_SPEC))
def test_action_plugin_spec_matches_the_documentation(name: str) -> None:
    documented = _normal(DOCUMENTED[name])
    declared = _normal(ARGUMENT_SPEC[name])
    if "choices" not in declared:
        # convert_from's values are checked by the action plugin itself, naming why csvlk/eval are refused.
        documented.pop("choices", None)
    assert declared == documented


def test_documented_options_are_marked_as_the_action_plugins() -> None:
    first = min(SOURCE.index(f"{name} = @{{") for name in ARGUMENT_SPEC)
    comment = SOURCE.rfind("#", 0, first)
    assert "action plugin" in SOURCE[comment : SOURCE.index("\n", comment)]


def test_secret_options_are_no_log() -> None:
    assert _worker_option("gvlk_overrides").get("no_log") is True


# Statement kinds that would put logic in the shim: loops, pipelines of commands, functions, error handling.
_LOGIC = {
    "foreach_statement",
    "for_statement",
    "while_statement",
    "do_statement",
    "switch_statement",
    "function_statement",
    "try_statement",
    "trap_statement",
    "command",
    "|",
}


def test_the_shim_holds_no_logic() -> None:
    """Only the spec, the module, one call into the engine and the exit: what only a real host can check is small."""
    found = {node.type for node in walk(TREE)}
    assert not found & _LOGIC
    outside_spec = [n for n in walk(TREE) if n.type == "array_expression" and not _inside(n, ASSIGNED["spec"])]
    assert outside_spec == []
    lines = [line for line in SOURCE.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) <= 60
    spec_lines = range(ASSIGNED["spec"].start_point[0], ASSIGNED["spec"].end_point[0] + 1)
    code = [
        line
        for number, line in enumerate(SOURCE.splitlines())
        if line.strip() and not line.lstrip().startswith("#") and number not in spec_lines
    ]
    # Besides the argument spec (every documented option): the module, the call, the failure, the exit.
    assert len(code) <= 8, code
    assert sorted(ASSIGNED) == ["failure", "module", "spec"]


def _inside(node: Node, ancestor: Node) -> bool:
    while node is not None:
        if node == ancestor:
            return True
        node = node.parent
    return False


def test_the_shim_calls_the_engine_once_with_the_module_result() -> None:
    call = text(ASSIGNED["failure"])
    assert call.startswith(
        "[ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows.Worker]::Run("
    )
    assert call.count("::") == 1
    assert "$module.Params, $module.CheckMode, $module.Result" in call
    assert SOURCE.index("$module.FailJson($failure)") < SOURCE.index("$module.ExitJson()")
