"""The activation route a host will take once it holds its GVLK: ADBA before KMS, within the activation type."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._kms_route import RouteError
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._routes import (
    MAX_OBJECTS,
    ActivationObject,
    AdActivation,
    decide,
    parse_ad_activation,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState, KmsSettings, Product
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import ActivationRoute

BOTH = ("adba", "kms")
FOREST = AdActivation("corp.example.com", "found", (ActivationObject("WS2022 CSVLK", "8M2KF"),))
NO_OBJECT = AdActivation("corp.example.com", "none")
KMS_DOWN = "the KMS host did not answer"


def host(build: int = 20348, activation_type: int | None = None) -> HostState:
    state = HostState(
        caption=None,
        build=build,
        os_sku=None,
        product_type=3,
        edition_id="ServerStandard",
        product_name=None,
        installation_type="Server",
        ubr=None,
        display_version=None,
        kms=KmsSettings(),
        product=None,
        key_type="mak",
    )
    if activation_type is None:
        return state
    fields = {f.name: None for f in dataclasses.fields(Product)}
    return dataclasses.replace(state, product=Product(**{**fields, "activation_type": activation_type}))


@pytest.mark.parametrize(
    ("state", "allowed", "kms_failure", "ad", "route"),
    [
        (host(), BOTH, "", FOREST, ActivationRoute.ADBA),  # Windows asks its forest first
        (host(), BOTH, "", NO_OBJECT, ActivationRoute.KMS),
        (host(), BOTH, KMS_DOWN, FOREST, ActivationRoute.ADBA),  # no KMS host needed where ADBA works
        (host(), ("kms",), "", FOREST, ActivationRoute.KMS),
        (host(build=7601), BOTH, "", FOREST, ActivationRoute.KMS),  # Windows 7 cannot use ADBA
        (host(activation_type=2), BOTH, "", FOREST, ActivationRoute.KMS),  # slmgr /act-type 2: KMS only
        (host(activation_type=1), BOTH, KMS_DOWN, FOREST, ActivationRoute.ADBA),
    ],
    ids=[
        "adba-first",
        "kms-without-object",
        "adba-without-kms",
        "adba-not-allowed",
        "build-7601",
        "type-kms",
        "type-ad",
    ],
)
def test_the_first_route_that_works_and_is_allowed(
    state: HostState, allowed: tuple[str, ...], kms_failure: str, ad: AdActivation, route: ActivationRoute
) -> None:
    decided = decide(state, allowed, kms_failure, ad)
    assert (decided.route, decided.failure) == (route, "")


def test_no_route_says_why_for_each() -> None:
    decided = decide(host(), BOTH, KMS_DOWN, NO_OBJECT)
    assert decided.route is None and KMS_DOWN in decided.failure and "holds no activation object" in decided.failure


@pytest.mark.parametrize(("setting", "name"), [(1, "Active Directory"), (3, "token-based")])
def test_an_activation_type_that_rules_out_the_working_route_is_named_with_its_fix(setting: int, name: str) -> None:
    decided = decide(host(activation_type=setting), BOTH, "", NO_OBJECT)
    assert decided.route is None
    assert f"allows {name} activation only (VLActivationTypeEnabled {setting}" in decided.restriction
    assert "'slmgr /act-type 0' (any route)" in decided.fix


def test_clearing_the_activation_type_opens_every_route() -> None:
    decided = decide(host(activation_type=3), BOTH, "", NO_OBJECT, clears_type=True)
    assert (decided.route, decided.restriction) == (ActivationRoute.KMS, "")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {"outcome": "maybe"},
        {"outcome": "found", "objects": "one"},
        {"outcome": "found", "objects": [{"name": "x"}] * (MAX_OBJECTS + 1)},
        {"outcome": "found", "objects": [["not", "an", "object"]]},
        {"outcome": "found", "objects": [{"name": 7}]},
        {"outcome": "found", "objects": [{"name": "x", "partial_product_key": "8M2KF-AAAAA-BBBBB"}]},
    ],
    ids=["null", "unknown-outcome", "objects-not-a-list", "too-many", "object-not-a-dict", "name-not-text", "long-key"],
)
def test_a_hostile_ad_activation_answer_is_refused(raw: Any) -> None:
    with pytest.raises(RouteError):
        parse_ad_activation(raw)


def test_an_ad_activation_answer_is_read_bounded() -> None:
    read = parse_ad_activation(
        {
            "outcome": "found",
            "domain": "corp.example.com",
            "objects": [{"name": "WS2022 CSVLK\x1b[31m", "partial_product_key": " 8m2kf "}],
            "hresult": -5,
        }
    )
    (found,) = read.objects
    assert (found.name, found.partial_product_key) == ("WS2022 CSVLK [31m", "8M2KF")
    assert read.hresult is None
