# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for volume_activation.kms.kms_client_verdict: end a host of the run as its status says, so that the
PLAY RECAP counts it where it belongs (failed, or unreachable). Contacts no host."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STATUSES, Status

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "status": {"type": "str", "required": True, "choices": list(STATUSES)},
    "msg": {"type": "str", "required": True},
}
NOT_REACHED = "This host was not reached in this run (its UNREACHABLE line above says why)."


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: str | None = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        if args["status"] == Status.UNREACHABLE.value:
            # Ansible counts the host unreachable only from a connection failure; none is attempted here.
            raise AnsibleConnectionFailure(f"{NOT_REACHED} {args['msg']}")
        result.update(failed=True, changed=False, status=args["status"], msg=args["msg"])
        return result
