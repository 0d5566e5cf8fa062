"""Real ansible-playbook, the winrm connection plugin and pywinrm against the loopback WinRM endpoint."""

from __future__ import annotations

import pathlib
import shutil
import textwrap
import typing as t

import pytest

from winsim.wsman import WORKER_NAME, run_playbook

pytestmark = pytest.mark.integration

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
REAL_WORKER = REPO_ROOT / "plugins" / "modules" / "kms_client_key.ps1"

# A module that is not the worker though it names it: only a payload carrying the engine is the worker.
OTHER_MODULE = """\
#!powershell
#AnsibleRequires -CSharpUtil Ansible.Basic
$name = '{worker}'
$module = [Ansible.Basic.AnsibleModule]::Create($args, @{{}})
$module.ExitJson()
"""
# Stand-in that requires the worker's engine, by which the simulated endpoint recognises the worker.
WORKER_STUB = """\
#!powershell
#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows
$spec = @{{ options = @{{ operation = @{{ type = 'str' }}; steps = @{{ type = 'list'; elements = 'dict' }} }} }}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
"""


@pytest.fixture
def stub_collections(tmp_path: pathlib.Path, repo_collections: pathlib.Path) -> list[pathlib.Path]:
    """Collections path with ``winsim_test.transport`` (worker stub, the real worker's source, another module)."""
    root = tmp_path / "collections"
    collection = root / "ansible_collections" / "winsim_test" / "transport"
    modules = collection / "plugins" / "modules"
    modules.mkdir(parents=True)
    (collection / "galaxy.yml").write_text("namespace: winsim_test\nname: transport\nversion: 1.0.0\n")
    (modules / "worker_stub.ps1").write_text(WORKER_STUB.format(worker=WORKER_NAME))
    (modules / "other_module.ps1").write_text(OTHER_MODULE.format(worker=WORKER_NAME))
    if REAL_WORKER.exists():
        shutil.copyfile(REAL_WORKER, modules / "real_worker.ps1")
    return [root, repo_collections]


def write_playbook(tmp_path: pathlib.Path, tasks: str) -> pathlib.Path:
    path = tmp_path / "play.yml"
    path.write_text(
        "- hosts: windows\n  gather_facts: false\n  tasks:\n" + textwrap.indent(textwrap.dedent(tasks), "    ")
    )
    return path


class Recorder:
    """A per-host handler that records the module arguments it got and answers a fixed probe result."""

    def __init__(self, answer: dict[str, t.Any]) -> None:
        self.answer = answer
        self.calls: list[dict[str, t.Any]] = []

    def __call__(self, module_args: dict[str, t.Any], csharp: dict[str, str]) -> dict[str, t.Any]:
        assert "KmsClientEngine.cs" in " ".join(csharp)  # the engine came with the payload
        self.calls.append(module_args)
        return self.answer


def without_ansible_keys(result: dict[str, t.Any]) -> dict[str, t.Any]:
    return {key: value for key, value in result.items() if not key.startswith("_ansible")}


def test_worker_arguments_reach_the_handler_and_its_dict_comes_back(winrm_fleet, stub_collections, tmp_path):
    probe = {"changed": False, "probe": {"os": {"Caption": "Microsoft Windows Server 2022 Datacenter"}, "products": []}}
    failing = {"changed": False, "failed": True, "msg": "probe could not read Win32_OperatingSystem"}
    ok, broken = Recorder(probe), Recorder(failing)
    fleet = winrm_fleet({"srv01": ok, "srv02": broken})
    steps = [{"action": "refresh_license_status"}, {"action": "set_kms_port", "port": 1688}]
    playbook = write_playbook(
        tmp_path,
        f"""
        - name: probe
          winsim_test.transport.worker_stub: {{operation: probe}}
        - name: apply
          winsim_test.transport.worker_stub:
            operation: apply
            steps: {steps!r}
        """,
    )

    run = run_playbook(playbook, fleet.inventory, collections_paths=stub_collections)

    assert ok.calls == [{"operation": "probe"}, {"operation": "apply", "steps": steps}], run.stdout
    assert without_ansible_keys(run.result("srv01", "probe")["result"]) == probe
    assert run.result("srv01", "apply")["status"] == "ok"
    assert broken.calls == [{"operation": "probe"}]
    failed = run.result("srv02", "probe")
    assert failed["status"] == "failed"
    assert failed["result"]["msg"] == failing["msg"]
    assert fleet.endpoint.stats("srv01")["worker_executions"] == 2
    assert fleet.endpoint.stats("srv02")["worker_executions"] == 1
    assert run.returncode == 2


@pytest.mark.skipif(not REAL_WORKER.exists(), reason="plugins/modules/kms_client_key.ps1 is not in the tree")
def test_the_real_worker_source_is_recognised(winrm_fleet, stub_collections, tmp_path):
    recorder = Recorder({"changed": False, "probe": {}})
    fleet = winrm_fleet({"srv01": recorder})
    playbook = write_playbook(tmp_path, "- name: probe\n  winsim_test.transport.real_worker: {operation: probe}\n")

    run = run_playbook(playbook, fleet.inventory, collections_paths=stub_collections)

    assert recorder.calls == [{"operation": "probe"}], run.stdout + run.stderr
    assert run.returncode == 0


def test_anything_but_the_worker_is_refused(winrm_fleet, stub_collections, tmp_path):
    recorder = Recorder({"changed": False})
    fleet = winrm_fleet({"srv01": recorder})
    script = tmp_path / "hello.ps1"
    script.write_text("Write-Output 'hello'\n")
    playbook = write_playbook(
        tmp_path,
        f"""
        - name: raw
          ansible.builtin.raw: Get-Service WinRM
          ignore_errors: true
        - name: other module
          winsim_test.transport.other_module: {{}}
          ignore_errors: true
        - name: script
          ansible.builtin.script: {script}
          ignore_unreachable: true
        """,
    )

    run = run_playbook(playbook, fleet.inventory, collections_paths=stub_collections)

    prefix = f"winsim: srv01 is a simulated Windows host that only runs the {WORKER_NAME} worker; it was asked to run"
    raw = run.result("srv01", "raw")
    assert raw["status"] == "failed"
    assert raw["result"]["rc"] == 1
    assert raw["result"]["stderr"].startswith(f"{prefix} the PowerShell script 'Get-Service WinRM'")
    other = run.result("srv01", "other module")
    assert other["status"] == "failed"
    assert other["result"]["msg"] == f"{prefix} the module winsim_test.transport.other_module"
    # The script action first creates a temporary directory; that is refused, which Ansible reports as unreachable.
    scripted = run.result("srv01", "script")
    assert scripted["status"] == "unreachable"
    assert "Failed to create temporary directory" in scripted["result"]["msg"]
    assert recorder.calls == []
    stats = fleet.endpoint.stats("srv01")
    assert stats["worker_executions"] == 0
    assert stats["rejected"] >= 3


def test_transport_faults(winrm_fleet, stub_collections, tmp_path):
    handlers = {
        name: Recorder({"changed": False, "probe": {"host": name}}) for name in ("down", "flaky", "slow", "stuck")
    }
    fleet = winrm_fleet(
        handlers,
        faults={
            "down": [{"transport": "refused"}],
            "flaky": [{"transport": "http_500", "times": 1}],
            "slow": [{"transport": "slow", "seconds": 1, "times": 2}],
            "stuck": [{"transport": "slow", "seconds": 4, "times": 1}],
        },
        extra_vars={"stuck": {"ansible_winrm_operation_timeout_sec": 1, "ansible_winrm_read_timeout_sec": 2}},
    )
    playbook = write_playbook(
        tmp_path,
        """
        - name: first
          winsim_test.transport.worker_stub: {operation: probe}
          ignore_unreachable: true
        - name: second
          winsim_test.transport.worker_stub: {operation: probe}
          ignore_unreachable: true
        """,
    )

    run = run_playbook(playbook, fleet.inventory, collections_paths=stub_collections)

    first = {name: run.result(name, "first") for name in handlers}
    assert first["down"]["status"] == "unreachable"
    assert "refused" in first["down"]["result"]["msg"].lower()
    assert first["flaky"]["status"] == "unreachable"
    assert "500" in first["flaky"]["result"]["msg"]
    assert first["stuck"]["status"] == "unreachable"
    assert first["slow"]["status"] == "ok"
    assert run.result("flaky", "second")["status"] == "ok"  # the single HTTP 500 is used up
    assert run.result("stuck", "second")["status"] == "ok"
    assert without_ansible_keys(run.result("slow", "second")["result"]) == {"changed": False, "probe": {"host": "slow"}}
    assert handlers["down"].calls == []
    assert len(handlers["flaky"].calls) == 1
    assert len(handlers["slow"].calls) == 2
    assert fleet.endpoint.stats("down")["requests"] == 0
    assert fleet.endpoint.stats("flaky")["http_500"] == 1
    assert fleet.endpoint.stats("slow")["delayed"] == 2
