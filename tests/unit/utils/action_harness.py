"""Run the kms_client_key action plugin as Ansible runs it, against modelled Windows hosts."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

from ansible.errors import AnsibleConnectionFailure
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.volume_activation.kms.plugins.action.kms_client_key import ActionModule
from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog
from winsim.licensing import WindowsHost

REFERENCE_CSV = Path(__file__).resolve().parents[1] / "fixtures" / "windows_editions_gvlk.csv"

WORKER = "volume_activation.kms.kms_client_key"


# ------------------------------------------------------------------------------------------- helpers


def _crc32_msb_first(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF


def make_key(seed: int) -> str:
    """A well-formed Windows 8+ product key with a valid checksum that is in no public table."""
    alphabet = gvlk_catalog.KEY_ALPHABET
    payload = random.Random(seed).getrandbits(103)
    crc = _crc32_msb_first(payload.to_bytes(16, "little")) & 0x3FF
    value = payload | (crc << 103)
    position, rest = divmod(value, 24**24)
    digits = []
    for _position in range(24):
        rest, digit = divmod(rest, 24)
        digits.append(alphabet[digit])
    chars = "".join(reversed(digits))
    chars = chars[:position] + "N" + chars[position:]
    key = "-".join(chars[i : i + 5] for i in range(0, 25, 5))
    assert gvlk_catalog.is_valid_product_key(key)
    return key


def gvlk_for(edition_id: str, build: int) -> str:
    return gvlk_catalog.resolve(edition_id=edition_id, build=build).gvlk


def make_host(spec: dict[str, Any]) -> WindowsHost:
    return WindowsHost.from_spec(spec)


def executions(host: WindowsHost) -> int:
    return host.worker_executions


def run_action(
    host: Any,
    args: dict[str, Any],
    *,
    check_mode: bool = False,
    diff: bool = False,
    calls: list[dict[str, Any]] | None = None,
    role: str | None = None,
    task_vars: dict[str, Any] | None = None,
    timeout: int | None = None,
) -> dict[str, Any]:
    """Run the real action plugin once; its worker executions go to ``host`` (as a task of ``role`` when given, with
    the task keyword ``timeout`` when given)."""
    task = Task()
    if timeout is not None:
        task.timeout = timeout
    if role:
        task._role = MagicMock()
        task._role.get_name.return_value = role
    task.action = WORKER
    task.args = copy.deepcopy(args)
    task.check_mode = check_mode
    task.diff = diff
    connection = MagicMock()
    connection._shell.tmpdir = None
    loader = DataLoader()
    templar = Templar(loader=loader, variables=task_vars or {})
    action = ActionModule(
        task, connection, PlayContext(), loader=loader, templar=templar, shared_loader_obj=MagicMock()
    )
    action._load_name = WORKER  # set by the plugin loader in a real run
    seen = calls if calls is not None else []

    def execute_module(module_name=None, module_args=None, task_vars=None, **_: Any) -> dict[str, Any]:
        # As the simulator's WinRM endpoint (winsim.fleet): no answer while the host restarts, and the reply of the
        # execution that restarted it is lost (a test's own stand-in for a host never restarts).
        assert module_name == WORKER
        if getattr(host, "boot_generation", lambda: 0)() is None:
            raise AnsibleConnectionFailure("winrm connection error: the host closed the connection without a reply")
        seen.append(copy.deepcopy(module_args))
        result = host.run_worker(copy.deepcopy(module_args))
        if getattr(host, "take_restart_notice", lambda: False)():
            raise AnsibleConnectionFailure("winrm connection error: the host closed the connection without a reply")
        return result

    action._execute_module = execute_module  # type: ignore[method-assign]
    result = action.run(task_vars=task_vars or {})
    json.dumps(result)  # results must be plain data
    return result


KMS = "kms01.corp.example.com"


def spec(
    edition_id: str = "ServerDatacenter", build: int = 20348, key_type: str = "mak", **extra: Any
) -> dict[str, Any]:
    """A scenario host spec; caption, SKU and installation type default to what the edition reports.

    The host's network has a reachable KMS host published in DNS (``kms01.corp.example.com``) unless ``kms``
    says otherwise.
    """
    base = {"name": "host1", "edition_id": edition_id, "build": build, "key_type": key_type, "kms": {"dns": KMS}}
    if edition_id == "ServerDatacenter" and build == 20348:
        base.update(os_sku=8, caption="Microsoft Windows Server 2022 Datacenter", installation_type="Server")
    base.update(extra)
    return base
