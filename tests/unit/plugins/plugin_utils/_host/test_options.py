"""kms_client_key's options: defaults, override lookup, every problem named in one error."""

from __future__ import annotations

import pytest

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host import _options


def _valid(key: str) -> bool:
    return key == "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5"


def test_defaults() -> None:
    options = _options.build_options({}, _valid)
    assert options.convert_from == ("retail", "oem", "mak", "none")  # AVMA guests are opted into
    assert options.on_kms_unreachable == "keep"
    assert options.activate is True and options.on_unsupported == "fail" and options.kms_discovery == "unchanged"


def test_override_lookup_prefers_the_build_form_and_ignores_case() -> None:
    options = _options.build_options(
        {"gvlk_overrides": {"core": "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5", "Core@19045": " good1-good2-good3-good4-good5 "}},
        _valid,
    )
    assert options.override_for("Core", 19045) == ("Core@19045", "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5")
    assert options.override_for("CORE", 26100) == ("core", "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5")
    assert options.override_for("Professional", 19045) is None


def test_every_bad_option_is_named_in_one_error() -> None:
    with pytest.raises(_options.OptionError) as caught:
        _options.build_options(
            {
                "kms_host": "kms01..corp",
                "kms_port": 70000,
                "convert_from": ["mak", "csvlk"],
                "gvlk_overrides": {"Core": "NOT-A-KEY"},
                "tcp_timeout": 500,
            },
            _valid,
        )
    message = str(caught.value)
    for fragment in (
        "kms_host 'kms01..corp'",
        "kms_port 70000",
        "'csvlk'",
        "gvlk_overrides['Core']",
        "tcp_timeout 500",
    ):
        assert fragment in message
    assert "NOT-A-KEY" not in message


def test_duplicate_override_names_are_refused() -> None:
    with pytest.raises(_options.OptionError, match="twice"):
        _options.build_options(
            {"gvlk_overrides": {"Core": "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5", "CORE": "GOOD1-GOOD2-GOOD3-GOOD4-GOOD5"}},
            _valid,
        )


@pytest.mark.parametrize(
    "name,ok",
    [
        ("kms01", True),
        ("kms-01.corp.example.com", True),
        ("kms01.corp.example.com.", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-kms", False),
        ("kms-", False),
        ("kms_01", False),
        ("1.2.3", False),
        ("", False),
        (".".join(["abcdefgh"] * 29), False),
    ],
)
def test_dns_names(name: str, ok: bool) -> None:
    assert _options.is_dns_name(name) is ok
