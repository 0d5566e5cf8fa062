# Copyright: (c) volume_activation.kms maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gvlk filter: Microsoft's KMS client setup key for an edition and build."""
from __future__ import annotations

DOCUMENTATION = r"""
name: gvlk
author: volume_activation.kms maintainers
version_added: 0.1.0
short_description: KMS client setup key (GVLK) for a Windows edition
description:
  - Returns the KMS client setup key Microsoft publishes for a Windows edition, looked up in the
    collection's catalog (every edition on Microsoft's page, Windows Vista/Server 2008 to Windows 11/Server 2025).
  - The edition is read from the EditionID (registry C(EditionID), equal to C(SoftwareLicensingProduct.LicenseFamily))
    with the build; then from O(os_sku) with the build; then from an English O(caption).
  - Fails when the edition has no published key (evaluation editions, Home, editions Microsoft lists no key for),
    naming the reason and, for evaluation editions, the DISM conversion; and when the edition or its build cannot be
    identified with certainty. It never guesses a key.
options:
  _input:
    description:
      - The EditionID, for example V(ServerDatacenter), V(Professional), V(EnterpriseS).
      - May be empty or V(null) when O(os_sku) or O(caption) identify the edition.
    type: str
    required: true
  build:
    description:
      - The OS build, as a number (V(20348)), a numeric string, or a version string (V(10.0.20348) or V(10.0.20348.2113)).
      - Required unless O(caption) names an edition released on a single build.
    type: raw
  os_sku:
    description:
      - C(Win32_OperatingSystem.OperatingSystemSKU), for example V(8) for Datacenter.
      - When both the EditionID and the SKU are given and point at different editions, the filter fails.
    type: int
  caption:
    description:
      - C(Win32_OperatingSystem.Caption). Only English captions equal to an edition name of the catalog are read;
        localized captions are not guessed.
    type: str
  installation_type:
    description:
      - Registry C(InstallationType) (V(Server), V(Server Core), V(Client)). Reported in error messages;
        Server Core takes the same key as Desktop Experience.
    type: str
seealso:
  - name: KMS client activation and product keys
    description: Microsoft's list of KMS client setup keys.
    link: https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
"""

EXAMPLES = r"""
- name: Key for Windows Server 2022 Datacenter
  ansible.builtin.debug:
    msg: "{{ 'ServerDatacenter' | volume_activation.kms.gvlk(build=20348) }}"

- name: Key from a known EditionID and gathered facts (distribution_version is "10.0.<build>.<ubr>")
  ansible.builtin.set_fact:
    kms_setup_key: "{{ edition_id | volume_activation.kms.gvlk(build=ansible_facts['distribution_version']) }}"

- name: Key from an English caption and the build
  ansible.builtin.debug:
    msg: "{{ None | volume_activation.kms.gvlk(caption='Microsoft Windows 10 Enterprise', build=19045) }}"
"""

RETURN = r"""
_value:
  description: The KMS client setup key, five groups of five characters.
  type: str
  sample: WX4NM-KYWYW-QJJR4-XV3QB-6VM33
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.volume_activation.kms.plugins.module_utils import gvlk_catalog


def gvlk(edition_id: str | None, build: object = None, os_sku: object = None, caption: str | None = None,
         installation_type: str | None = None) -> str:
    """The catalog key for the edition; AnsibleFilterError with the catalog's message otherwise."""
    try:
        return gvlk_catalog.resolve(edition_id=edition_id, build=build, os_sku=os_sku, caption=caption,
                                    installation_type=installation_type).gvlk
    except gvlk_catalog.CatalogError as exc:
        raise AnsibleFilterError(f"gvlk: {exc.message}") from exc


class FilterModule:
    """volume_activation.kms filters."""

    def filters(self) -> dict[str, object]:
        return {"gvlk": gvlk}
