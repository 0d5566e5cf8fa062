"""kms_client_report under real ansible-playbook: results registered by hosts, read through hostvars.

The hosts' results are real registered results where Ansible makes them (an unreachable host, a failed task, a
skipped task) and fake kms_client_key results set as facts otherwise. ``ANSIBLE_PLAYBOOK`` may name another
ansible-playbook (e.g. one of an older ansible-core in another virtualenv).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from unit.utils.reference import reference_gvlk

pytestmark = [pytest.mark.integration, pytest.mark.matrix]

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = os.environ.get("ANSIBLE_PLAYBOOK", str(Path(sys.executable).parent / "ansible-playbook"))

PLAYBOOK = """
- name: Fake kms_client_key results
  hosts: windows
  gather_facts: false
  tasks:
    - name: Set the result a host would have registered
      ansible.builtin.set_fact:
        kms_client_result: "{{ fake_result }}"
      when: fake_result is defined

- name: A connection that cannot be made
  hosts: srv-down
  gather_facts: false
  tasks:
    - name: Reach the host
      ansible.builtin.raw: Get-Date
      register: kms_client_result
      ignore_unreachable: true
      check_mode: false

- name: A task error before the module could decide
  hosts: srv-early-fail
  gather_facts: false
  tasks:
    - name: Fail
      ansible.builtin.fail:
        msg: kms_port must be between 1 and 65535
      register: kms_client_result
      ignore_errors: true

- name: A host the conversion is not for
  hosts: srv-linux
  gather_facts: false
  tasks:
    - name: Skipped by its condition
      ansible.builtin.debug:
        msg: never shown
      register: kms_client_result
      when: ansible_os_family | default('Linux') == 'Windows'

- name: Report
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the fleet audit
      volume_activation.kms.kms_client_report:
        hosts: "{{ groups['windows'] }}"
        dest: "{{ report_dest }}"
      register: report

    - name: Keep the task result for the test
      ansible.builtin.copy:
        content: "{{ report | to_json }}"
        dest: "{{ report_dest }}.result.json"
        mode: '0644'
      check_mode: false
"""


def _fake(status: str, edition_id: str, build: int, before: str, partial_before: str | None) -> dict:
    gvlk = reference_gvlk(edition_id, build)
    after = gvlk[-5:] if status in ("compliant", "converted", "would_convert") else partial_before
    return {
        "changed": status in ("converted", "would_convert"),
        "failed": False,
        "status": status,
        "msg": f"{status} ({edition_id})",
        "edition": {"id": edition_id, "name": edition_id, "build": build},
        "gvlk": gvlk,
        "key_type": {"before": before, "after": "gvlk" if status != "is_kms_host" else before},
        "partial_product_key": {"before": partial_before or gvlk[-5:], "after": after},
        "license_status": {"before": "licensed", "after": "licensed"},
        "kms": {"machine": "kms01.corp.example.com", "port": 1688},
    }


def _inventory() -> dict:
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {
        "srv2022-dc-01": local | {"fake_result": _fake("compliant", "ServerDatacenter", 20348, "gvlk", None)},
        "srv2019-std-01": local | {"fake_result": _fake("would_convert", "ServerStandard", 17763, "mak", "Q7X3B")},
        "srv2019-std-02": local | {"fake_result": _fake("would_convert", "ServerStandard", 17763, "retail", "K2P8W")},
        "srv2016-kms": local | {"fake_result": _fake("is_kms_host", "ServerStandard", 14393, "csvlk", "T9DD3")},
        "srv-down": {
            "ansible_connection": "winrm",
            "ansible_host": "127.0.0.1",
            "ansible_port": 1,
            "ansible_user": "audit",
            "ansible_password": "not-a-secret",
            "ansible_winrm_scheme": "http",
            "ansible_winrm_transport": "basic",
            "ansible_winrm_connection_timeout": 5,
        },
        "srv-early-fail": local,
        "srv-linux": local,
        "srv-never": local,  # in the target, but no task registers a result on it
    }
    return {"all": {"children": {"windows": {"hosts": hosts}}}}


def _play(tmp_path: Path, dest: Path, *options: str) -> dict:
    environment = os.environ | {
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
    }
    command = [
        ANSIBLE_PLAYBOOK,
        "-i",
        str(tmp_path / "inventory.yml"),
        str(tmp_path / "playbook.yml"),
        "-e",
        f"report_dest={dest}",
        *options,
    ]
    completed = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert Path(f"{dest}.result.json").exists(), output
    return json.loads(Path(f"{dest}.result.json").read_text(encoding="utf-8"))


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    if not Path(ANSIBLE_PLAYBOOK).exists():
        pytest.fail(f"{ANSIBLE_PLAYBOOK} does not exist; run `make collection` (or set ANSIBLE_PLAYBOOK)")
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(_inventory()), encoding="utf-8")
    (tmp_path / "playbook.yml").write_text(PLAYBOOK, encoding="utf-8")
    return tmp_path


def test_report_reads_registered_results_through_hostvars(playbook: Path):
    dest = playbook / "reports"
    result = _play(playbook, dest)
    expected = {
        "srv2022-dc-01": "compliant",
        "srv2019-std-01": "would_convert",
        "srv2019-std-02": "would_convert",
        "srv2016-kms": "is_kms_host",
        "srv-down": "unreachable",
        "srv-early-fail": "failed",
        "srv-linux": "skipped",
        "srv-never": "not_run",
    }
    assert result["changed"] is True and result["mode"] == "apply" and result["hosts"] == len(expected)
    data = json.loads((dest / "kms_audit.json").read_text(encoding="utf-8"))
    rows = {row["host"]: row for row in data["hosts"]}
    assert {host: row["status"] for host, row in rows.items()} == expected
    assert list(rows) == sorted(expected)
    assert result["summary"] == data["summary"]
    assert rows["srv-early-fail"]["message"] == "kms_port must be between 1 and 65535"
    assert rows["srv-down"]["message"], "Ansible gives the reason a host was unreachable"
    assert rows["srv2019-std-01"]["gvlk"] == reference_gvlk("ServerStandard", 17763)
    assert rows["srv2019-std-01"]["partial_product_key"] == {
        "before": "Q7X3B",
        "after": reference_gvlk("ServerStandard", 17763)[-5:],
    }
    assert sorted(result["files"]) == ["csv", "html", "json", "markdown"]
    assert all(Path(path).parent == dest for path in result["files"].values())

    assert _play(playbook, dest)["changed"] is False, "an identical rerun changes nothing"

    checked = _play(playbook, dest, "--check")
    assert checked["changed"] is True and checked["mode"] == "check"
    assert json.loads((dest / "kms_audit.json").read_text(encoding="utf-8"))["mode"] == "check"
