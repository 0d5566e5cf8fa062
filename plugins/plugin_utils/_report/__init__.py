# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report of kms_client_report, internal to this collection: its argument spec, the report model,
the text and HTML renderers, the files and the merge of reports from other runs.
"""

# FOR INTERNAL COLLECTION USE ONLY: these interfaces may change in any release.
