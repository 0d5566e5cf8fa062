"""resolve(): every reference row, every edition without a key, and the cases that trip naive lookups."""

from __future__ import annotations

import pytest
from unit.plugins.module_utils.test_gvlk_catalog_data import WINDOWS_8_HOME
from unit.utils.reference import keyed_rows, no_key_rows

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from ansible_collections.volume_activation.kms.plugins.module_utils.gvlk_catalog import (
    CatalogError,
    UnknownEdition,
    UnsupportedEdition,
    resolve,
)

ROW_BUILDS = [pytest.param(row, build, id=f"{row.test_id}-{build}") for row in keyed_rows() for build in row.builds]
ROW_SKU_BUILDS = [
    pytest.param(row, sku, build, id=f"{row.test_id}-sku{sku}-{build}")
    for row in keyed_rows()
    for sku in row.os_skus
    for build in row.builds
]


def csv_key(edition_id: str, build: int) -> str:
    """The key the reference table gives an EditionID at a build."""
    (key,) = {r.gvlk for r in keyed_rows() if edition_id in r.edition_ids and build in r.builds}
    return key


def expected_name(row) -> str:
    return WINDOWS_8_HOME.get(row.edition_ids[0], row.edition)


@pytest.mark.parametrize(("row", "build"), ROW_BUILDS)
def test_edition_id_and_build(row, build):
    for edition_id in row.edition_ids:
        for build_value in (build, str(build), f"{_nt(build)}.{build}", f"{_nt(build)}.{build}.1234"):
            result = resolve(edition_id=edition_id, build=build_value)
            assert (result.gvlk, result.edition_id, result.build) == (row.gvlk, edition_id, build)
            assert result.edition == expected_name(row)


@pytest.mark.parametrize(("row", "sku", "build"), ROW_SKU_BUILDS)
def test_sku_and_build(row, sku, build):
    result = resolve(os_sku=sku, build=build)
    assert result.gvlk == row.gvlk
    assert result.edition == expected_name(row)
    assert result.edition_id in row.edition_ids


@pytest.mark.parametrize(("row", "build"), ROW_BUILDS)
def test_english_caption_and_build(row, build):
    caption = f"Microsoft {row.edition}"
    if row.edition_ids[0] in WINDOWS_8_HOME:
        # Microsoft's label for a Windows 8 Home key: a server caption must never get it.
        with pytest.raises(UnknownEdition):
            resolve(caption=caption, build=build)
    elif row.edition_ids[0].endswith("ACor") and build == 17763:
        # "Microsoft Windows Server Standard" on 17763 is SAC 1809 or a 2019 Server Core: two keys.
        with pytest.raises(UnknownEdition, match="ambiguous"):
            resolve(caption=caption, build=build)
    else:
        result = resolve(caption=caption, build=build)
        assert (result.gvlk, result.edition, result.build) == (row.gvlk, expected_name(row), build)


def _nt(build: int) -> str:
    for low, version in ((10240, "10.0"), (9600, "6.3"), (9200, "6.2"), (7600, "6.1"), (6000, "6.0")):
        if build >= low:
            return version
    raise AssertionError(build)


# ------------------------------------------------------------------------------ editions without a key

# CSV line -> (calls that a host of that row could make, expected outcome). Outcome is a reason_code
# (UnsupportedEdition) or ("key", edition ID whose key applies) for rows that only document an alias.
NO_KEY_CASES = {
    101: (
        [dict(edition_id="ServerDatacenterEval", os_sku=80, build=b) for b in (14393, 17763, 20348, 26100)]
        + [dict(edition_id="ServerDatacenterEvalCor", build=20348, installation_type="Server Core")],
        "evaluation",
    ),
    102: (
        [dict(edition_id="ServerStandardEval", os_sku=79, build=b) for b in (14393, 17763, 20348, 26100)]
        + [dict(edition_id="ServerStandardEvalCor", os_sku=79, build=17763, installation_type="Server Core")],
        "evaluation",
    ),
    103: (
        [
            dict(edition_id=i, os_sku=s, build=b, installation_type="Server Core")
            for i, s in (("ServerStandardCor", 7), ("ServerDatacenterCor", 8))
            for b in (14393, 17763, 20348, 26100)
        ]
        + [dict(os_sku=s, build=b) for s in (148, 147) for b in (14393, 17763, 20348, 26100)],
        "key",
    ),
    104: (
        [dict(edition_id="ServerTurbineCor", os_sku=408, build=b) for b in (20348, 26100)]
        + [dict(os_sku=408, build=b) for b in (20348, 26100)],
        "key",
    ),
    105: (
        [dict(edition_id="ServerAzureCor", os_sku=168, build=b) for b in (14393, 17763, 20348, 26100)],
        "not_published",
    ),
    106: (
        [
            dict(edition_id=i, os_sku=s, build=25398)
            for i, s in (("ServerDatacenter", 8), ("ServerStandard", 7), ("ServerDatacenterACor", 145))
        ]
        + [dict(edition_id="ServerDatacenter", build="10.0.25398.1189")],
        "not_published",
    ),
    107: ([dict(os_sku=406, build=20349), dict(os_sku=406)], "not_published"),
    108: ([dict(edition_id="ServerRdsh", os_sku=175, build=b) for b in (17134, 17763, 19045, 22631)], "not_published"),
    109: (
        [
            dict(edition_id=i, os_sku=s, build=b)
            for i, s in (("Core", 101), ("CoreN", 98), ("CoreSingleLanguage", 100), ("CoreCountrySpecific", 99))
            for b in (10240, 19045, 22631, 26100)
        ],
        "no_volume_key",
    ),
    110: (
        [
            dict(edition_id=i, os_sku=s, build=b)
            for i, s in (("CloudEdition", 203), ("CloudEditionN", 202))
            for b in (22000, 26100)
        ],
        "not_published",
    ),
    111: ([dict(edition_id="EnterpriseEval", os_sku=72, build=b) for b in (10240, 19045, 26100)], "evaluation"),
    112: ([dict(os_sku=129, build=b) for b in (14393, 17763, 19044, 26100)], "evaluation"),
    113: ([dict(edition_id="IoTEnterprise", os_sku=188, build=b) for b in (19045, 26100)], "not_published"),
    114: (
        [
            dict(edition_id=i, os_sku=s, build=b)
            for i, s in (("ServerARM64", 120), ("ServerCloudStorage", 110))
            for b in (14393, 17763)
        ],
        "not_published",
    ),
}


def test_every_row_without_a_key_has_cases():
    assert set(NO_KEY_CASES) == set(no_key_rows())


@pytest.mark.parametrize("line", sorted(NO_KEY_CASES), ids=lambda line: f"L{line}-{no_key_rows()[line]['edition']}")
def test_row_without_a_key(line):
    calls, outcome = NO_KEY_CASES[line]
    for call in calls:
        if outcome == "key":
            base = {
                "ServerStandardCor": "ServerStandard",
                "ServerDatacenterCor": "ServerDatacenter",
                "ServerTurbineCor": "ServerTurbine",
                148: "ServerStandard",
                147: "ServerDatacenter",
                408: "ServerTurbine",
            }[call.get("edition_id", call.get("os_sku"))]
            assert resolve(**call).gvlk == csv_key(base, call["build"]), call
            continue
        with pytest.raises(UnsupportedEdition) as caught:
            resolve(**call)
        assert caught.value.reason_code == outcome, call
        for value in call.values():
            assert str(value) in str(caught.value), (value, str(caught.value))


@pytest.mark.parametrize(
    ("edition_id", "target", "build"),
    [
        ("ServerDatacenterEval", "ServerDatacenter", 20348),
        ("ServerStandardEval", "ServerStandard", 17763),
        ("ServerDatacenterEvalCor", "ServerDatacenterCor", 26100),
        # Microsoft: "If you install the Standard Core evaluation version, you can convert it only to retail
        # Datacenter Core".
        ("ServerStandardEvalCor", "ServerDatacenterCor", 14393),
    ],
)
def test_server_evaluation_names_the_conversion(edition_id, target, build):
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(edition_id=edition_id, build=build)
    error = caught.value
    base = target.removesuffix("Cor")
    assert (error.reason_code, error.target_edition_id, error.target_gvlk) == (
        "evaluation",
        target,
        csv_key(base, build),
    )
    assert f"DISM /online /Set-Edition:{target} /ProductKey:{csv_key(base, build)} /AcceptEula" in error.message
    assert "domain controller" in error.message
    if base == "ServerDatacenter":
        assert "only to Datacenter" in error.message


@pytest.mark.parametrize(
    "reported",
    [
        {"edition_id": "ServerStandardEval", "installation_type": "Server Core", "os_sku": 79},
        {"edition_id": "ServerStandardEval", "installation_type": "Server", "os_sku": 160},
        {"edition_id": "ServerDatacenterEval", "installation_type": "server core"},
    ],
    ids=["installation-type", "core-evaluation-sku", "lower-case-installation-type"],
)
def test_server_core_evaluation_is_told_by_installation_type_or_sku_too(reported):
    """The registry EditionID of a Server Core evaluation need not carry DISM's Cor suffix."""
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(build=20348, **reported)
    assert caught.value.target_edition_id == "ServerDatacenterCor"
    assert "/Set-Edition:ServerDatacenterCor " in caught.value.message
    assert "ServerStandardCor" not in caught.value.message


def test_evaluation_without_build_has_no_target_key():
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(edition_id="ServerDatacenterEval")
    assert (caught.value.target_edition_id, caught.value.target_gvlk) == ("ServerDatacenter", None)


def test_enterprise_evaluation_has_no_target():
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(edition_id="EnterpriseEval", build=19045)
    assert (caught.value.target_edition_id, caught.value.target_gvlk) == (None, None)


def test_evaluation_caption():
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(caption="Microsoft Windows Server 2019 Datacenter Evaluation", build=17763)
    assert caught.value.target_gvlk == csv_key("ServerDatacenter", 17763)


# ------------------------------------------------------------------------------ tricky cases


@pytest.mark.parametrize("build", [22000, 22621, 26100, 27000, "10.0.27842.1000"])
def test_windows_11_builds_are_named_windows_11(build):
    result = resolve(edition_id="Professional", build=build, caption="Microsoft Windows 11 Pro")
    assert (result.gvlk, result.edition) == (csv_key("Professional", 22000), "Windows 11 Pro")


def test_windows_11_reporting_windows_10_product_name_gets_windows_11():
    result = resolve(edition_id="Enterprise", build=22631, caption="Microsoft Windows 10 Enterprise")
    assert (result.gvlk, result.edition) == (csv_key("Enterprise", 22631), "Windows 11 Enterprise")


def test_future_windows_11_build_for_pro():
    assert resolve(edition_id="Professional", build=27000).gvlk == csv_key("Professional", 26100)


def test_unlisted_windows_10_build_keeps_the_shared_key_and_windows_10_name():
    result = resolve(edition_id="EducationN", build=19046)
    assert (result.gvlk, result.edition) == (csv_key("EducationN", 19045), "Windows 10 Education N")


def test_ltsc_does_not_follow_the_client_rule():
    with pytest.raises(UnknownEdition, match="27000"):
        resolve(edition_id="EnterpriseS", build=27000)
    with pytest.raises(UnknownEdition):
        resolve(edition_id="Professional", build=9601)


def test_17763_acor_is_sac_and_plain_is_2019():
    sac = resolve(edition_id="ServerStandardACor", build=17763)
    ltsc = resolve(edition_id="ServerStandard", build=17763)
    assert sac.gvlk != ltsc.gvlk
    assert sac.family.startswith("Windows Server, versions") and ltsc.family == "Windows Server 2019"
    assert resolve(os_sku=145, build=17763).gvlk == csv_key("ServerDatacenterACor", 17763)


def test_windows_8_core_against_windows_10_home():
    assert resolve(edition_id="Core", build=9200).family == "Windows 8"
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(edition_id="Core", build=19045)
    assert caught.value.reason_code == "no_volume_key" and "upgrade" in caught.value.message
    with pytest.raises(UnknownEdition):
        resolve(edition_id="Core", build=9600)


def test_windows_8_home_keys_are_never_offered_to_a_server():
    home_keys = {r.gvlk for r in keyed_rows() if r.edition_ids[0] in WINDOWS_8_HOME}
    for sku in (7, 8, 50, 76, 77):
        assert resolve(os_sku=sku, build=9200).gvlk not in home_keys
    with pytest.raises(UnknownEdition):
        resolve(edition_id="Core", os_sku=7, build=9200)
    with pytest.raises(UnknownEdition):
        resolve(caption="Microsoft Windows Server 2012", build=9200)


@pytest.mark.parametrize("build", [20348, 26100])
def test_azure_edition_keys_differ_by_build(build):
    result = resolve(edition_id="ServerTurbine", os_sku=407, build=build)
    assert result.gvlk == csv_key("ServerTurbine", build)
    assert csv_key("ServerTurbine", 20348) != csv_key("ServerTurbine", 26100)


def test_server_core_takes_the_desktop_experience_key():
    desktop = resolve(edition_id="ServerStandard", os_sku=7, build=20348, installation_type="Server")
    core = resolve(edition_id="ServerStandard", os_sku=7, build=20348, installation_type="Server Core")
    cor_id = resolve(edition_id="ServerStandardCor", os_sku=7, build=20348, installation_type="Server Core")
    assert desktop.gvlk == core.gvlk == cor_id.gvlk == csv_key("ServerStandard", 20348)
    assert cor_id.edition_id == "ServerStandardCor"
    with pytest.raises(UnknownEdition):
        resolve(edition_id="ServerStandardCor", build=9600)


@pytest.mark.parametrize(
    "caption",
    [
        "Microsoft Windows 10 Professionnel",
        "Microsoft Windows 10 Famille",
        "Microsoft Windows Server 2022 Datacenter (ré)",
        "Windows 10 Pro für Workstations",
    ],
)
def test_localized_captions_are_not_guessed(caption):
    with pytest.raises(UnknownEdition) as caught:
        resolve(caption=caption, build=19045)
    assert caption in caught.value.message


def test_localized_caption_does_not_hide_the_edition_id():
    assert resolve(
        edition_id="Professional", build=19045, caption="Microsoft Windows 10 Professionnel"
    ).gvlk == csv_key("Professional", 19045)


def test_windows_7_caption_with_trailing_space():
    result = resolve(caption="Microsoft Windows 7 Enterprise ", build="6.1.7601")
    assert (result.gvlk, result.build) == (csv_key("Enterprise", 7601), 7601)


def test_vista_caption_with_trademark_signs():
    assert resolve(caption="Microsoft® Windows Vista™ Business", build=6002).gvlk == csv_key("Business", 6002)


def test_english_caption_without_year_needs_the_build():
    with pytest.raises(UnknownEdition, match="build"):
        resolve(caption="Microsoft Windows Server Standard")
    assert resolve(caption="Microsoft Windows Server Standard", build=20348).gvlk == csv_key("ServerStandard", 20348)
    assert resolve(caption="Microsoft Windows Server Datacenter", build=17134).gvlk == csv_key(
        "ServerDatacenterACor", 17134
    )


def test_caption_with_year_and_single_build_needs_no_build():
    result = resolve(caption="Microsoft Windows Server 2022 Datacenter")
    assert (result.gvlk, result.build) == (csv_key("ServerDatacenter", 20348), 20348)
    with pytest.raises(UnknownEdition):
        resolve(caption="Microsoft Windows 10 Pro")


def test_caption_that_contradicts_the_build_is_not_read():
    with pytest.raises(UnknownEdition):
        resolve(caption="Microsoft Windows Server 2019 Datacenter", build=20348)


def test_edition_and_sku_disagreeing():
    with pytest.raises(UnknownEdition) as caught:
        resolve(edition_id="ServerDatacenter", os_sku=7, build=20348)
    assert "ServerDatacenter" in caught.value.message and "OperatingSystemSKU 7" in caught.value.message
    with pytest.raises(UnknownEdition):
        resolve(edition_id="Professional", os_sku=4, build=19045)


def test_edition_and_caption_disagreeing():
    with pytest.raises(UnknownEdition):
        resolve(edition_id="ServerStandard", build=20348, caption="Microsoft Windows Server 2022 Datacenter")


def test_unknown_sku_does_not_override_a_known_edition():
    assert resolve(edition_id="ServerDatacenter", os_sku=9999, build=20348).gvlk == csv_key("ServerDatacenter", 20348)


@pytest.mark.parametrize("build", [20349, 19045, 9601])
def test_unknown_build_for_a_known_server_edition(build):
    with pytest.raises(UnknownEdition) as caught:
        resolve(edition_id="ServerDatacenter", build=build)
    assert str(build) in caught.value.message and "ServerDatacenter" in caught.value.message


def test_23h2_build_has_no_published_key():
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(edition_id="ServerDatacenter", build=25398)
    assert caught.value.reason_code == "not_published"


def test_unknown_edition_id_is_not_replaced_by_the_sku():
    with pytest.raises(UnknownEdition, match="'ServerFoo'"):
        resolve(edition_id="ServerFoo", os_sku=8, build=20348)


def test_unknown_edition_id_with_a_no_key_sku_reports_the_reason():
    with pytest.raises(UnsupportedEdition) as caught:
        resolve(edition_id="EnterpriseSEval", os_sku=129, build=19044)
    assert caught.value.reason_code == "evaluation"


def test_edition_id_needs_a_build():
    with pytest.raises(UnknownEdition, match="needs the build"):
        resolve(edition_id="ServerDatacenter")


def test_edition_id_spelling_is_tolerated():
    result = resolve(edition_id=" serverdatacenter ", build=20348)
    assert (result.edition_id, result.gvlk) == ("ServerDatacenter", csv_key("ServerDatacenter", 20348))


def test_nothing_reported():
    with pytest.raises(UnknownEdition, match="no EditionID"):
        resolve(build=20348)
    with pytest.raises(TypeError):
        resolve("ServerDatacenter", 20348)  # type: ignore[misc]


def test_errors_are_catalog_errors():
    assert issubclass(UnknownEdition, CatalogError) and issubclass(UnsupportedEdition, CatalogError)


# ------------------------------------------------------------------------------ builds


@pytest.mark.parametrize(
    ("value", "build"),
    [
        (17763, 17763),
        ("17763", 17763),
        ("10.0.17763", 17763),
        ("10.0.17763.1234", 17763),
        ("6.1.7601", 7601),
        (" 10.0.20348.2113 ", 20348),
        ("6.0.6002", 6002),
        ("6.3.9600", 9600),
        (None, None),
        ("", None),
    ],
)
def test_parse_build(value, build):
    assert gvlk_catalog.parse_build(value) == build


@pytest.mark.parametrize(
    "value", ["garbage", "10.0", "10.0.x", "6.1.9600", "10.0.7601", "1.2.3.4.5", -1, 0, True, 17763.0, "17763a"]
)
def test_parse_build_rejects(value):
    with pytest.raises(ValueError):
        gvlk_catalog.parse_build(value)


def test_garbage_build_is_a_clear_error():
    with pytest.raises(UnknownEdition) as caught:
        resolve(edition_id="ServerDatacenter", build="ten")
    assert "'ten'" in caught.value.message and "10.0.17763" in caught.value.message


def test_garbage_sku_is_a_clear_error():
    with pytest.raises(UnknownEdition, match="OperatingSystemSKU 'eight'"):
        resolve(os_sku="eight", build=20348)


def test_key_fits():
    key = csv_key("ServerStandard", 17763)
    assert gvlk_catalog.key_fits(key, edition_id="ServerStandard", build=17763)
    assert not gvlk_catalog.key_fits(key, edition_id="ServerStandardACor", build=17763)
    assert not gvlk_catalog.key_fits(key, edition_id="ServerStandardEval", build=17763)
