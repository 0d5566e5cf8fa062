"""The role's variables checked once for a run: one message, each variable with its value and its hosts."""

from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

import pytest
import yaml
from unit.utils.action_harness import make_host, make_key, run_action, spec

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import ARGUMENT_SPEC, role_wording
from ansible_collections.volume_activation.kms.plugins.plugin_utils._run._role_options import (
    SET_BY_THE_RUN,
    RunRefused,
    check_run,
    role_variable_names,
    unknown_variables,
)

ROLE = "volume_activation.kms.kms_client"
ROOT = Path(__file__).resolve().parents[5]


def _refusal(hosts: dict[str, dict[str, t.Any]], play: dict[str, t.Any] | None = None, check: bool = True) -> str:
    with pytest.raises(RunRefused) as refused:
        check_run(play or {}, list(hosts), hosts.__getitem__, check_mode=check)
    return str(refused.value)


def test_option_names_become_role_variables_but_not_step_names_or_words() -> None:
    said = role_wording("set on_kms_unreachable: convert; clear_kms_port; is_kms_host; activate; kms_host 'x'")
    assert (
        said
        == "set kms_client_on_kms_unreachable: convert; clear_kms_port; is_kms_host; activate; kms_client_kms_host 'x'"
    )


def test_valid_variables_pass() -> None:
    hosts = {
        "a": {"kms_client_kms_port": "1688", "kms_client_report_formats": ["json"]},
        "b": {"kms_client_report_formats": ["json"]},
    }
    check_run({"kms_client_serial": "25%"}, list(hosts), hosts.__getitem__, check_mode=False)


def test_one_message_groups_the_hosts_of_each_problem() -> None:
    hosts = {f"h{i}": {"kms_client_kms_port": 0} for i in range(7)} | {"ok": {}}
    message = _refusal(hosts)
    assert message.count("kms_client_kms_port 0 is out of range") == 1
    assert "(hosts h0, h1, h2, h3, h4 and 2 more)" in message


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        ({"kms_client_report_formats": "json,csv"}, 'kms_client_report_formats is the string "json,csv", not a list'),
        ({"kms_client_report_formats": []}, "kms_client_report_formats is []; name at least one of json"),
        ({"kms_client_report_fail_statuses": ["failed", "oops"]}, '["oops"] unknown'),
        ({"kms_client_task_timeout": ""}, 'kms_client_task_timeout is ""; expected a number of seconds'),
        ({"kms_client_max_fail_percentage": 101}, "kms_client_max_fail_percentage is 101"),
        ({"kms_client_kms_lookup_domain": ""}, "kms_client_kms_lookup_domain '' is not a DNS domain name"),
        ({"kms_client_kms_discovery": "dnss"}, "kms_client_kms_discovery must be one of: unchanged, dns, got: dnss"),
        ({"kms_client_report_dest": ""}, 'kms_client_report_dest is ""; expected a directory path'),
        ({"kms_client_report_view": "all"}, 'kms_client_report_view is "all"; allowed: fleet, run'),
        ({"kms_client_report_title": ["a"]}, 'kms_client_report_title is ["a"]; expected a line of text'),
        ({"kms_client_report_title": "x" * 121}, 'kms_client_report_title is "xxx'),
        ({"kms_client_convert_from": ["csvlk"]}, "for example -e 'kms_client_target=windows:!kms01'"),
    ],
)
def test_each_bad_value_is_named_with_its_value(variables: dict[str, t.Any], said: str) -> None:
    assert said in _refusal({"a": variables})


# What an administrator gives with -e (key=value arrives as a string, JSON keeps its type) or in the inventory, and
# what the one refusal must say; tests/integration/test_playbook_gates.py runs three of them end to end.
HOSTS = ("a-kms-host-1", "b-kms-host-2", "c-mak-1", "d-mak-2")
BAD_RUNS = [
    ("format typo", {"kms_client_report_formats": ["json", "htlm"]}, {}, ['"htlm"', "allowed: json, csv"]),
    (
        "list given as a string",
        {"kms_client_report_fail_statuses": "failed,timed_out"},
        {},
        ['kms_client_report_fail_statuses is the string "failed,timed_out", not a list'],
    ),
    (
        "unknown status name",
        {"kms_client_report_fail_statuses": ["failed", "borked"]},
        {},
        ['["borked"] unknown; allowed: compliant, converted'],
    ),
    ("empty kms host", {"kms_client_kms_host": ""}, {}, ["kms_client_kms_host is empty"]),
    ("port 0", {"kms_client_kms_port": "0"}, {}, ["kms_client_kms_port 0 is out of range", "1 to 65535"]),
    ("serial 0", {"kms_client_serial": "0"}, {}, ['kms_client_serial is "0"; expected a number of hosts']),
    ("timeout 0", {"kms_client_task_timeout": "0"}, {}, ['kms_client_task_timeout is "0"; expected']),
    (
        "negative percentage",
        {"kms_client_max_fail_percentage": "-5"},
        {},
        ['kms_client_max_fail_percentage is "-5"; expected a percentage from 0 to 100'],
    ),
    ("wrong type", {"kms_client_activate": "maybe"}, {}, ['kms_client_activate is "maybe"; expected true']),
    ("overrides as a string", {"kms_client_gvlk_overrides": "ABCDE"}, {}, ["is a string, not a mapping"]),
    ("empty target", {"kms_client_target": ""}, {}, ['kms_client_target is ""; expected an inventory group']),
    ("mode typo", {"kms_client_report_mode": "audit"}, {}, ['kms_client_report_mode is "audit"; allowed: auto']),
    (
        "port from the inventory",
        {},
        {"d-mak-2": {"kms_client_kms_port": 70000}},
        ["kms_client_kms_port 70000 is out of range", "(host d-mak-2)"],
    ),
    (
        "list as a string in the inventory",
        {},
        {"c-mak-1": {"kms_client_convert_from": "mak"}, "d-mak-2": {"kms_client_convert_from": "mak"}},
        ['kms_client_convert_from is the string "mak", not a list', "(hosts c-mak-1, d-mak-2)"],
    ),
    (
        "play keyword in the inventory",
        {},
        {"c-mak-1": {"kms_client_serial": 1}},
        ["kms_client_serial is 1 in the inventory, which the play keyword serial never sees", "(host c-mak-1)"],
    ),
    (
        "run option differing per host",
        {},
        {"c-mak-1": {"kms_client_report_results_from": "facts"}},
        ["kms_client_report_results_from differs between the hosts of the target", '"facts" for c-mak-1'],
    ),
]


@pytest.mark.parametrize(("case", "extra_vars", "inventory", "said"), BAD_RUNS, ids=[case[0] for case in BAD_RUNS])
def test_each_bad_run_is_refused_with_what_the_administrator_gave(
    case: str, extra_vars: dict[str, t.Any], inventory: dict[str, dict[str, t.Any]], said: list[str]
) -> None:
    # Extra vars reach the play keywords and every host; inventory variables reach their host only.
    hosts = {host: {**inventory.get(host, {}), **extra_vars} for host in HOSTS}
    message = _refusal(hosts, play=extra_vars)
    for text in said:
        assert text in message, f"{case}: {text!r} not in {message}"


def test_the_audit_gate_needs_check_mode() -> None:
    assert "not in check mode" in _refusal({"a": {"kms_client_audit_gate": True}}, check=False)
    check_run({}, ["a"], {"a": {"kms_client_audit_gate": True}}.__getitem__, check_mode=True)


def test_a_report_dest_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    tmp_path = tmp_path / ("long-directory-name-" * 8)  # the path is named whole however long it is
    tmp_path.mkdir()
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    refusals = {
        "/proc/kms_reports": "no file can be created in /proc",
        str(tmp_path / "a-file" / "reports"): f"{tmp_path / 'a-file'} exists and is not a directory",
    }
    for dest, said in refusals.items():
        message = _refusal({"a": {"kms_client_report_dest": dest}})
        assert f'kms_client_report_dest is "{dest}"; the report cannot be written there: {said}' in message


def test_a_report_dest_whose_fleet_record_is_unreadable_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kms_fleet.sqlite").write_text("not a database" * 20, encoding="utf-8")
    message = _refusal({"a": {"kms_client_report_dest": str(tmp_path)}})
    assert f"the report cannot be written there: {tmp_path / 'kms_fleet.sqlite'} is not a fleet record" in message


def test_merge_paths_that_do_not_exist_are_refused(tmp_path: Path) -> None:
    tmp_path = tmp_path / ("long-directory-name-" * 8)
    tmp_path.mkdir()
    (tmp_path / "kms_audit.json").write_text("{}", encoding="utf-8")
    merge = [str(tmp_path), str(tmp_path / "kms_audit.json"), str(tmp_path / "slice2")]
    message = _refusal({"a": {"kms_client_report_merge": merge}})
    assert f'kms_client_report_merge names ["{tmp_path / "slice2"}"]: no such kms_audit.json' in message


def test_a_report_dest_to_create_is_accepted_and_not_created(tmp_path: Path) -> None:
    dest = tmp_path / "new" / "reports"
    check_run({}, ["a"], {"a": {"kms_client_report_dest": str(dest)}}.__getitem__, check_mode=True)
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_override_key_is_never_shown() -> None:
    key = make_key(7)
    message = _refusal({"a": {"kms_client_gvlk_overrides": {"ServerAzureCor": key[:-1] + "Q"}}})
    assert "kms_client_gvlk_overrides['ServerAzureCor'] is not a valid product key" in message
    assert key[:-1] not in message


@pytest.mark.parametrize(
    ("serial", "valid"),
    [
        (1, True),
        ("3", True),
        ("50%", True),
        ([1, "25%"], True),
        (0, False),
        ("0%", False),
        ("101%", False),
        ("abc", False),
        ([], False),
        ("1,2", False),
    ],
)
def test_serial(serial: t.Any, valid: bool) -> None:
    hosts: dict[str, dict[str, t.Any]] = {"a": {"kms_client_serial": serial}}
    if valid:
        check_run({"kms_client_serial": serial}, ["a"], hosts.__getitem__, check_mode=True)
    else:
        assert "kms_client_serial is" in _refusal(hosts, {"kms_client_serial": serial})


def test_play_keyword_variables_from_the_inventory_are_refused() -> None:
    message = _refusal({"a": {"kms_client_target": "servers"}, "b": {}}, {"kms_client_target": "windows"})
    assert 'kms_client_target is "servers" in the inventory, which the play keyword hosts never sees' in message
    assert message.endswith("give it with -e kms_client_target=... (host a)")


def test_run_variables_must_agree_between_hosts() -> None:
    message = _refusal({"a": {"kms_client_report_dest": "/r1"}, "b": {"kms_client_report_dest": "/r2"}})
    assert 'kms_client_report_dest differs between the hosts of the target ("/r1" for a; "/r2" for b)' in message


def test_audit_gate_needs_check_mode() -> None:
    assert "not in check mode" in _refusal({"a": {"kms_client_audit_gate": "yes"}}, check=False)
    check_run({}, ["a"], {"a": {"kms_client_audit_gate": "yes"}}.__getitem__, check_mode=True)


def test_a_host_whose_variables_cannot_be_templated_is_named() -> None:
    def broken(host: str) -> t.Mapping[str, t.Any]:
        raise ValueError("'undefined_thing' is undefined")

    assert "the role variables of host a cannot be templated: 'undefined_thing' is undefined" in _refusal_with(broken)


def _refusal_with(variables: t.Callable[[str], t.Mapping[str, t.Any]]) -> str:
    with pytest.raises(RunRefused) as refused:
        check_run({}, ["a"], variables, check_mode=True)
    return str(refused.value)


def test_through_the_role_messages_name_role_variables() -> None:
    host = make_host(spec(key_type="mak"))
    direct = run_action(host, {"kms_port": 0})
    through_role = run_action(host, {"kms_port": 0}, role=ROLE)
    assert "kms_port 0 is out of range" in direct["msg"] and "kms_client_" not in direct["msg"]
    assert "kms_client_kms_port 0 is out of range" in through_role["msg"]


def test_through_the_role_a_kms_host_refusal_shows_how_to_leave_it_out() -> None:
    host = make_host(spec(key_type="csvlk", partial_key="2YT43"))
    direct = run_action(host, {})
    through_role = run_action(
        host, {}, role=ROLE, task_vars={"inventory_hostname": "kms01", "kms_client_target": "servers"}
    )
    assert direct["refused"] is True and "(for example a group without KMS hosts)" in direct["msg"]
    assert through_role["msg"].endswith("Leave it out of this task: -e 'kms_client_target=servers:!kms01'.")
    assert through_role["ansible_facts"]["kms_client"]["msg"] == through_role["msg"]


def trusted(template: str) -> str:
    """A template as Ansible loads it from the inventory or a vars file (ansible-core 2.19 renders only those)."""
    try:
        from ansible.template import trust_as_template  # ansible-core 2.19
    except ImportError:  # 2.16 to 2.18 render every template
        return template
    return trust_as_template(template)


def test_through_the_role_the_options_are_the_role_variables_as_the_host_sees_them() -> None:
    # The role's task gives no arguments: the module reads each kms_client_<option>, templated, and nothing else.
    task_vars = {
        "kms_client_kms_host": trusted("{{ kms_hosts[0] }}"),
        "kms_hosts": ["kms02.corp.example.com"],
        "kms_client_kms_port": 1700,
        "kms_client_on_kms_unreachable": "convert",
        "kms_client_kms_count": None,  # unset: the module's own default applies
        "kms_port": 1,  # a variable without the prefix is no option
    }
    host = make_host(spec(key_type="mak"))
    through_role = run_action(host, {}, role=ROLE, task_vars=task_vars, check_mode=True)
    direct = run_action(make_host(spec(key_type="mak")), {}, task_vars=task_vars, check_mode=True)

    assert "set the KMS host to kms02.corp.example.com" in through_role["msg"]
    assert "set the KMS port to 1700" in through_role["msg"]
    assert "KMS host to" not in direct["msg"]  # called as a module, only its arguments count


def test_through_the_role_an_outcome_is_no_task_failure_and_its_fact_keeps_failed() -> None:
    # The licensed host whose KMS host does not answer keeps its key: kms_unreachable, a failed outcome.
    unreachable_kms = {"kms": {"dns": "kms01.corp.example.com", "reachable": False}, "license_status": "licensed"}
    direct = run_action(make_host(spec(key_type="mak", **unreachable_kms)), {})
    through_role = run_action(make_host(spec(key_type="mak", **unreachable_kms)), {}, role=ROLE)

    assert (direct["status"], direct["failed"]) == ("kms_unreachable", True)
    assert (through_role["status"], through_role["failed"]) == ("kms_unreachable", False)
    assert through_role["ansible_facts"]["kms_client"]["failed"] is True


def _role_main_options() -> dict[str, dict[str, t.Any]]:
    specs = yaml.safe_load(
        (Path(__file__).resolve().parents[5] / "roles/kms_client/meta/argument_specs.yml").read_text()
    )
    return specs["argument_specs"]["main"]["options"]


WRONG_TYPE = {"str": ["a", "b"], "int": "many", "bool": "maybe", "list": {"a": 1}, "dict": "text", "raw": "many"}


@pytest.mark.parametrize("name", sorted(_role_main_options()))
def test_the_run_check_refuses_what_the_roles_argument_spec_refuses(name: str) -> None:
    """The playbook runs the role without its per-host argument check (tasks_from: convert): this check replaces it."""
    option = _role_main_options()[name]
    value = "not-a-choice" if option.get("choices") else WRONG_TYPE[option["type"]]
    assert name in _refusal({"a": {name: value}})


def test_a_misspelt_role_variable_is_named_with_the_nearest_one() -> None:
    hosts = {"a": {"kms_client_kms_hots": "kms01", "kms_client_activate": True}, "b": {"kms_client_kms_hots": "kms01"}}
    assert unknown_variables(list(hosts), hosts.__getitem__) == [
        "kms_client_kms_hots is set (hosts a, b) but is no variable of the role, so it changes nothing; "
        "did you mean kms_client_kms_host?"
    ]


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("on_kms_unreachable", "kms_client_on_kms_unreachable"),
        ("kms_host", "kms_client_kms_host"),
        ("activate", "kms_client_activate"),
        ("serial", "kms_client_serial"),
        ("report_dest", "kms_client_report_dest"),
    ],
)
def test_a_role_variable_given_without_its_prefix_is_named_with_it(given: str, meant: str) -> None:
    """-e on_kms_unreachable=convert (the module's option name) changes nothing through the role: warned as a typo."""
    hosts = {"a": {given: "x", "inventory_hostname": "a", "other": 1}}
    assert unknown_variables(["a"], hosts.__getitem__) == [
        f"{given} is set (hosts a) but is no variable of the role, so it changes nothing; did you mean {meant}?"
    ]


def test_a_setting_of_an_option_without_an_underscore_is_named_as_the_role_variable() -> None:
    said = role_wording("Activate the host against a KMS host (activate: true, the default); activate it")
    assert said == "Activate the host against a KMS host (kms_client_activate: true, the default); activate it"


def _documented() -> set[str]:
    """Every variable ansible-doc shows for the role: the options of each entry point of its argument specs."""
    specs = yaml.safe_load((ROOT / "roles/kms_client/meta/argument_specs.yml").read_text())["argument_specs"]
    return {name for entry in specs.values() for name in entry["options"]}


@pytest.mark.parametrize("document", ["docs/user_guide.md", "README.md", "roles/kms_client/defaults/main.yml"])
def test_every_variable_the_documents_and_the_defaults_name_is_in_the_argument_specs(document: str) -> None:
    """ansible-doc -t role volume_activation.kms.kms_client documents every variable a user reads of."""
    modules = {path.stem for path in (ROOT / "plugins/modules").glob("*.yml")}  # kms_client_key, kms_client_report
    misspelt = {"kms_client_kms_hots"}  # the user guide's example of a typo
    named = set(re.findall(r"\bkms_client_\w+", (ROOT / document).read_text(encoding="utf-8")))
    assert named - modules - misspelt - _documented() == set()


def test_every_variable_the_run_checks_is_in_the_argument_specs() -> None:
    assert role_variable_names() - set(SET_BY_THE_RUN) <= _documented()


def test_every_variable_of_the_roles_defaults_and_of_the_run_is_known() -> None:
    root = Path(__file__).resolve().parents[5]
    defaults = yaml.safe_load((root / "roles/kms_client/defaults/main.yml").read_text())
    hosts = {"a": {**defaults, "kms_client_result": {}, "kms_client_stop": {}, "kms_client": {}, "other": 1}}
    assert unknown_variables(["a"], hosts.__getitem__) == []


@pytest.mark.parametrize("entry_point", ["main", "report"])
def test_the_role_defaults_pass_the_role_argument_check(entry_point: str) -> None:
    # What validate_argument_spec does when a play runs the role: the defaults of its entry point's options (those
    # Ansible templates first are left out) must pass, or the role fails on every host before any task.
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    specs = yaml.safe_load((ROOT / "roles/kms_client/meta/argument_specs.yml").read_text(encoding="utf-8"))
    options = specs["argument_specs"][entry_point]["options"]
    defaults = yaml.safe_load((ROOT / "roles/kms_client/defaults/main.yml").read_text(encoding="utf-8"))
    given = {name: value for name, value in defaults.items() if name in options and "{{" not in str(value)}
    assert given, entry_point
    assert ArgumentSpecValidator(options).validate(given).error_messages == []


def test_the_per_host_task_templates_nothing_in_each_worker() -> None:
    # ansible-core templates a task's keywords and arguments in each worker, where no compiled template survives from
    # the worker before (docs/performance.md): the one task that runs per host has no template, and neither has the
    # default of a role variable the module reads on every host.
    tasks = yaml.safe_load((ROOT / "roles/kms_client/tasks/convert.yml").read_text(encoding="utf-8"))
    (per_host,) = [task for task in tasks if "volume_activation.kms.kms_client_key" in task]
    templated = [key for key, value in per_host.items() if "{{" in json.dumps(value)]
    assert templated == []
    defaults = yaml.safe_load((ROOT / "roles/kms_client/defaults/main.yml").read_text(encoding="utf-8"))
    read_on_every_host = {f"kms_client_{name}" for name in ARGUMENT_SPEC} | {"kms_client_task_timeout"}
    assert [name for name in sorted(read_on_every_host & set(defaults)) if "{{" in json.dumps(defaults[name])] == []
