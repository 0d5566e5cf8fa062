"""Fixtures for tests that run real ansible-playbook against simulated Windows hosts."""

from __future__ import annotations

import contextlib
import pathlib
import typing as t

import pytest

from winsim.wsman import Handler, ServedFleet, serve_fleet

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def repo_collections() -> pathlib.Path:
    """The collections path holding volume_activation.kms (created by `make collection`)."""
    path = REPO_ROOT / ".collections"
    if not (path / "ansible_collections" / "volume_activation" / "kms").exists():
        pytest.fail("run `make collection` first: .collections/ansible_collections/volume_activation/kms is missing")
    return path


@pytest.fixture
def winrm_fleet(tmp_path: pathlib.Path) -> t.Iterator[t.Callable[..., ServedFleet]]:
    """Factory: ``winrm_fleet({name: handler}, faults={name: [...]}, extra_vars={name: {...}})``.

    Starts a loopback WinRM endpoint serving those hosts, writes ``tmp_path/fleet<n>/inventory.yml`` (group
    ``windows``) and returns a ServedFleet (``.endpoint``, ``.inventory``); everything stops at teardown.
    """
    started: list[ServedFleet] = []
    with contextlib.ExitStack() as stack:

        def start(
            hosts: t.Mapping[str, Handler],
            faults: t.Mapping[str, t.Iterable[t.Mapping[str, t.Any]]] | None = None,
            extra_vars: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
        ) -> ServedFleet:
            directory = tmp_path / f"fleet{len(started)}"
            directory.mkdir()
            fleet = stack.enter_context(serve_fleet(hosts, directory, faults=faults, extra_vars=extra_vars))
            started.append(fleet)
            return fleet

        yield start
