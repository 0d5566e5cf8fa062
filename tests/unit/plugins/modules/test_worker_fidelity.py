"""The worker's error handling, its record of steps and its spec, read on its tree-sitter syntax tree."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from unit.utils.contract import ROOT, WORKER
from unit.utils.pwsh_syntax import (
    Node,
    code_words,
    functions,
    hash_entries,
    parse,
    string_list,
    string_value,
    text,
    variables_assigned,
)

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import ARGUMENT_SPEC

SOURCE = WORKER.read_text(encoding="utf-8")
TREE = parse(SOURCE.encode("utf-8"))
FUNCTIONS = functions(TREE)
OPTIONS = hash_entries(hash_entries(variables_assigned(TREE)["spec"])["options"])
INTERNAL = {"operation", "steps", "kms_route"}
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


def test_step_error_text_comes_from_msft_wmi_error() -> None:
    helper = FUNCTIONS["Get-ErrorText"]
    assert {"ErrorData", "CimInstanceProperties", "error_WindowsErrorMessage", "Message"} <= code_words(helper)
    assert "Get-ErrorText" in text(FUNCTIONS["Invoke-Step"])


def test_step_results_are_on_the_result_before_any_step_runs() -> None:
    apply_block = SOURCE[SOURCE.index("if ($module.Params.operation -eq 'apply')") :]
    assigned = apply_block.index("$module.Result.steps = $results")
    assert assigned < apply_block.index("foreach ($step in $module.Params.steps)")
    assert apply_block.index("try {") < apply_block.index("foreach ($step in")
    assert "$module.FailJson(" in apply_block[: apply_block.index("$module.Result.probe")]


def test_probe_reports_missing_properties_per_section() -> None:
    probe = hash_entries(FUNCTIONS["Get-Probe"])
    assert "missing_properties" in probe
    assert set(hash_entries(probe["missing_properties"])) == {"service", "products"}
    assert "notcontains" in text(FUNCTIONS["Read-CimRow"]).lower()
