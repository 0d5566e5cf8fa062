# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kms_client_batch filter, internal to the role kms_client: the outcomes to keep of the hosts of a batch that
failed, and whether the play stops (plugin_utils/_run/_batch.py)."""

from __future__ import annotations

from ansible_collections.volume_activation.kms.plugins.plugin_utils._run._batch import kms_client_batch


class FilterModule:
    """volume_activation.kms.kms_client_batch."""

    def filters(self) -> dict[str, object]:
        return {"kms_client_batch": kms_client_batch}
