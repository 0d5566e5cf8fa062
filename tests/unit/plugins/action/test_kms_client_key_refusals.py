"""kms_client_key: hosts that are refused or skipped, never touched."""

from __future__ import annotations

from typing import Any

import pytest
from unit.utils.action_harness import (
    executions,
    gvlk_for,
    make_host,
    make_key,
    run_action,
    spec,
)


def test_kms_host_is_never_touched() -> None:
    host = make_host(spec(key_type="csvlk", partial_key="2YT43"))
    calls: list[dict[str, Any]] = []
    result = run_action(host, {"convert_from": ["retail", "mak", "unknown"]}, calls=calls)
    assert result["status"] == "is_kms_host" and result["failed"] is True and result["changed"] is False
    assert "VOLUME_KMS_2012-R2_WIN10" in result["msg"] and "never converted" in result["msg"]
    assert len(calls) == 1


def test_evaluation_edition_gets_the_dism_command() -> None:
    host = make_host(
        spec(
            edition_id="ServerDatacenterEval",
            key_type="eval",
            os_sku=80,
            caption="Microsoft Windows Server 2022 Datacenter Evaluation",
        )
    )
    result = run_action(host, {})
    target = gvlk_for("ServerDatacenter", 20348)
    assert result["status"] == "evaluation_edition" and result["failed"] is True
    assert f"DISM /online /Set-Edition:ServerDatacenter /ProductKey:{target} /AcceptEula" in result["msg"]
    assert "restart" in result["msg"] and "convert_evaluation: true" in result["msg"]
    # The editions come from the host (DISM), asked in the one probe.
    assert "DISM lists the editions it can become: ServerDatacenter." in result["msg"]
    assert executions(host) == 1


def test_evaluation_edition_without_a_conversion_target_gets_no_guessed_one_even_with_an_override() -> None:
    host = make_host(
        spec(
            edition_id="EnterpriseSEval",
            build=19044,
            key_type="eval",
            os_sku=129,
            caption="Microsoft Windows 10 Enterprise LTSC 2021 Evaluation",
            installation_type="Client",
        )
    )
    result = run_action(host, {"gvlk_overrides": {"EnterpriseSEval": make_key(4)}})
    assert result["status"] == "evaluation_edition" and result["failed"] is True and result["changed"] is False
    assert "evaluation edition EnterpriseSEval (build 19044, channel Retail:TB:Eval)" in result["msg"]
    assert "/Set-Edition" not in result["msg"].replace("DISM /Set-Edition converts Windows Server", "")
    assert "reinstall it from volume-licensed media" in result["msg"]
    assert executions(host) == 1 and host.writes == 0


def test_unsupported_edition_suggests_overrides() -> None:
    host = make_host(
        spec(
            edition_id="Core",
            build=19045,
            os_sku=101,
            key_type="oem",
            caption="Microsoft Windows 10 Home",
            installation_type="Client",
        )
    )
    result = run_action(host, {})
    assert result["status"] == "unsupported_edition" and result["failed"] is True
    assert "gvlk_overrides" in result["msg"] and "Core@19045" in result["msg"]


def test_unknown_edition_names_the_exact_override_form() -> None:
    host = make_host(
        spec(edition_id="ServerFrobnicator", build=30000, os_sku=9999, caption="Microsoft Windows Server Frobnicator")
    )
    result = run_action(host, {})
    assert result["status"] == "unknown_edition" and result["failed"] is True
    assert "'ServerFrobnicator@30000': <key>" in result["msg"]


@pytest.mark.parametrize(
    "host_spec,refusal",
    [
        (spec(key_type="csvlk"), "is_kms_host"),
        (
            spec(
                edition_id="ServerStandardEval",
                key_type="eval",
                os_sku=79,
                caption="Microsoft Windows Server 2022 Standard Evaluation",
            ),
            "evaluation_edition",
        ),
        (
            spec(
                edition_id="Core",
                build=19045,
                os_sku=101,
                caption="Microsoft Windows 10 Home",
                installation_type="Client",
            ),
            "unsupported_edition",
        ),
        (
            spec(
                edition_id="ServerFrobnicator", build=30000, os_sku=9999, caption="Microsoft Windows Server Frobnicator"
            ),
            "unknown_edition",
        ),
    ],
)
def test_on_unsupported_skip(host_spec: dict[str, Any], refusal: str) -> None:
    result = run_action(make_host(host_spec), {"on_unsupported": "skip"})
    assert result["status"] == "skipped" and result["failed"] is False and result["changed"] is False
    assert result["skip_reason"] == refusal and refusal in result["msg"]


# ------------------------------------------------------------------------------------------ overrides


REFUSED_EDITIONS = [
    ("Core", 19045, 101, "Microsoft Windows 10 Home", "oem", "unsupported_edition"),
    ("Core", 26100, 101, "Microsoft Windows 11 Home", "oem", "unsupported_edition"),
    ("ServerRdsh", 22631, 175, "Microsoft Windows 11 Enterprise multi-session", "retail", "unsupported_edition"),
    ("ServerAzureCor", 20348, 168, "Microsoft Windows Server 2022 Azure Core", "retail", "unsupported_edition"),
    (
        "ServerDatacenterEval",
        20348,
        80,
        "Microsoft Windows Server 2022 Datacenter Evaluation",
        "eval",
        "evaluation_edition",
    ),
    (
        "ServerStandardEval",
        17763,
        79,
        "Microsoft Windows Server 2019 Standard Evaluation",
        "eval",
        "evaluation_edition",
    ),
    ("EnterpriseEval", 19045, 72, "Microsoft Windows 10 Enterprise Evaluation", "eval", "evaluation_edition"),
]


@pytest.mark.parametrize(
    "edition_id,build,os_sku,caption,key_type,status",
    REFUSED_EDITIONS,
    ids=[f"{r[0]}@{r[1]}" for r in REFUSED_EDITIONS],
)
def test_editions_without_a_key_are_refused(
    edition_id: str, build: int, os_sku: int, caption: str, key_type: str, status: str
) -> None:
    server = edition_id.startswith("Server")
    host = make_host(
        spec(
            edition_id,
            build,
            key_type,
            os_sku=os_sku,
            caption=caption,
            installation_type="Server" if server else "Client",
        )
    )
    result = run_action(host, {})
    assert result["status"] == status and result["failed"] is True and executions(host) == 1, result["msg"]
    assert edition_id in result["msg"]


@pytest.mark.parametrize(
    ("host_spec", "status", "edition"),
    [
        (spec("ServerStandard", 20348, "csvlk"), "is_kms_host", "Windows Server 2022 Standard"),
        (
            spec("Core", 19045, "oem", os_sku=101, caption="Microsoft Windows 10 Home"),
            "unsupported_edition",
            "Windows 10 Home",
        ),
        (
            spec(
                "ServerDatacenterEval",
                26100,
                "eval",
                os_sku=80,
                caption="Microsoft Windows Server 2025 Datacenter Evaluation",
            ),
            "evaluation_edition",
            None,
        ),
        (
            spec("FutureEdition", 99999, "retail", os_sku=999, caption="Microsoft Windows 12 Pro\x07  (preview)"),
            "unknown_edition",
            "Microsoft Windows 12 Pro (preview)",
        ),
    ],
)
def test_refused_hosts_carry_the_name_of_their_edition(host_spec, status: str, edition: str | None) -> None:
    result = run_action(make_host(host_spec), {})
    assert result["status"] == status
    if edition is None:  # the catalog's name of the evaluation edition, whatever its spelling
        assert "Evaluation" in result["edition"]["name"] or "evaluation" in result["edition"]["name"], result["edition"]
    else:
        assert result["edition"]["name"] == edition
    assert result["ansible_facts"]["kms_client"]["edition"]["name"] == result["edition"]["name"]
