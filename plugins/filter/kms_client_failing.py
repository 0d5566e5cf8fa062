# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kms_client_failing filter, internal to the playbook convert_to_kms: the hosts whose status fails the run
(plugin_utils/_run/_gates.py)."""

from __future__ import annotations

from ansible_collections.volume_activation.kms.plugins.plugin_utils._run._gates import kms_client_failing


class FilterModule:
    """volume_activation.kms.kms_client_failing."""

    def filters(self) -> dict[str, object]:
        return {"kms_client_failing": kms_client_failing}
