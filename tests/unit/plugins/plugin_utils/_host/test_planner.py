"""The target of a host: its edition's GVLK from the catalog, an override, or the refusal with the host's values."""

from __future__ import annotations

import dataclasses

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import Options
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._planner import identify, same_name
from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._state import HostState, KmsSettings
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import Status


def host(edition_id: str, build: int, **fields: object) -> HostState:
    state = HostState(
        caption=f"Microsoft Windows {edition_id}",
        build=build,
        os_sku=None,
        product_type=3,
        edition_id=edition_id,
        product_name=None,
        installation_type="Server",
        ubr=None,
        display_version=None,
        kms=KmsSettings(),
        product=None,
        key_type="mak",
    )
    return dataclasses.replace(state, **fields)


def test_the_catalog_gives_the_edition_its_gvlk() -> None:
    target = identify(host("ServerDatacenter", 20348), Options())
    assert (target.gvlk, target.source, target.refusal) == (
        gvlk_catalog.resolve(edition_id="ServerDatacenter", build=20348).gvlk,
        "catalog",
        None,
    )
    assert target.shown_gvlk == target.gvlk  # a public key is shown whole


def test_an_evaluation_is_refused_as_such() -> None:
    assert identify(host("ServerStandardEval", 20348), Options()).refusal == Status.EVALUATION_EDITION


def test_an_edition_without_a_key_is_refused_with_the_override_that_would_serve_it() -> None:
    target = identify(host("Core", 19045, product_type=1, installation_type="Client"), Options())
    assert target.refusal == Status.UNSUPPORTED_EDITION and target.gvlk is None
    assert "gvlk_overrides: {'Core': <key>}" in target.reason and "build 19045" in target.reason


def test_an_override_wins_and_is_shown_by_its_last_five_characters() -> None:
    key = gvlk_catalog.resolve(edition_id="ServerStandard", build=20348).gvlk
    target = identify(host("ServerDatacenter", 20348), Options(gvlk_overrides={"ServerDatacenter@20348": key}))
    assert (target.gvlk, target.source, target.shown_gvlk) == (key, "override", key[-5:])


def test_names_compare_without_case_or_trailing_dot() -> None:
    assert same_name("KMS01.corp.example.com.", "kms01.CORP.example.com")
    assert not same_name("kms01", "kms02")
