"""The evaluation decision: which edition an evaluation host becomes (as DISM offers it), or why it does not."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._evaluation import (
    EditionChange,
    TargetEditions,
    choose,
    dism_edition,
    parse_target_editions,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import RouteError
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import Options
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState, KmsSettings


def host(edition_id: str, *, core: bool = False, build: int = 20348, **fields: Any) -> HostState:
    """An evaluation host as the probe reads it (Server Core told by InstallationType, not by the EditionID)."""
    state = HostState(
        caption=None,
        build=build,
        os_sku=None,
        product_type=3,
        edition_id=edition_id,
        product_name=None,
        installation_type="Server Core" if core else "Server",
        ubr=None,
        display_version=None,
        kms=KmsSettings(),
        product=None,
        key_type="eval",
    )
    return dataclasses.replace(state, **fields)


def offered(*targets: str) -> TargetEditions:
    return TargetEditions(current="ServerStandardEval", outcome="found", targets=targets)


def test_dism_names_server_core_editions_with_cor() -> None:
    assert dism_edition(host("ServerStandardEval", core=True)) == "ServerStandardEvalCor"
    assert dism_edition(host("ServerStandardEvalCor", core=True)) == "ServerStandardEvalCor"
    assert dism_edition(host("ServerStandardEval")) == "ServerStandardEval"


def test_the_offered_edition_of_the_same_family_is_chosen_with_its_catalog_key() -> None:
    change = choose(host("ServerStandardEval"), Options(), offered("ServerStandard", "ServerDatacenter"))
    expected = gvlk_catalog.resolve(edition_id="ServerStandard", build=20348)
    assert change == EditionChange("ServerStandardEval", "ServerStandard", expected.gvlk, expected.edition)
    assert change.dism_command().startswith("DISM /online /Set-Edition:ServerStandard /ProductKey:")


def test_evaluation_target_picks_the_other_family_where_dism_offers_it() -> None:
    change = choose(host("ServerStandardEval"), Options(evaluation_target="datacenter"), offered("ServerDatacenter"))
    assert isinstance(change, EditionChange) and change.target == "ServerDatacenter"


@pytest.mark.parametrize(
    ("state", "options", "editions", "said"),
    [
        (host("ServerStandardEval", product_type=2), Options(), offered("ServerStandard"), "domain controller"),
        (host("ServerStandardEval", domain_role=5), Options(), offered("ServerStandard"), "DomainRole 5"),
        (
            host("ServerDatacenterEval"),
            Options(evaluation_target="standard"),
            offered("ServerDatacenter"),
            "a Datacenter evaluation converts only to Datacenter",
        ),
        (
            host("ServerStandardEval", core=True),
            Options(),
            offered("ServerDatacenterCor"),
            "(a Standard Server Core evaluation converts only to Datacenter Server Core)",
        ),
        (
            host("ServerStandardEval", core=True),
            Options(),
            offered("ServerStandard"),
            "would switch Server Core to another installation option",
        ),
        (host("ServerDatacenterEval", core=True, build=14393), Options(), offered(), "DISM lists no edition"),
        (host("ServerStandardEval"), Options(), None, "the worker did not say which editions"),
        (
            host("ServerStandardEval"),
            Options(),
            TargetEditions(current=None, outcome="error", hresult=0x80070005, message="Access is denied."),
            "DISM could not list its target editions (0x80070005): Access is denied.",
        ),
        (host("EnterpriseEval"), Options(), offered(), "cannot change its edition on a running system"),
    ],
    ids=[
        "dc-product-type",
        "dc-domain-role",
        "datacenter-to-standard",
        "standard-core",
        "core-to-desktop",
        "none-offered",
        "not-asked",
        "dism-error",
        "client-evaluation",
    ],
)
def test_no_change_is_planned_and_the_reason_names_the_documented_path(
    state: HostState, options: Options, editions: TargetEditions | None, said: str
) -> None:
    reason = choose(state, options, editions)
    assert isinstance(reason, str) and said in reason, reason


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {"outcome": "found", "targets": "ServerDatacenter"},
        {"outcome": "found", "targets": ["Server Datacenter; rm"]},
        {"outcome": "found", "targets": ["ServerDatacenter"] * 33},
        {"outcome": "maybe", "targets": []},
    ],
    ids=["null", "not-a-list", "not-a-name", "too-many", "unknown-outcome"],
)
def test_a_hostile_editions_answer_is_refused(raw: Any) -> None:
    with pytest.raises(RouteError):
        parse_target_editions(raw)


def test_a_found_answer_is_read_with_its_bounds() -> None:
    read = parse_target_editions(
        {"outcome": "found", "current": "ServerStandardEval", "targets": ["ServerStandard"], "hresult": -1}
    )
    assert read == TargetEditions(current="ServerStandardEval", outcome="found", targets=("ServerStandard",))
