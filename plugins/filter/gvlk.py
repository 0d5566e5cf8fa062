# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gvlk filter: Microsoft's KMS client setup key for an edition and build."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog


def gvlk(
    edition_id: str | None,
    build: int | str | None = None,
    os_sku: int | str | None = None,
    caption: str | None = None,
    installation_type: str | None = None,
) -> str:
    """The catalog key for the edition; AnsibleFilterError with the catalog's message otherwise."""
    try:
        return gvlk_catalog.resolve(
            edition_id=edition_id, build=build, os_sku=os_sku, caption=caption, installation_type=installation_type
        ).gvlk
    except gvlk_catalog.CatalogError as exc:
        raise AnsibleFilterError(f"gvlk: {exc.message}") from exc


class FilterModule:
    """volume_activation.kms filters."""

    def filters(self) -> dict[str, object]:
        return {"gvlk": gvlk}
