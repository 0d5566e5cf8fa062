"""Each vocabulary exists once: documentation, report, role, contract and simulator derive from _vocabulary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from unit.utils.contract import step_actions

from ansible_collections.volume_activation.kms.plugins.plugin_utils import _vocabulary as vocabulary
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import ARGUMENT_SPEC, role_wording
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import STATUS_COLOURS
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import (
    ATTENTION,
    STATUS_GUIDE,
    Status,
    status_guide,
)
from winsim import scenario

ROOT = Path(__file__).resolve().parents[4]


def _sidecar(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "plugins" / "modules" / f"{name}.yml").read_text(encoding="utf-8"))


def _role_options() -> dict[str, Any]:
    specs = yaml.safe_load((ROOT / "roles" / "kms_client" / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return specs["argument_specs"]["main"]["options"]


def test_documented_status_choices_are_the_module_statuses() -> None:
    returned = _sidecar("kms_client_key")["RETURN"]
    assert returned["status"]["choices"] == list(vocabulary.MODULE_STATUSES)


def test_documented_fact_status_choices_follow_the_vocabulary_when_documented() -> None:
    fact = _sidecar("kms_client_key")["RETURN"].get("ansible_facts", {})
    statuses = fact.get("contains", {}).get("kms_client", {}).get("contains", {}).get("status", {})
    if "choices" in statuses:
        assert statuses["choices"] == list(vocabulary.MODULE_STATUSES)


def test_convert_from_choices_are_the_convertible_key_types() -> None:
    documented = _sidecar("kms_client_key")["DOCUMENTATION"]["options"]["convert_from"]
    assert documented["choices"] == list(vocabulary.CONVERTIBLE_KEY_TYPES)
    assert _role_options()["kms_client_convert_from"]["choices"] == list(vocabulary.CONVERTIBLE_KEY_TYPES)
    assert set(ARGUMENT_SPEC["convert_from"]["default"]) <= set(vocabulary.CONVERTIBLE_KEY_TYPES)


def test_report_summary_documents_every_status_in_order() -> None:
    text = (ROOT / "plugins" / "modules" / "kms_client_report.yml").read_text(encoding="utf-8")
    sentence = " ".join(text.split("statuses in the order", 1)[1].split(". Statuses", 1)[0].split())
    assert [s.strip() for s in sentence.split(",")] == list(vocabulary.STATUSES)


def test_every_status_has_a_report_colour_in_vocabulary_order() -> None:
    assert list(STATUS_COLOURS) == list(vocabulary.STATUSES)


def test_refusals_are_module_statuses() -> None:
    assert set(vocabulary.REFUSALS) <= set(vocabulary.MODULE_STATUSES)
    assert "is_kms_host" in vocabulary.REFUSALS


def test_steps_are_the_contract_steps_with_their_arguments() -> None:
    contract = step_actions()
    assert list(vocabulary.STEPS) == list(contract)
    for action, step in vocabulary.STEPS.items():
        assert list(step.arguments) == contract[action]["arguments"], action


def test_read_only_steps_are_the_ones_that_call_no_setter() -> None:
    """A step changes state unless it only reads or refreshes: the contract's method names say which."""
    for action, step in vocabulary.STEPS.items():
        contract = step_actions()[action]
        method = contract.get("method") or contract.get("servicing") or ""
        writes = method.startswith(("Install", "Set", "Clear", "Activate", "Reboot"))
        assert step.changes_state == writes, action


def test_every_step_that_changes_state_is_described() -> None:
    assert all(step.describe for step in vocabulary.STEPS.values() if step.changes_state)


def test_simulator_uses_the_same_names() -> None:
    assert tuple(vocabulary.STEPS) == scenario.STEP_ACTIONS
    assert set(scenario.KEY_TYPES) == set(vocabulary.KEY_TYPES) - {"unknown"}


def test_every_status_has_a_guide_and_only_settled_statuses_need_no_attention() -> None:
    assert set(STATUS_GUIDE) == set(Status)
    assert all(guide.meaning and guide.todo for guide in STATUS_GUIDE.values())
    settled = {"compliant", "converted", "reconfigured", "would_convert", "would_reconfigure"}
    assert set(ATTENTION) == {status.value for status in Status} - settled
    assert status_guide("no-such-status").attention  # a status from another version is looked at


def test_the_guide_names_each_option_as_the_role_variable_in_full_and_as_the_module_option() -> None:
    """A playbook user sets kms_client_on_kms_unreachable, a module user on_kms_unreachable: the legend and the
    "what to do" name both, and no option by a bare name either audience could take for its own."""
    module_option = re.compile(r"\(module option (\w+)\)")
    for status, guide in STATUS_GUIDE.items():
        for text in (guide.meaning, guide.todo):
            named = module_option.findall(text)
            assert all(option in ARGUMENT_SPEC and f"kms_client_{option}" in text for option in named), status
            bare = module_option.sub("", text)
            assert role_wording(bare) == bare, status


def test_the_user_guide_names_the_default_fail_statuses_of_the_role() -> None:
    guide = (ROOT / "docs" / "user_guide.md").read_text(encoding="utf-8")
    row = next(line for line in guide.splitlines() if line.startswith("| `2` | hosts need attention"))
    listed = re.findall(r"`([a-z_]+)`", row.split("(default ", 1)[1].split(")", 1)[0])
    defaults = yaml.safe_load((ROOT / "roles" / "kms_client" / "defaults" / "main.yml").read_text(encoding="utf-8"))
    assert listed == defaults["kms_client_report_fail_statuses"]


def test_the_user_guide_legend_is_the_vocabulary() -> None:
    guide = (ROOT / "docs" / "user_guide.md").read_text(encoding="utf-8")
    legend = guide.split("### The legend of statuses\n\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split(" | ") for line in legend.splitlines()[2:]]
    assert {cells[0].strip(" `"): (cells[1], cells[2].strip()) for cells in rows} == {
        status.value: (guide_.meaning, guide_.todo) for status, guide_ in STATUS_GUIDE.items()
    }
