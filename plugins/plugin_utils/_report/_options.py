# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""User options of kms_client_report: the argument spec.

The action plugin validates its arguments with it; the playbook's run check (``_run._role_options``) checks
the role's report variables against the same choices.
"""

from __future__ import annotations

import typing as t

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._files import FORMATS
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._text import TABLE_ROWS
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STATUSES

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "results": {"type": "dict"},
    "hosts": {"type": "list", "elements": "str"},
    "result_var": {"type": "str", "default": "kms_client_result"},
    "results_from": {"type": "str", "choices": ["registered", "facts"], "default": "registered"},
    "merge": {"type": "list", "elements": "path"},
    "dest": {"type": "path", "required": True},
    "formats": {"type": "list", "elements": "str", "choices": list(FORMATS), "default": list(FORMATS)},
    "mode": {"type": "str", "choices": ["auto", "check", "apply"], "default": "auto"},
    "table_rows": {"type": "int", "default": TABLE_ROWS},
    "not_run_reason": {"type": "str"},
    "view": {"type": "str", "choices": ["fleet", "run"], "default": "fleet"},
    "title": {"type": "str"},
    "fail_statuses": {"type": "list", "elements": "str", "choices": list(STATUSES), "default": []},
}
