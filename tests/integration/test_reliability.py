"""Faults on the simulated fleet with real ansible-playbook: a hung host, cut connections around apply.

Every host of a run is reported exactly once, the hung one as ``timed_out`` while the others finish; a cut
after the apply request is answered by reading the host again.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest
from unit.utils.action_harness import make_key

from winsim.fleet import Fleet
from winsim.wsman import PlaybookRun, run_playbook

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


def _run(fleet: Fleet, tmp_path: pathlib.Path, *args: str) -> tuple[PlaybookRun, dict[str, t.Any]]:
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    report_dir = tmp_path / "report"
    run = run_playbook(
        PLAYBOOK,
        inventory,
        "-e",
        f"kms_client_report_dest={report_dir}",
        *args,
        collections_paths=[REPO / ".collections"],
    )
    report_file = report_dir / "kms_audit.json"
    assert report_file.exists(), f"no report written:\n{run.stdout}\n{run.stderr}"
    return run, json.loads(report_file.read_text(encoding="utf-8"))


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
    assert rows["cut-after"]["changed"] is True and "The host was read again" in rows["cut-after"]["message"]
    assert rows["cut-before"]["changed"] is False and "nothing changed" in rows["cut-before"]["message"]
    # worker executions on the hosts: probe + apply (+ the probe again after a lost reply); a cut before the
    # apply never reaches the worker
    assert executions == {"held": 2, "cut-after": 3, "cut-before": 2, "fine": 2, "kms-host": 1}
    assert stats["held"]["reply_hold"] == 1 and stats["cut-after"]["reply_cut"] == 1
    assert state == {"held": "gvlk", "cut-after": "gvlk", "cut-before": "mak", "fine": "gvlk", "kms-host": "csvlk"}
    assert run.returncode == 2, run.stdout  # timed_out and failed are fail statuses


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


@pytest.mark.fleet
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
    written |= {f"report {p.name}": p.read_text(encoding="utf-8") for p in (tmp_path / "report").iterdir()}
    written |= {f"fact cache {p.name}": p.read_text(encoding="utf-8") for p in cache_dir.iterdir()}
    assert len(written) > 7 + FLEET_SIZE // 2  # 3 streams, 4 reports, the cache files of the hosts with facts
    hits = {
        (label, where): text.count(secret)
        for label, secret in (("override key", SECRET_KEY), ("WinRM password", password))
        for where, text in written.items()
        if secret in text
    }
    assert hits == {}
