"""The kms_client_report action plugin: options, reading hostvars, check mode, errors."""

from __future__ import annotations

import json
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.volume_activation.kms.plugins.action.kms_client_report import ActionModule

WOULD_CONVERT = {
    "status": "would_convert",
    "changed": True,
    "msg": "would install the GVLK",
    "key_type": {"before": "mak", "after": "gvlk"},
}
COMPLIANT = {
    "status": "compliant",
    "changed": False,
    "msg": "already a KMS client",
    "key_type": {"before": "gvlk", "after": "gvlk"},
}
UNREACHABLE = {"unreachable": True, "changed": False, "msg": "Failed to connect to the host via winrm"}


def run(args: dict, task_vars: dict | None = None, check_mode: bool = False) -> dict:
    task = Task()
    task.action = "volume_activation.kms.kms_client_report"
    task.args = args
    task.check_mode = check_mode
    loader = DataLoader()
    action = ActionModule(task, MagicMock(), PlayContext(), loader, Templar(loader=loader), None)
    action._load_name = task.action  # set by the plugin loader in a real run
    return action.run(task_vars=task_vars or {})


def _json(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_results_option(tmp_path):
    result = run(
        {
            "results": {"srv-b": WOULD_CONVERT, "srv-a": COMPLIANT},
            "hosts": ["srv-a", "srv-c"],
            "dest": str(tmp_path / "out"),
        }
    )
    assert result["changed"] is True
    assert result["hosts"] == 3 and result["mode"] == "apply"
    assert result["summary"] == {"compliant": 1, "would_convert": 1, "not_run": 1}
    assert result["files"] == {
        "json": str(tmp_path / "out" / "kms_audit.json"),
        "csv": str(tmp_path / "out" / "kms_audit.csv"),
        "markdown": str(tmp_path / "out" / "kms_audit.md"),
        "html": str(tmp_path / "out" / "kms_audit.html"),
    }
    assert result["msg"] == (
        f"kms audit (apply): 3 hosts: 1 compliant, 1 would_convert, 1 not_run \N{EM DASH} reports in {tmp_path / 'out'}"
    )
    data = _json(result["files"]["json"])
    assert [(host["host"], host["status"]) for host in data["hosts"]] == [
        ("srv-a", "compliant"),
        ("srv-b", "would_convert"),
        ("srv-c", "not_run"),
    ]


def test_identical_rerun_is_not_a_change(tmp_path):
    args = {"results": {"srv-a": COMPLIANT}, "dest": str(tmp_path)}
    assert run(args)["changed"] is True
    assert run(args)["changed"] is False
    assert run(args | {"results": {"srv-a": WOULD_CONVERT}})["changed"] is True


def test_check_mode_still_writes_the_report(tmp_path):
    result = run({"results": {"srv-a": WOULD_CONVERT}, "dest": str(tmp_path)}, check_mode=True)
    assert result["changed"] is True and result["mode"] == "check"
    assert _json(result["files"]["json"])["mode"] == "check"
    assert result["msg"].startswith("kms audit (check): 1 host: 1 would_convert")


@pytest.mark.parametrize(
    "check_mode, mode, expected",
    [
        (True, "apply", "apply"),
        (False, "check", "check"),
        (True, "auto", "check"),
        (False, "auto", "apply"),
    ],
)
def test_mode_option(tmp_path, check_mode, mode, expected):
    result = run({"results": {}, "dest": str(tmp_path), "mode": mode}, check_mode=check_mode)
    assert result["mode"] == expected
    assert _json(result["files"]["json"])["mode"] == expected


def test_formats_option(tmp_path):
    result = run({"results": {"srv-a": COMPLIANT}, "dest": str(tmp_path), "formats": ["html", "csv"]})
    assert list(result["files"]) == ["csv", "html"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kms_audit.csv", "kms_audit.html", "kms_fleet.sqlite"]


def test_results_read_from_hostvars(tmp_path):
    hostvars = {
        "srv-a": {"kms_client_result": COMPLIANT, "inventory_hostname": "srv-a"},
        "srv-b": {"kms_client_result": WOULD_CONVERT},
        "srv-down": {"kms_client_result": UNREACHABLE},
        "srv-never": {"inventory_hostname": "srv-never"},
        "localhost": {"kms_client_result": None},
    }
    task_vars = {"hostvars": hostvars, "groups": {"all": ["srv-b", "srv-a", "srv-down", "srv-never"]}}
    result = run({"dest": str(tmp_path)}, task_vars)
    assert result["summary"] == {"compliant": 1, "would_convert": 1, "unreachable": 1}
    result = run({"dest": str(tmp_path), "hosts": ["srv-never", "not-in-inventory"]}, task_vars)
    assert result["summary"] == {"compliant": 1, "would_convert": 1, "unreachable": 1, "not_run": 2}
    rows = {host["host"]: host for host in _json(result["files"]["json"])["hosts"]}
    assert rows["srv-down"]["message"].startswith(f"the WinRM connection failed ({UNREACHABLE['msg']}). Check that")


def test_result_var_option(tmp_path):
    task_vars = {
        "hostvars": {"srv-a": {"audit": COMPLIANT, "kms_client_result": WOULD_CONVERT}},
        "groups": {"all": ["srv-a"]},
    }
    result = run({"dest": str(tmp_path), "result_var": "audit"}, task_vars)
    assert result["summary"] == {"compliant": 1}


@pytest.mark.parametrize(
    "args, message",
    [
        ({"formats": ["json", "pdf"]}, "formats"),
        ({"formats": []}, "formats must name at least one of json, csv, markdown, html"),
        ({"mode": "audit"}, "mode"),
        ({"colour": "blue"}, "colour"),
        ({"results": {"srv-a": "compliant"}}, "results for host srv-a is a str, not a registered task result"),
    ],
)
def test_bad_options_fail_clearly(tmp_path, args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        run({"dest": str(tmp_path)} | args)
    assert list(tmp_path.iterdir()) == []


def test_dest_is_required():
    with pytest.raises(AnsibleActionFail, match="dest"):
        run({"results": {}})


def test_dest_that_is_a_file_fails_clearly(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x", encoding="utf-8")
    with pytest.raises(
        AnsibleActionFail, match=f"cannot write the kms audit report: dest {plain} exists and is not a directory"
    ):
        run({"results": {}, "dest": str(plain)})


def test_unwritable_report_file_fails_clearly(tmp_path):
    (tmp_path / "kms_audit.json").mkdir()
    with pytest.raises(AnsibleActionFail, match=r"cannot write the kms audit report: .*kms_audit\.json"):
        run({"results": {}, "dest": str(tmp_path), "formats": ["json"]})


def test_hostvars_value_that_is_not_a_result_fails_clearly(tmp_path):
    task_vars = {"hostvars": {"srv-a": {"kms_client_result": ["x"]}}, "groups": {"all": ["srv-a"]}}
    with pytest.raises(
        AnsibleActionFail,
        match=r"hostvars\['srv-a'\]\['kms_client_result'\] for host srv-a is a "
        "list",
    ):
        run({"dest": str(tmp_path)}, task_vars)


# --- cached facts and merged slice reports --------------------------------------------------------------------


def _fact(status: str, mode: str, time: str = "2025-06-25T10:00:00Z") -> dict:
    return {"version": 1, "time": time, "mode": mode, "status": status, "changed": False, "message": status}


def test_results_from_cached_facts(tmp_path):
    hostvars = {
        "srv-a": {"ansible_facts": {"kms_client": _fact("compliant", "check")}, "kms_client_result": WOULD_CONVERT},
        "srv-b": {"ansible_facts": {"kms_client": _fact("would_convert", "check")}},
        "srv-c": {"ansible_facts": {}},
    }
    task_vars = {"hostvars": hostvars, "groups": {"all": ["srv-a", "srv-b", "srv-c"]}}
    result = run({"dest": str(tmp_path), "results_from": "facts", "hosts": ["srv-c"]}, task_vars)
    report = json.loads((tmp_path / "kms_audit.json").read_text(encoding="utf-8"))
    rows = {row["host"]: (row["status"], row["source"], row["time"]) for row in report["hosts"]}
    assert rows == {
        "srv-a": ("compliant", "facts", "2025-06-25T10:00:00Z"),
        "srv-b": ("would_convert", "facts", "2025-06-25T10:00:00Z"),
        "srv-c": ("not_run", None, None),
    }
    assert result["mode"] == "check"  # every cached outcome came from an audit


def test_cached_fact_that_is_not_a_mapping_fails_clearly(tmp_path):
    task_vars = {"hostvars": {"srv-a": {"ansible_facts": {"kms_client": "x"}}}, "groups": {"all": ["srv-a"]}}
    with pytest.raises(AnsibleActionFail, match=r"ansible_facts\.kms_client for host srv-a is a str"):
        run({"dest": str(tmp_path), "results_from": "facts"}, task_vars)


def test_merge_of_slice_reports(tmp_path):
    first, second = tmp_path / "slice1", tmp_path / "slice2"
    run({"results": {"srv-a": {**WOULD_CONVERT, "time": "2025-06-25T10:00:00Z"}, "srv-b": None}, "dest": str(first)})
    run({"results": {"srv-a": None, "srv-b": COMPLIANT}, "dest": str(second)}, check_mode=True)
    merged = tmp_path / "fleet"
    result = run({"merge": [str(first), str(second / "kms_audit.json")], "hosts": ["srv-z"], "dest": str(merged)})
    report = json.loads((merged / "kms_audit.json").read_text(encoding="utf-8"))
    rows = {row["host"]: (row["status"], row["source"]) for row in report["hosts"]}
    assert rows == {
        "srv-a": ("would_convert", str(first / "kms_audit.json")),
        "srv-b": ("compliant", str(second / "kms_audit.json")),
        "srv-z": ("not_run", None),
    }
    assert result["mode"] == "apply" and result["hosts"] == 3


def test_merge_of_something_else_fails_clearly(tmp_path):
    other = tmp_path / "other.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(AnsibleActionFail, match=r"cannot merge the kms audit reports: .*other\.json is not a"):
        run({"merge": [str(other)], "dest": str(tmp_path / "out")})


# --- the fleet record ---------------------------------------------------------------------------------------------


def test_a_run_over_fewer_hosts_keeps_the_others_in_the_files_but_reports_its_own(tmp_path):
    run({"results": {"srv-a": WOULD_CONVERT, "srv-b": UNREACHABLE}, "dest": str(tmp_path)}, check_mode=True)

    result = run({"results": {"srv-a": COMPLIANT}, "dest": str(tmp_path)})

    report = _json(result["files"]["json"])
    rows = {row["host"]: (row["status"], row["in_run"], row["source"]) for row in report["hosts"]}
    assert rows == {"srv-a": ("compliant", True, None), "srv-b": ("unreachable", False, "record")}
    assert report["fleet"] == {"hosts": 2, "in_run": 1, "earlier": 1}
    assert (result["summary"], result["attention"], result["hosts"], result["fleet_hosts"]) == (
        {"compliant": 1},
        [],
        1,
        2,
    )
    assert result["run"] == 2 and result["record"] == str(tmp_path / "kms_fleet.sqlite")
    assert "2 hosts, 1 of them as an earlier run left them" in result["table"][1]


def test_the_run_view_shows_this_runs_hosts_only(tmp_path):
    run({"results": {"srv-a": WOULD_CONVERT, "srv-b": COMPLIANT}, "dest": str(tmp_path)})
    result = run({"results": {"srv-a": COMPLIANT}, "dest": str(tmp_path), "view": "run"})
    assert [row["host"] for row in _json(result["files"]["json"])["hosts"]] == ["srv-a"]
    assert result["fleet_hosts"] == 1 and len(result["table"]) == 3


def test_a_record_that_cannot_be_used_fails_the_task_but_keeps_this_runs_report(tmp_path):
    run({"results": {"srv-b": COMPLIANT}, "dest": str(tmp_path)})
    garbage = b"not a database" * 20
    (tmp_path / "kms_fleet.sqlite").write_bytes(garbage)

    result = run({"results": {"srv-a": COMPLIANT, "srv-c": UNREACHABLE}, "dest": str(tmp_path)})

    assert result["failed"] is True and result["run"] is None
    assert "the report files show this run's hosts only: the fleet record cannot be used" in result["msg"]
    assert "kms_fleet.sqlite is not a fleet record" in result["msg"]
    assert [row["host"] for row in _json(result["files"]["json"])["hosts"]] == ["srv-a", "srv-c"]
    assert result["summary"] == {"compliant": 1, "unreachable": 1}
    assert (tmp_path / "kms_fleet.sqlite").read_bytes() == garbage


def test_the_title_names_the_fleet_in_the_files(tmp_path):
    result = run({"results": {"srv-a": COMPLIANT}, "dest": str(tmp_path), "title": "Contoso branch offices"})
    assert _json(result["files"]["json"])["title"] == "Contoso branch offices"
    html = (tmp_path / "kms_audit.html").read_text(encoding="utf-8")
    assert "<h1>Contoso branch offices</h1>" in html and "The host is a KMS client." in html


def test_the_hosts_whose_status_fails_the_run_and_the_verdict_counted_as_the_table(tmp_path):
    kms_unreachable = {**WOULD_CONVERT, "status": "kms_unreachable", "msg": "no KMS host answers"}
    args = {
        "results": {"srv-a": COMPLIANT, "srv-b": kms_unreachable, "srv-c": UNREACHABLE, "srv-d": None},
        "hosts": ["srv-a", "srv-b", "srv-c", "srv-d"],
        "dest": str(tmp_path / "out"),
    }

    result = run({**args, "fail_statuses": ["kms_unreachable", "unreachable"]})
    unset = run(args)

    assert result["failing"] == {"srv-b": "kms_unreachable", "srv-c": "unreachable"}  # not_run is no fail status here
    assert result["verdict"] == (
        "Needs attention: 3 hosts, of which 2 fail the run (1 kms_unreachable, 1 unreachable: statuses in "
        f"kms_client_report_fail_statuses); the report in {tmp_path / 'out'} names them."
    )
    assert "Needs attention: 3 hosts" in result["table"]
    assert (unset["failing"], unset["verdict"]) == ({}, "")


def test_the_verdict_of_one_failing_host(tmp_path):
    args = {"results": {"srv-a": UNREACHABLE}, "dest": str(tmp_path / "out"), "fail_statuses": ["unreachable"]}

    assert run(args)["verdict"].startswith("Needs attention: 1 host, of which 1 fails the run (1 unreachable:")
