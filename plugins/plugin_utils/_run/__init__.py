# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run of the playbook convert_to_kms, internal to this collection: the role's variables checked once for
the whole target, and the gates Ansible runs while it templates the plays.
"""

# FOR INTERNAL COLLECTION USE ONLY: these interfaces may change in any release.
