"""Faults on the simulated fleet with real ansible-playbook: a hung host, cut connections, failing steps and routes,
hostile probes, and check mode over all of them.

Every host of a run is reported exactly once, the hung one as ``timed_out`` while the others finish; a cut
after the apply request is answered by reading the host again; a failed step is reported with what the host
holds as read back; ``--check`` leaves every host's licensing byte-identical (docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import sqlite3
import typing as t

import pytest
from unit.utils.action_harness import gvlk_for, make_key

from ansible_collections.volume_activation.kms.plugins.plugin_utils import _vocabulary as vocabulary
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._record import RECORD_FILE
from winsim import hresult_codes
from winsim.fleet import Fleet
from winsim.scenario import combine, load_specs
from winsim.wsman import PlaybookRun, run_playbook, run_reporting

pytestmark = pytest.mark.integration

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "convert-to-kms.yml"
TASK_TIMEOUT = 15  # seconds; the held host's Receive is answered with OperationTimeout until then

MAK = {"edition_id": "ServerDatacenter", "build": 20348, "key_type": "mak"}
FAULT_SCENARIO = {
    "defaults": {"kms": {"dns": "kms01.corp.example.com", "reachable": True}},
    "hosts": [
        {"name": "held", **MAK, "faults": [{"transport": "hold", "operation": "apply"}]},
        {"name": "cut-after", **MAK, "faults": [{"transport": "cut", "operation": "apply", "when": "after"}]},
        {"name": "cut-before", **MAK, "faults": [{"transport": "cut", "operation": "apply", "when": "before"}]},
        {"name": "fine", **MAK},
        {"name": "kms-host", "edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"},
    ],
}


def _written(path: pathlib.Path) -> str:
    """What a file the run wrote holds as text: the fleet record (SQLite) as its SQL dump (a row longer than a page
    is split across pages, so its bytes may cut a key in two), any other file as it is."""
    if path.name == RECORD_FILE:
        with contextlib.closing(sqlite3.connect(path)) as record:
            return "\n".join(record.iterdump())
    return path.read_text(encoding="utf-8")


def _run(
    fleet: Fleet, tmp_path: pathlib.Path, *args: str, env: dict[str, str] | None = None
) -> tuple[PlaybookRun, dict[str, t.Any]]:
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    return run_reporting(
        PLAYBOOK, inventory, tmp_path / "report", *args, collections_paths=[REPO / ".collections"], env=env
    )


def test_a_hung_host_is_timed_out_and_cut_replies_are_read_again(tmp_path: pathlib.Path) -> None:
    with Fleet(FAULT_SCENARIO) as fleet:
        run, report = _run(fleet, tmp_path, "-e", f"kms_client_task_timeout={TASK_TIMEOUT}")
        executions = {name: host.worker_executions for name, host in fleet.hosts.items()}
        state = {name: host.state()["key_type"] for name, host in fleet.hosts.items()}
        stats = {name: fleet.endpoint.stats(name) for name in fleet.hosts}

    rows = {row["host"]: row for row in report["hosts"]}
    assert sorted(rows) == sorted(fleet.hosts) and len(report["hosts"]) == len(fleet.hosts)
    assert {host: row["status"] for host, row in rows.items()} == {
        "held": "timed_out",
        "cut-after": "converted",
        "cut-before": "failed",
        "fine": "converted",
        "kms-host": "is_kms_host",
    }
    assert f"task timeout ({TASK_TIMEOUT} s" in rows["held"]["message"]
    # the apply was sent: changed is not false, and the row keeps what the probe read before
    held = rows["held"]
    assert held["changed"] is True and held["key_type"]["before"] == "mak" and held["partial_product_key"]["before"]
    assert rows["cut-after"]["changed"] is True and "The host was read again" in rows["cut-after"]["message"]
    assert rows["cut-before"]["changed"] is False and "nothing changed" in rows["cut-before"]["message"]
    # worker executions on the hosts: probe + apply (+ the probe again after a lost reply); a cut before the
    # apply never reaches the worker
    assert executions == {"held": 2, "cut-after": 3, "cut-before": 2, "fine": 2, "kms-host": 1}
    assert stats["held"]["reply_hold"] == 1 and stats["cut-after"]["reply_cut"] == 1
    assert state == {"held": "gvlk", "cut-after": "gvlk", "cut-before": "mak", "fine": "gvlk", "kms-host": "csvlk"}
    assert run.returncode == 2, run.stdout  # timed_out and failed are fail statuses


@pytest.mark.matrix  # the console line is ansible-core's, around the module's message
def test_an_unreachable_host_is_one_line_saying_what_to_check(tmp_path: pathlib.Path) -> None:
    """The console and the report name what failed, where, and what to check; urllib3's text only with -vvv."""
    scenario = {
        "defaults": FAULT_SCENARIO["defaults"],
        "hosts": [{"name": "refusing", **MAK, "faults": [{"transport": "refused"}]}, {"name": "fine", **MAK}],
    }
    with Fleet(scenario) as fleet:
        run, report = _run(fleet, tmp_path, "--check")
    said = [line for line in run.stdout.splitlines() if line.startswith("fatal: [refusing]")]
    # One line where the run found it unreachable, one where the last play counts it so (PLAY RECAP, exit code).
    assert len(said) == 2 and all("UNREACHABLE!" in line for line in said), run.stdout
    assert "the WinRM connection failed (the connection was refused, 127.0.0.1:" in said[0]
    assert "This host was not reached in this run" in said[1]
    assert "ConnectionPool" not in run.stdout + run.stderr and "Errno" not in run.stdout + run.stderr
    row = next(row for row in report["hosts"] if row["host"] == "refusing")
    assert row["status"] == "unreachable" and row["message"].startswith("the WinRM connection failed (the connection")
    assert row["message"].endswith(vocabulary.STATUS_GUIDE[vocabulary.Status.UNREACHABLE].todo)
    assert run.returncode == 4, run.stdout


# ----------------------------------------------------------------------------- a CI-sized fleet with faults

FLEET_SIZE = 200
SECRET_KEY = make_key(20261201)  # an override key that passes the checksum and is in no public table
HOME = {
    "edition_id": "Core",
    "build": 19045,
    "os_sku": 101,
    "caption": "Microsoft Windows 10 Home",
    "product_name": "Windows 10 Home",
    "installation_type": "Client",
    "key_type": "oem",
}

# kind of host -> (scenario fields, expected status, worker executions on the host, extra executions the
# endpoint counts that never reached the host)
KINDS: dict[str, tuple[dict[str, t.Any], str, int, int]] = {
    "kms": ({"edition_id": "ServerStandard", "build": 20348, "key_type": "csvlk"}, "is_kms_host", 1, 0),
    "http500": ({**MAK, "faults": [{"transport": "http_500", "times": 1}]}, "converted", 2, 0),
    "cutafter": ({**MAK, "faults": [{"transport": "cut", "operation": "apply"}]}, "converted", 3, 0),
    "kmsdown": (
        {**MAK, "faults": [{"operation": "activate", "hresult": "0xC004F074"}]},
        "activation_failed",
        2,
        0,
    ),
    "gvlk": ({**MAK, "key_type": "gvlk"}, "compliant", 1, 0),
    "cutbefore": ({**MAK, "faults": [{"transport": "cut", "operation": "apply", "when": "before"}]}, "failed", 2, 1),
    "retail": ({**MAK, "key_type": "retail"}, "converted", 2, 0),
    "mak": (MAK, "converted", 2, 0),
}


def _fleet_scenario() -> tuple[dict[str, t.Any], dict[str, str]]:
    hosts, expected = [], {}
    kinds = list(KINDS)
    for index in range(FLEET_SIZE - 1):
        kind = kinds[index % len(kinds)]
        name = f"h{index:03d}-{kind}"
        hosts.append({"name": name, **KINDS[kind][0]})
        expected[name] = KINDS[kind][1]
    hosts.append({"name": "override-home", **HOME, "accepts_keys": [SECRET_KEY]})
    expected["override-home"] = "converted"
    return {"defaults": {"kms": {"dns": "kms01.corp.example.com", "reachable": True}}, "hosts": hosts}, expected


def test_ci_sized_fleet_with_mixed_faults_loses_nothing_and_keeps_secrets(tmp_path: pathlib.Path) -> None:
    scenario, expected = _fleet_scenario()
    log_file, cache_dir = tmp_path / "ansible.log", tmp_path / "facts"
    # From a file (a vault file in production): ansible-playbook -vvvv prints its command line options, so a key
    # given inline with -e would be echoed by Ansible itself.
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({"kms_client_gvlk_overrides": {"Core": SECRET_KEY}}), encoding="utf-8")
    with Fleet(scenario) as fleet:
        inventory = fleet.write_inventory(tmp_path / "inventory.yml")
        run = run_playbook(
            PLAYBOOK,
            inventory,
            "-vvvv",
            "-f",
            "20",
            "-e",
            f"kms_client_report_dest={tmp_path / 'report'}",
            "-e",
            f"@{overrides}",
            collections_paths=[REPO / ".collections"],
            env={
                "ANSIBLE_LOG_PATH": str(log_file),
                "ANSIBLE_CACHE_PLUGIN": "jsonfile",
                "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache_dir),
            },
        )
        executions = {name: host.worker_executions for name, host in fleet.hosts.items()}
        endpoint = {name: fleet.endpoint.stats(name)["worker_executions"] for name in fleet.hosts}
        password = fleet.endpoint.password
    report = json.loads((tmp_path / "report" / "kms_audit.json").read_text(encoding="utf-8"))

    # every host reported once, with the status its kind calls for
    names = [row["host"] for row in report["hosts"]]
    assert len(names) == len(set(names)) == FLEET_SIZE
    assert {row["host"]: row["status"] for row in report["hosts"]} == expected
    # no worker execution lost or repeated: the hosts' own counters are what each kind costs
    want = {name: KINDS[name.split("-", 1)[1]][2] if name != "override-home" else 2 for name in expected}
    assert executions == want
    extra = {name: KINDS[name.split("-", 1)[1]][3] if name != "override-home" else 0 for name in expected}
    assert endpoint == {name: want[name] + extra[name] for name in expected}
    # secrets: zero hits anywhere the run wrote
    written = {"stdout": run.stdout, "stderr": run.stderr, "log": log_file.read_text(encoding="utf-8")}
    written |= {f"report {p.name}": _written(p) for p in (tmp_path / "report").iterdir()}
    written |= {f"fact cache {p.name}": _written(p) for p in cache_dir.iterdir()}
    assert len(written) > 8 + FLEET_SIZE // 2  # 3 streams, 4 reports, the record, the cache files of the hosts
    hits = {
        (label, where): text.count(secret)
        for label, secret in (("override key", SECRET_KEY), ("WinRM password", password))
        for where, text in written.items()
        if secret in text
    }
    assert hits == {}


# ---------------------------------------------------- scenario files: a failing step each, routes, hostile probes

SCENARIOS = REPO / "tools" / "winsim" / "scenarios"
STEP_HRESULTS = SCENARIOS / "step_hresults.yml"
ROUTE_FAILURES = SCENARIOS / "route_failures.yml"
HOSTILE_PROBES = SCENARIOS / "hostile_probes.yml"
HOSTILE_KEY = "QX3PB-T7N4K-8RMGW-CYJ2D-H96VF"  # hostile_probes.yml: a key pattern in no public table
# In the worker contract, but no plan contains it (the role sets a lookup domain, never clears one).
UNPLANNED_STEPS = {"clear_kms_lookup_domain"}

# host -> (status, changed, phrases of the message: the failure, the state left as read back, what to do)
INSTALLED = "The KMS client key (partial key {partial}) is installed and the host is no longer activated"
AGAIN = "Fix the cause and run this task again"
EXPECTED: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "step-install-product-key": (
        "failed",
        False,
        (
            "Step install_product_key failed: 0xC004F025 (SL_E_LUA_ACCESSDENIED)",
            "Nothing changed: the host still holds its mak key (partial key {before}, license status licensed)",
            AGAIN,
            "Fix: Connect with",
        ),
    ),
    "step-refresh-license-status": (
        "failed",
        True,
        ("Step refresh_license_status failed: 0x80041003 (WBEM_E_ACCESS_DENIED)", INSTALLED, AGAIN),
    ),
    "step-refresh-after-activate": (
        "failed",
        True,
        (
            "Step refresh_license_status failed: 0x80041003 (WBEM_E_ACCESS_DENIED)",
            "The KMS client key (partial key {partial}) is installed and the host still reports licensed "
            "(license status licensed)",
            AGAIN,
        ),
    ),
    "step-set-kms-machine": (
        "failed",
        True,
        ("Step set_kms_machine failed: 0x80070005 (E_ACCESSDENIED)", INSTALLED, AGAIN),
    ),
    "step-set-kms-port": (
        "failed",
        True,
        ("Step set_kms_port failed: 0x80041003 (WBEM_E_ACCESS_DENIED)", INSTALLED, AGAIN),
    ),
    "step-clear-kms-machine": (
        "failed",
        True,
        ("Step clear_kms_machine failed: 0x80041003 (WBEM_E_ACCESS_DENIED)", INSTALLED, AGAIN),
    ),
    "step-clear-kms-port": (
        "failed",
        True,
        ("Step clear_kms_port failed: 0xC004F025 (SL_E_LUA_ACCESSDENIED)", INSTALLED, AGAIN),
    ),
    "step-set-kms-lookup-domain": (
        "failed",
        True,
        ("Step set_kms_lookup_domain failed: 0x80070005 (E_ACCESSDENIED)", INSTALLED, AGAIN),
    ),
    "step-clear-product-kms-machine": (
        "failed",
        False,
        (
            "Step clear_product_kms_machine failed: 0x80041003 (WBEM_E_ACCESS_DENIED)",
            "Nothing changed: the host still holds its gvlk key (partial key {before}, license status oob_grace)",
            AGAIN,
        ),
    ),
    "step-clear-product-kms-port": (
        "failed",
        True,
        (
            "Step clear_product_kms_port failed: 0xC004F025 (SL_E_LUA_ACCESSDENIED)",
            "The host now holds its gvlk "
            "key (partial key {before}, license status oob_grace); KMS host found through DNS, port 1688; "
            "product-level KMS host none, port 1700",
            AGAIN,
        ),
    ),
    "step-activate": (
        "activation_pending",
        True,
        (
            "Activation is pending: 0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT)",
            "The KMS client key (partial key {partial}) is installed and counted by the KMS host; this host will "
            "activate when the count reaches 5 (the threshold of servers). It retries every 2 hours by itself.",
        ),
    ),
    "step-clear-vl-activation-type": (
        "failed",
        False,
        (
            "Step clear_vl_activation_type failed: 0xC004F025 (SL_E_LUA_ACCESSDENIED)",
            "Nothing changed: the host still holds its mak key (partial key {before}, license status licensed)",
            AGAIN,
        ),
    ),
    "step-clear-product-vl-activation-type": (
        "failed",
        True,
        ("Step clear_product_vl_activation_type failed: 0x80041003 (WBEM_E_ACCESS_DENIED)", AGAIN),
    ),
    "step-set-edition": (
        "failed",
        False,
        (
            "The edition change ServerStandardEval to ServerStandard (DISM /Set-Edition) failed with 0x80070032 "
            "(ERROR_NOT_SUPPORTED)",
            "The host was not restarted",
        ),
    ),
    "step-reboot": (
        "failed",
        True,
        ("is staged", "but the restart failed with 0x80070522 (ERROR_PRIVILEGE_NOT_HELD)", "Restart the host"),
    ),
    "route-dns-none-licensed": (
        "kms_unreachable",
        False,
        (
            "The key was not replaced: the host is licensed (mak key, partial key {before})",
            "DNS discovery found no KMS host: the SRV query for _vlmcs._tcp.corp.example.com answered name_not_found",
            "Publish the _vlmcs._tcp SRV record",
        ),
    ),
    "route-dns-none-no-key": (
        "activation_failed",
        True,
        (
            "on a host that held no product key. Activation was not tried: the KMS route fails: DNS discovery found no KMS host",
        ),
    ),
    "route-kms-silent-licensed": (
        "kms_unreachable",
        False,
        ("The key was not replaced", "port 1688: timed out. To fix: open TCP port 1688"),
    ),
    "route-kms-refused-licensed": (
        "kms_unreachable",
        False,
        ("The key was not replaced", "kms01.corp.example.com (192.0.2.10, ipv4) port 1688: refused. To fix:"),
    ),
    "route-kms-silent-gvlk-grace": (
        "activation_failed",
        False,
        ("holds the KMS client key of Windows Server 2022 Datacenter but is oob_grace; activation was not tried",),
    ),
    "hostile-caption-russian": ("converted", True, ("Done: install the KMS client key of Windows 10 Enterprise",)),
    "hostile-text-non-ascii-controls": ("converted", True, ("Done:",)),
    "hostile-key-in-caption": ("converted", True, ("Done:",)),
    "hostile-huge-caption": ("converted", True, ("Done:",)),
    "hostile-nan-license-status": ("failed", False, ("probe.products[0].LicenseStatus is nan",)),
    "hostile-neg-infinity-grace": ("failed", False, ("probe.products[0].GracePeriodRemaining is -inf",)),
    "hostile-infinity-ubr": ("failed", False, ("probe.registry.UBR is inf",)),
    "hostile-neg-infinity-sku": ("failed", False, ("probe.os.OperatingSystemSKU is -inf",)),
    "hostile-nan-text-kms-port": ("failed", False, ("probe.service.KeyManagementServicePort is a string",)),
    "hostile-neg-infinity-text-requests": (
        "failed",
        False,
        ("probe.service.KeyManagementServiceTotalRequests is a string",),
    ),
    "hostile-whole-key-as-partial": ("failed", False, ("probe.products[0].PartialProductKey is not five",)),
    "hostile-kms-host-products-missing": ("failed", False, ("probe.products is missing",)),
    "hostile-kms-host-addon-as-text": ("failed", False, ("probe.products[0].LicenseIsAddon is string 'False'",)),
    "hostile-kms-host-flag-missing": ("failed", False, ("probe.service.IsKeyManagementServiceMachine is missing",)),
}


def _cache_env(cache_dir: pathlib.Path) -> dict[str, str]:
    return {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache_dir)}


def _cached_fact(path: pathlib.Path) -> dict[str, t.Any]:
    """The kms_client fact of a jsonfile fact cache file (ansible-core 2.19 wraps it: __payload__, tagged value)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "__payload__" in data:
        data = json.loads(data["__payload__"])
    fact = data["kms_client"]
    return t.cast(dict[str, t.Any], fact["value"] if "__ansible_type" in fact else fact)


def test_step_hresults_cover_every_planned_step_with_a_known_code() -> None:
    faults = [fault for spec in load_specs(STEP_HRESULTS) for fault in spec.faults]
    assert {fault.operation for fault in faults} == set(vocabulary.STEPS) - UNPLANNED_STEPS
    assert all(not hresult_codes.message(t.cast(int, f.hresult)).startswith("Unknown error") for f in faults)


def test_a_failing_step_a_failing_route_and_hostile_probes_are_each_reported_as_read_back(
    tmp_path: pathlib.Path,
) -> None:
    cache_dir = tmp_path / "facts"
    with Fleet(combine(STEP_HRESULTS, ROUTE_FAILURES, HOSTILE_PROBES)) as fleet:
        before = {name: host.state() for name, host in fleet.hosts.items()}
        licensing = {name: host.licensing_state() for name, host in fleet.hosts.items()}
        run, report = _run(fleet, tmp_path, "-f", "10", env=_cache_env(cache_dir))
        after = {name: host.state() for name, host in fleet.hosts.items()}
        unchanged = {name for name, host in fleet.hosts.items() if host.licensing_state() == licensing[name]}
        write_calls = {name: host.write_calls for name, host in fleet.hosts.items()}

    rows = {row["host"]: row for row in report["hosts"]}
    assert sorted(rows) == sorted(EXPECTED) and len(report["hosts"]) == len(EXPECTED)
    assert {host: (row["status"], row["changed"]) for host, row in rows.items()} == {
        host: (status, changed) for host, (status, changed, _phrases) in EXPECTED.items()
    }
    gvlk = gvlk_for("ServerDatacenter", 20348)
    for host, (_status, _changed, phrases) in EXPECTED.items():
        said = {"partial": gvlk[-5:], "before": before[host]["partial_product_key"]}
        missing = [p.format(**said) for p in phrases if p.format(**said) not in rows[host]["message"]]
        assert missing == [], f"{host}: {rows[host]['message']}"
    # what the report says each host holds is what it holds (read back, not assumed)
    for host in (h for h in EXPECTED if not h.startswith("hostile-") or rows[h]["status"] == "converted"):
        row, state = rows[host], after[host]
        assert (row["key_type"]["after"], row["partial_product_key"]["after"], row["license_status"]["after"]) == (
            state["key_type"],
            state["partial_product_key"],
            state["license_status"],
        ), host
        kms = row["kms"] or {}  # port: null when unset, as 0 reads on Windows
        assert (kms.get("machine"), kms.get("port") or 0, kms.get("lookup_domain")) == (
            state["kms"]["machine"],
            state["kms"]["port"],
            state["kms"]["lookup_domain"],
        ), host
    # a host reported unchanged holds exactly what it held; an unusable probe costs no state-changing call
    assert {h for h, row in rows.items() if not row["changed"]} <= unchanged
    refused = {h for h in EXPECTED if h.startswith("hostile-") and rows[h]["status"] == "failed"}
    assert len(refused) == 10 and {h: write_calls[h] for h in refused} == dict.fromkeys(refused, 0)
    # host text as the controller keeps it (the kms_client fact): bounded, keys masked, control characters blanked
    shown = (
        "hostile-caption-russian",
        "hostile-text-non-ascii-controls",
        "hostile-key-in-caption",
        "hostile-huge-caption",
    )
    captions = {
        host: _cached_fact(path)["edition"]["caption"]
        for host in shown
        for path in cache_dir.glob(f"*{host}")  # the jsonfile cache may prefix the name
    }
    assert captions["hostile-caption-russian"] == "Майкрософт Windows 10 Корпоративная"
    assert "Ünïcode 日本語 🚀" in captions["hostile-text-non-ascii-controls"]
    assert not any(c in captions["hostile-text-non-ascii-controls"] for c in "\x07\x1b\x9b\u202e")
    assert captions["hostile-key-in-caption"].endswith("XXXXX-XXXXX-XXXXX-XXXXX-H96VF")
    assert len(captions["hostile-huge-caption"]) == 1024
    assert captions["hostile-huge-caption"].endswith("…[truncated from 900000 characters]")
    written = [run.stdout, run.stderr, *(_written(p) for p in (tmp_path / "report").iterdir())]
    written += [_written(p) for p in cache_dir.iterdir()]
    # 2 streams, 5 report files (json, csv, md, html, the fleet record), one fact cache file per host
    assert len(written) == 7 + len(EXPECTED) and not any(HOSTILE_KEY in text for text in written)
    assert run.returncode == 2, run.stdout


# ------------------------------------------------------------------------ check mode leaves every host as it was

MIXED_FLEET = SCENARIOS / "mixed_fleet.yml"
PROBE_HOLD_TIMEOUT = 10  # seconds: the task timeout of the host whose probe reply is held (check mode runs only probe)
# Faults on the only worker execution of check mode, the probe (each host one fault kind).
PROBE_FAULTS: dict[str, dict[str, t.Any]] = {
    "probe-held": {"transport": "hold", "operation": "probe"},
    "probe-cut-before": {"transport": "cut", "operation": "probe", "when": "before", "times": 1},
    "probe-cut-after": {"transport": "cut", "operation": "probe", "when": "after", "times": 1},
    "probe-cut-always": {"transport": "cut", "operation": "probe", "when": "after"},
    "probe-http500-twice": {"transport": "http_500", "times": 2},
    "probe-slow": {"transport": "slow", "seconds": 1, "times": 1},
    "probe-refused": {"transport": "refused"},
    "probe-hresult": {"operation": "probe", "hresult": "0x80041003"},
}


def _every_scenario() -> dict[str, t.Any]:
    """One host per scenario of the suite: the scenario files, the fault hosts above and those of the fleets."""
    faults = [
        {"name": name, **MAK, "faults": [fault]}
        | ({"host_vars": {"kms_client_task_timeout": PROBE_HOLD_TIMEOUT}} if fault.get("transport") == "hold" else {})
        for name, fault in PROBE_FAULTS.items()
    ]
    # the CI-sized fleet's kinds are hosts of the files above but one: an edition keyed from gvlk_overrides
    override = {**HOME, "accepts_keys": [SECRET_KEY], "host_vars": {"kms_client_gvlk_overrides": {"Core": SECRET_KEY}}}
    return combine(
        STEP_HRESULTS,
        ROUTE_FAILURES,
        HOSTILE_PROBES,
        MIXED_FLEET,
        FAULT_SCENARIO,
        {"defaults": FAULT_SCENARIO["defaults"], "hosts": [*faults, {"name": "override-home", **override}]},
    )


def test_check_mode_leaves_every_hosts_licensing_byte_identical(tmp_path: pathlib.Path) -> None:
    scenario = _every_scenario()
    with Fleet(scenario) as fleet:
        before = fleet.licensing_dump()
        _check_run, report = _run(fleet, tmp_path, "--check", "-f", "40")
        after = fleet.licensing_dump()
        write_calls = {name: host.write_calls for name, host in fleet.hosts.items()}
        executions = {name: host.worker_executions for name, host in fleet.hosts.items()}

    assert len(fleet.hosts) == len(scenario["hosts"]) == len(EXPECTED) + 18 + 5 + len(PROBE_FAULTS) + 1
    assert after == before  # bytes: key, channel, license status, grace, KMS settings, edition of every host
    assert write_calls == dict.fromkeys(fleet.hosts, 0)
    rows = {row["host"]: row for row in report["hosts"]}
    assert sorted(rows) == sorted(fleet.hosts) and len(report["hosts"]) == len(fleet.hosts)
    # check mode's changed is "would change": exactly the hosts it would convert or reconfigure
    assert report["mode"] == "check"
    assert {h for h, row in rows.items() if row["changed"]} == {
        h for h, row in rows.items() if row["status"] in ("would_convert", "would_reconfigure")
    }
    statuses = {host: row["status"] for host, row in rows.items()}
    assert statuses["probe-held"] == "timed_out" and statuses["probe-refused"] == "unreachable"
    assert (
        statuses["probe-cut-always"] == "unreachable"
        and "(the connection was closed without a reply" in rows["probe-cut-always"]["message"]
    )
    assert statuses["probe-hresult"] == "failed"
    assert statuses["override-home"] == "would_convert"
    assert {statuses[h] for h in ("probe-cut-before", "probe-cut-after", "probe-http500-twice", "probe-slow")} == {
        "would_convert"
    }
    # probe only: once per host, again after each lost probe reply (PROBE_ATTEMPTS in all at most)
    assert executions["probe-cut-after"] == 2 and executions["probe-cut-always"] == 3
    assert max(executions.values()) == 3 and executions["probe-refused"] == 0
