# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Catalog of Microsoft's KMS client setup keys (GVLKs) and the resolver from host facts to key.

Source of every key: Microsoft's page "Key Management Services (KMS) client activation and product
keys" (revision 2025-06-25), as recorded in the project's reference table. Pure Python, standard
library only, so any controller-side plugin can import it by its full name.

Resolution rules (never guess: a wrong key is worse than no key):

* The edition is read from the registry ``EditionID`` (= ``SoftwareLicensingProduct.LicenseFamily``)
  plus the build; then from ``OperatingSystemSKU`` plus the build; then from an English caption.
* Windows 10/11 client editions (Pro, Pro N, Pro for Workstations (N), Pro Education (N),
  Education (N), Enterprise (N), Enterprise G (N)) share one key across every build from 10240 on,
  future builds included; the name reported is Windows 11's from build 22000 on. Every other
  edition needs a build the catalog lists for it.
* Server Core: on 2016 and later the key is the edition's key. A Server Core host reports the same
  SKU as Desktop Experience; if it reports a ``…Cor`` EditionID (``ServerStandardCor``,
  ``ServerDatacenterCor``, ``ServerTurbineCor``, as DISM names them) or a Server Core SKU (148,
  147, 408), it is resolved as the edition without the suffix, for builds where that edition has a
  key. Semi-Annual Channel editions (``…ACor``) are separate editions with their own keys.
* Microsoft's page lists four keys under "Windows Server 2012" that belong to the Windows 8 Home
  editions (``Core``, ``CoreN``, ``CoreSingleLanguage``, ``CoreCountrySpecific``, build 9200).
  The catalog files them under Windows 8, so they are never offered to a server.
* Captions are localized and sometimes lack the year; only English captions equal to an edition
  name of the catalog are read, and a year-less server caption needs the build to decide.
"""

from __future__ import annotations

from ansible_collections.volume_activation.kms.plugins.module_utils._gvlk_resolver import (
    CatalogError,
    Resolution,
    UnknownEdition,
    UnsupportedEdition,
    entries_for_key,
    is_server_core,
    key_fits,
    parse_build,
    resolve,
)
from ansible_collections.volume_activation.kms.plugins.module_utils._gvlk_table import (
    ENTRIES,
    NO_KEY_EDITIONS,
    Entry,
    NoKeyEdition,
)
from ansible_collections.volume_activation.kms.plugins.module_utils._product_key import (
    KEY_ALPHABET,
    is_valid_product_key,
    partial_key,
)

__all__ = [
    "ENTRIES",
    "KEY_ALPHABET",
    "NO_KEY_EDITIONS",
    "CatalogError",
    "Entry",
    "NoKeyEdition",
    "Resolution",
    "UnknownEdition",
    "UnsupportedEdition",
    "entries_for_key",
    "is_server_core",
    "is_valid_product_key",
    "key_fits",
    "parse_build",
    "partial_key",
    "resolve",
]
