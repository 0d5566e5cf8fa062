#!/usr/bin/python
# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Implemented as an action plugin (plugins/action/kms_client_verdict.py); documented in kms_client_verdict.yml.
