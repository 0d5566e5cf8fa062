# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bound of one host's task when the role runs kms_client_key: ``kms_client_task_timeout``, kept by the action
plugin in the worker process, with the same SIGALRM alarm ansible-core arms for a task's ``timeout`` keyword.

The role's task has no ``timeout`` keyword: ansible-core templates a task keyword in each worker, where no compiled
template survives from the worker before, and compiling the keyword's expression and the variable's default cost
about 6 ms of controller CPU per host (docs/performance.md). The action plugin sizes the default from values it
already holds instead.
"""

from __future__ import annotations

import signal
import typing as t
from contextlib import contextmanager

from ansible_collections.volume_activation.kms.plugins.plugin_utils._host._options import OptionError, whole_number
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import shown

# The role variable of the bound (unset: sized_timeout).
TASK_TIMEOUT_VARIABLE = "kms_client_task_timeout"

# pywinrm's read timeout when ansible_winrm_read_timeout_sec is not set (winrm.protocol.Protocol.DEFAULT_READ_TIMEOUT_SEC).
DEFAULT_READ_TIMEOUT = 30
# Worker executions one host may need: the probe, the apply, and the probe again when the apply's reply is lost.
EXECUTIONS = 3
# What Activate() may take to reach the KMS host, on top of the TCP test.
ACTIVATION_ALLOWANCE = 60
# What DISM /Set-Edition may take on an evaluation host (kms_client_convert_evaluation).
EDITION_CHANGE_ALLOWANCE = 1800


class HostTimeout(BaseException):
    """The bound expired. A BaseException, as ansible-core's own task timeout, so that no ``except Exception`` in the
    connection's code swallows it."""

    def __init__(self, period: int) -> None:
        super().__init__(f"the task timeout ({period} s) expired")
        self.period = period


def sized_timeout(read_timeout: int, tcp_timeout: int, convert_evaluation: bool, reboot_timeout: int) -> int:
    """The default bound in seconds: every worker execution's read timeout, the TCP test and the activation; with
    ``convert_evaluation``, twice that (the host is converted again after its restart), the edition change and the
    restart's ``reboot_timeout``."""
    once = EXECUTIONS * read_timeout + tcp_timeout + ACTIVATION_ALLOWANCE
    return 2 * once + EDITION_CHANGE_ALLOWANCE + reboot_timeout if convert_evaluation else once


def task_timeout(value: t.Any) -> int:
    """The bound ``kms_client_task_timeout`` sets: a whole number of seconds, 1 or more (OptionError otherwise)."""
    seconds = whole_number(value)
    if seconds is None or seconds < 1:
        raise OptionError(f"{TASK_TIMEOUT_VARIABLE} is {shown(value)}; expected a number of seconds, 1 or more")
    return seconds


def _expire(period: int) -> t.Callable[[int, t.Any], None]:
    def handler(_signum: int, _frame: t.Any) -> None:
        raise HostTimeout(period)

    return handler


@contextmanager
def deadline(seconds: int | None) -> t.Iterator[None]:
    """Raise :class:`HostTimeout` in this process once ``seconds`` have passed (None: no bound); the alarm and the
    previous SIGALRM handler are restored on the way out."""
    if not seconds:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire(seconds))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
