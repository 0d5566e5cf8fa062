# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host decision of kms_client_key, internal to this collection: the probe read into a host state, the
installed key's type, the KMS route, HRESULTs, the options, the plan, the judgement of an apply and the result.
"""

# FOR INTERNAL COLLECTION USE ONLY: these interfaces may change in any release.
