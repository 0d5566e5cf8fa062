"""Scenario files and host specs are validated with errors that name the host and the field."""

from __future__ import annotations

import pytest

from winsim.licensing import WindowsHost, load_scenario
from winsim.scenario import ScenarioError, combine, load_specs

BASE = {"name": "h1", "edition_id": "ServerStandard", "build": 20348, "key_type": "mak"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"build": "20348"}, "build"),
        ({"key_type": "volume"}, "key_type"),
        ({"license_status": "activated"}, "license_status"),
        ({"installation_type": "Nano"}, "installation_type"),
        ({"partial_key": "ABCDE"}, "partial_key"),
        ({"kms": {"port": 70000}}, "kms.port"),
        ({"kms": {"reachable": "yes"}}, "kms.reachable"),
        ({"kms": {"server": "x"}}, "kms.server"),
        ({"accepts_keys": ["AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"]}, "accepts_keys[0]"),
        ({"faults": [{"operation": "rearm", "hresult": 1}]}, "faults[0].operation"),
        ({"faults": [{"operation": "activate"}]}, "faults[0].hresult"),
        ({"faults": [{"operation": "activate", "hresult": 0}]}, "faults[0].hresult"),
        ({"faults": [{"operation": "activate", "hresult": 1, "times": 0}]}, "faults[0].times"),
        ({"faults": [{"operation": "activate", "hresult": 1, "skip": -1}]}, "faults[0].skip"),
        ({"faults": [{"transport": "slow"}]}, "faults[0].seconds"),
        ({"faults": [{"transport": "teleport"}]}, "faults[0].transport"),
        ({"key_type": "none", "partial_key": "J464C"}, "partial_key"),
        ({"key_type": "none", "license_status": "licensed"}, "license_status"),
        ({"key_type": "eval"}, "key_type"),
        ({"edition_id": "ServerStandardEval", "key_type": "mak"}, "key_type"),
    ],
)
def test_bad_fields_are_named(change, field):
    with pytest.raises(ScenarioError) as error:
        WindowsHost.from_spec({**BASE, **change})
    assert "host 'h1'" in str(error.value) and f"field {field!r}" in str(error.value)


@pytest.mark.parametrize("field", ["edition_id", "build", "key_type"])
def test_required_fields(field):
    spec = {k: v for k, v in BASE.items() if k != field}
    with pytest.raises(ScenarioError, match=f"field '{field}': is required"):
        WindowsHost.from_spec(spec)


def test_caption_and_sku_are_required_when_the_table_cannot_supply_them():
    with pytest.raises(ScenarioError, match="field 'caption'"):
        WindowsHost.from_spec({**BASE, "edition_id": "ServerAzureCor"})
    with pytest.raises(ScenarioError, match="field 'os_sku'"):
        WindowsHost.from_spec({**BASE, "edition_id": "ServerAzureCor", "caption": "Microsoft Windows Server"})


def test_transport_faults_are_accepted_and_ignored_by_the_model():
    faults = [
        {"transport": "refused"},
        {"transport": "http_500", "times": 2},
        {"transport": "slow", "seconds": 3, "times": 1},
    ]
    h = WindowsHost.from_spec({**BASE, "faults": faults})
    assert "probe" in h.run_worker({"operation": "probe"})


def test_defaults_merge_and_kms_merges_key_by_key():
    hosts = load_scenario(
        {
            "defaults": {"kms": {"dns": "kms01", "reachable": True}, "key_type": "gvlk"},
            "hosts": [{**BASE}, {**BASE, "name": "h2", "kms": {"reachable": False}}],
        }
    )
    assert hosts[0].spec.key_type == "mak"
    assert (hosts[1].spec.kms.dns, hosts[1].spec.kms.reachable) == ("kms01", False)


def test_duplicate_names_and_unknown_top_level_fields(tmp_path):
    with pytest.raises(ScenarioError, match="duplicate host name"):
        load_specs({"hosts": [BASE, BASE]})
    with pytest.raises(ScenarioError, match="unknown top-level field 'fleet'"):
        load_specs({"hosts": [BASE], "fleet": {}})
    path = tmp_path / "s.yml"
    path.write_text(
        "hosts:\n  - {name: a, edition_id: ServerStandard, build: 20348, key_type: retail}\n"
        "  - {name: b, edition_id: ServerStandard, build: 20348, key_type: csvlk,\n"
        "     faults: [{operation: activate, hresult: 0xC004F038}]}\n",
        encoding="utf-8",
    )
    hosts = load_scenario(path)
    assert [h.name for h in hosts] == ["a", "b"] and hosts[1].spec.faults[0].hresult == 0xC004F038
    with pytest.raises(ScenarioError, match="'hosts' must be a non-empty list"):
        load_specs({"hosts": []})


def test_hold_and_cut_target_one_worker_operation():
    faults = [
        {"transport": "hold", "operation": "apply"},
        {"transport": "cut", "operation": "probe", "when": "before", "times": 1},
    ]
    spec = WindowsHost.from_spec({**BASE, "faults": faults}).spec
    assert [(f.transport, f.operation, f.when) for f in spec.faults] == [
        ("hold", "apply", "after"),
        ("cut", "probe", "before"),
    ]


@pytest.mark.parametrize(
    "fault,field",
    [
        ({"transport": "hold"}, "operation"),
        ({"transport": "cut", "operation": "activate"}, "operation"),
        ({"transport": "cut", "operation": "apply", "when": "during"}, "when"),
        ({"transport": "hold", "operation": "apply", "when": "before"}, "when"),
        ({"transport": "slow", "seconds": 1, "operation": "apply"}, "operation"),
    ],
)
def test_hold_and_cut_faults_are_checked(fault, field):
    with pytest.raises(ScenarioError, match=f"faults\\[0\\]\\.{field}"):
        WindowsHost.from_spec({**BASE, "faults": [fault]})


# ----------------------------------------------------------------------------------- hostile probe data


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"path": "os"}, "path"),
        ({"path": "wmi.Caption", "value": 1}, "path"),
        ({"path": "products[x].LicenseStatus", "value": 1}, "path"),
        ({"path": "os.Caption"}, "value"),
        ({"path": "os.Caption", "value": 1, "remove": True}, "remove"),
        ({"path": "os.Caption", "value": 7, "repeat": 2}, "repeat"),
        ({"path": "os.Caption", "value": "xx", "repeat": 600_000}, "repeat"),
        ({"path": "os.Caption", "value": 1, "colour": "red"}, "colour"),
    ],
)
def test_probe_patches_are_checked(patch, field):
    with pytest.raises(ScenarioError, match=f"probe_patch\\[0\\]\\.{field}"):
        WindowsHost.from_spec({**BASE, "probe_patch": [patch]})


def test_probe_patches_rewrite_what_the_worker_sends_never_the_host_state():
    patches = [
        {"path": "products[-1].LicenseStatus", "value": float("nan")},
        {"path": "service.IsKeyManagementServiceMachine", "remove": True},
        {"path": "os.Caption", "value": "ab", "repeat": 3},
        {"path": "products[5].LicenseStatus", "value": 1},  # no such row: nothing to rewrite
    ]
    plain, patched = WindowsHost.from_spec(BASE), WindowsHost.from_spec({**BASE, "probe_patch": patches})
    probe = patched.run_worker({"operation": "probe"})["probe"]
    assert probe["products"][-1]["LicenseStatus"] != probe["products"][-1]["LicenseStatus"]  # NaN
    assert "IsKeyManagementServiceMachine" not in probe["service"] and probe["os"]["Caption"] == "ababab"
    assert patched.licensing_state() == plain.licensing_state()
    gone = WindowsHost.from_spec({**BASE, "probe_patch": [{"path": "products", "remove": True}]})
    assert "products" not in gone.run_worker({"operation": "probe"})["probe"]


def test_host_vars_are_variable_names():
    assert WindowsHost.from_spec({**BASE, "host_vars": {"kms_client_kms_port": 1700}}).spec.host_vars == {
        "kms_client_kms_port": 1700
    }
    with pytest.raises(ScenarioError, match="field 'host_vars'"):
        WindowsHost.from_spec({**BASE, "host_vars": {"not a name": 1}})


def test_combine_keeps_each_scenarios_defaults():
    first = {"defaults": {"kms": {"dns": "kms01"}}, "hosts": [BASE]}
    second = {
        "defaults": {"key_type": "gvlk"},
        "hosts": [{k: v for k, v in BASE.items() if k != "key_type"} | {"name": "h2"}],
    }
    specs = load_specs(combine(first, second))
    assert [(s.name, s.key_type, s.kms.dns) for s in specs] == [("h1", "mak", "kms01"), ("h2", "gvlk", None)]
