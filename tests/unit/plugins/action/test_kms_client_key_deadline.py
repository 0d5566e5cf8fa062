"""kms_client_key run by the role: the task's bound (kms_client_task_timeout, or sized), kept by the plugin itself."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from unit.utils.action_harness import KMS, make_host, run_action, spec

from ansible_collections.volume_activation.kms.plugins.action import kms_client_key
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import host_row
from winsim.licensing import WindowsHost

ROLE = "volume_activation.kms.kms_client"
BOUND = 1  # seconds: the bound of the tests whose worker hangs
HANG = 5  # seconds a hung worker would take; the bound ends it first


class Hung:
    """A host whose worker hangs during ``operation``: after the host ran it (an apply whose reply never comes), or
    before (a probe that never answers)."""

    def __init__(self, host: WindowsHost, operation: str) -> None:
        self.host, self.operation, self.operations = host, operation, []

    def run_worker(self, module_args: dict[str, Any]) -> dict[str, Any]:
        self.operations.append(module_args["operation"])
        if module_args["operation"] != self.operation:
            return self.host.run_worker(module_args)
        if self.operation == "apply":
            self.host.run_worker(module_args)  # the host ran it; its reply never comes
        time.sleep(HANG)
        return {}


@pytest.fixture(autouse=True)
def _no_alarm_left() -> Iterator[None]:
    """Every test leaves no alarm armed and SIGALRM's handler as it found it."""
    handler = signal.getsignal(signal.SIGALRM)
    yield
    assert signal.alarm(0) == 0
    assert signal.getsignal(signal.SIGALRM) is handler


def _by_role(worker: Any, task_vars: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return run_action(worker, {}, role=ROLE, task_vars={"kms_client_kms_host": KMS, **task_vars}, **kwargs)


def test_a_probe_that_hangs_is_timed_out_with_its_fact_and_nothing_written() -> None:
    """docs/reliability.md: a hung host does not hold the play; run by the role, it keeps its fact (timed_out)."""
    worker = Hung(make_host(spec(key_type="mak")), "probe")
    started = time.monotonic()
    result = _by_role(worker, {"kms_client_task_timeout": BOUND})
    assert time.monotonic() - started < HANG
    assert worker.operations == ["probe"]
    assert result["status"] == "timed_out" and result["changed"] is False
    assert result["failed"] is False  # run by the role, every outcome is a status; the last play fails the host
    assert (
        f"task timeout ({BOUND} s, kms_client_task_timeout)" in result["msg"] and "nothing was changed" in result["msg"]
    )
    fact = result["ansible_facts"]["kms_client"]
    assert (fact["status"], fact["failed"], fact["changed"]) == ("timed_out", True, False)
    assert host_row("host1", result)["status"] == "timed_out"


def test_an_apply_that_hangs_is_timed_out_and_changed_with_the_state_before() -> None:
    """The apply request was sent: what the host holds is unknown, so changed is true and the probe's reading kept."""
    host = make_host(spec(key_type="mak"))
    worker = Hung(host, "apply")
    result = _by_role(worker, {"kms_client_task_timeout": BOUND})
    assert worker.operations == ["probe", "apply"]
    assert result["status"] == "timed_out" and result["changed"] is True
    assert result["key_type"] == {"before": "mak", "after": None}
    assert f"task timeout ({BOUND} s)" in result["msg"]
    assert result["ansible_facts"]["kms_client"]["status"] == "timed_out"


@contextlib.contextmanager
def _recorded(bounds: list[int | None], seconds: int | None) -> Iterator[None]:
    bounds.append(seconds)
    yield


@pytest.mark.parametrize(
    ("task_vars", "expected"),
    [
        pytest.param({}, 153, id="default: 3 x 30 s read timeout + 3 s TCP test + 60 s"),
        pytest.param({"ansible_winrm_read_timeout_sec": 60}, 243, id="read timeout 60"),
        pytest.param({"ansible_winrm_read_timeout_sec": "60", "kms_client_tcp_timeout": 10}, 250, id="as text, tcp 10"),
        pytest.param({"ansible_winrm_read_timeout_sec": "soon"}, 153, id="no number: pywinrm's 30 s"),
        pytest.param(
            {"kms_client_convert_evaluation": True, "kms_client_evaluation_target": "standard"},
            2 * 153 + 1800 + 1800,
            id="evaluation: twice, DISM 1800 s, reboot_timeout 1800 s",
        ),
        pytest.param(
            {
                "kms_client_convert_evaluation": True,
                "kms_client_evaluation_target": "standard",
                "kms_client_reboot_timeout": 600,
            },
            2 * 153 + 1800 + 600,
            id="evaluation, reboot_timeout 600",
        ),
        pytest.param({"kms_client_task_timeout": 40}, 40, id="set"),
        pytest.param({"kms_client_task_timeout": "40"}, 40, id="set as text"),
    ],
)
def test_the_bound_is_the_role_variable_or_sized_from_the_read_timeout_and_options(
    monkeypatch: pytest.MonkeyPatch, task_vars: dict[str, Any], expected: int
) -> None:
    bounds: list[int | None] = []
    monkeypatch.setattr(kms_client_key, "deadline", lambda seconds: _recorded(bounds, seconds))
    result = _by_role(make_host(spec(key_type="mak")), task_vars, check_mode=True)
    assert result["status"] == "would_convert", result["msg"]
    assert bounds == [expected]


def test_a_task_timeout_keyword_or_a_direct_call_is_left_to_ansible(monkeypatch: pytest.MonkeyPatch) -> None:
    """With its own ``timeout`` keyword, the task is bounded by ansible-core; the module alone sets no bound."""
    bounds: list[int | None] = []
    monkeypatch.setattr(kms_client_key, "deadline", lambda seconds: _recorded(bounds, seconds))
    _by_role(make_host(spec(key_type="mak")), {"kms_client_task_timeout": 40}, check_mode=True, timeout=15)
    run_action(make_host(spec(key_type="mak")), {"kms_host": KMS}, check_mode=True)
    assert bounds == [None, None]


@pytest.mark.parametrize("value", [0, -5, "0", "soon", True, 1.5, [153]])
def test_a_bound_that_is_not_a_number_of_seconds_is_refused_before_the_host_is_read(value: Any) -> None:
    worker = Hung(make_host(spec(key_type="mak")), "none")
    result = _by_role(worker, {"kms_client_task_timeout": value})
    assert worker.operations == []
    assert result["status"] == "failed"
    assert "kms_client_task_timeout is" in result["msg"] and "expected a number of seconds, 1 or more" in result["msg"]
