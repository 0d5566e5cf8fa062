#!/usr/bin/python
# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Implemented as an action plugin (plugins/action/kms_client_report.py); this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_client_report
short_description: Write the fleet audit report of M(volume_activation.kms.kms_client_key) results
version_added: 0.1.0
description:
  - Collects each host's registered result of M(volume_activation.kms.kms_client_key) and writes the fleet
    audit on the controller as JSON, CSV, Markdown and a self-contained HTML page (charts by status and by key
    type, and the host table).
  - Runs entirely on the controller and writes local files. Run it once, in a play on C(localhost) or with
    C(run_once=true).
  - B(The report is written in check mode too.) With C(--check), M(volume_activation.kms.kms_client_key) is
    an audit and this report is its output. Nothing is changed on the managed hosts.
  - Every host of O(hosts) appears in the report. A host without a result gets status C(not_run); a host whose
    result says it was unreachable (registered with C(ignore_unreachable=true)) gets status C(unreachable)
    and Ansible's message with what it means for WinRM (listener, credentials, firewall); a result Ansible's
    task C(timeout) ended gets status C(timed_out); a failed result without a C(status) (the task failed before the module could
    decide) gets status C(failed) and its message. Hosts are sorted by name.
  - Every format starts with the hosts that B(need attention) - those whose status a run as it stands will not
    make a KMS client (every status but compliant, converted, reconfigured, would_convert and would_reconfigure),
    in the order of the statuses - each with what to do. The Markdown and HTML files then give the summary, the
    O(volume_activation.kms.kms_client_key#module:gvlk_overrides) entries that matched no host (when any), every
    host, and a legend of the statuses present (meaning and what to do); the JSON file has the same sections as
    data; the CSV file lists the hosts that need attention first, with the columns C(attention) and C(todo).
  - A refused host's edition is named as Microsoft's key table names it (for example C(Windows 10 Home)); an
    edition the catalog cannot identify shows the caption the host reported.
  - An override "matched no host" when no host that was given it used it (its EditionID, or EditionID@build,
    was no host's; or a more specific C(EditionID@build) entry took its place). Only hosts with a
    result count; the names come from each host's result (RV(volume_activation.kms.kms_client_key#module:gvlk_override)),
    so overrides that differ per host (group_vars) are judged per host.
  - RV(table) is the table the role's playbook prints at the end of the run.
  - Files are replaced atomically (a temporary file in O(dest), then a rename). A file whose content would
    differ only in its C(generated) timestamp is left as it is and does not count as a change, so an
    unchanged fleet gives C(changed=false) and keeps the earlier timestamp.
  - Partial product keys are reported with at most five characters; C(gvlk) is reported as the result gives
    it (Microsoft's public GVLK, or five characters for a key supplied by the user).
options:
  results:
    description:
      - Mapping of inventory host name to that host's registered result.
      - A value may be null (the host has no result).
      - When omitted, each host's result is read from C(hostvars[host][result_var]).
    type: dict
  results_from:
    description:
      - Where each host's result is read when O(results) is omitted.
      - V(registered) reads C(hostvars[host][result_var]), the result this run registered.
      - V(facts) reads C(hostvars[host].ansible_facts.kms_client), the fact
        M(volume_activation.kms.kms_client_key) returns and the role C(volume_activation.kms.kms_client) keeps
        for every host. With fact caching this is each host's last outcome, whichever run or job slice recorded
        it, also for hosts the current run never contacted. Rows get C(source=facts).
    type: str
    choices: [registered, facts]
    default: registered
  merge:
    description:
      - C(kms_audit.json) reports written by other runs (for example the slices of a sliced job), or
        directories holding one, to merge into one report. When set, O(results) and O(results_from) are not
        read; hosts of O(hosts) in none of the reports are C(not_run).
      - For each host the row with a result wins over a C(not_run) row (a slice lists the hosts of the other
        slices as not run), then the row with the newest C(time) (a row without one takes its report's
        C(generated)), then the row of the report listed last.
      - Each row's C(source) is the path of the report it came from. Rows are rebuilt on reading; partial keys
        keep at most five characters.
    type: list
    elements: path
  result_var:
    description:
      - Name of the variable each host registered the result of M(volume_activation.kms.kms_client_key) in.
      - Used only when O(results) is omitted.
    type: str
    default: kms_client_result
  hosts:
    description:
      - Host names that must appear in the report, whether or not they have a result.
      - The report covers these hosts and every host that has a result (the keys of O(results), or the
        inventory hosts whose O(result_var) is defined).
      - Pass the targeted hosts here so that hosts that never ran are reported as C(not_run).
    type: list
    elements: str
  dest:
    description:
      - Directory to write the files into; created when missing.
      - A relative path is relative to the current directory of C(ansible-playbook).
    type: path
    required: true
  formats:
    description:
      - Which files to write. V(json) is C(kms_audit.json), V(csv) C(kms_audit.csv), V(markdown)
        C(kms_audit.md), V(html) C(kms_audit.html).
    type: list
    elements: str
    choices: [json, csv, markdown, html]
    default: [json, csv, markdown, html]
  not_run_reason:
    description:
      - Why the hosts of O(hosts) without a result did not run, as their rows' C(message) says it (the role
        C(volume_activation.kms.kms_client) names the hosts whose failures made
        C(kms_client_max_fail_percentage) stop the play).
      - When omitted, those rows say that no result was registered.
    type: str
  mode:
    description:
      - Whether the results come from an audit (V(check)) or a conversion (V(apply)); shown in every file.
        The HTML page adds the chart of key types after the run in V(apply) mode.
      - V(auto) is V(check) when this task runs in check mode. Otherwise it is V(apply) for registered results;
        for cached facts and merged reports it is the mode they were recorded in (V(apply) when any run
        converted, V(check) when every one was an audit). Set it explicitly when the report task does not run in
        the same check mode as the M(volume_activation.kms.kms_client_key) task.
    type: str
    choices: [auto, check, apply]
    default: auto
  table_rows:
    description:
      - How many hosts RV(table) lists at most, those that need attention first, then those that changed (or
        would change). Compliant hosts are only counted. V(0) lists every host. The files always hold every host.
    type: int
    default: 50
attributes:
  action:
    description: Implemented as an action plugin; it runs on the controller.
    support: full
  check_mode:
    description: Writes the report in check mode too; the report is the audit's output.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  platform:
    description: Runs on the controller, whatever the target's platform.
    support: full
    platforms: all
notes:
  - C(kms_audit.json) has C(generated) (ISO-8601 UTC), C(mode), C(summary) (status to count), C(attention) (the
    names of the hosts that need attention, in status order), C(gvlk_overrides) (C(given), C(used) and
    C(unmatched) override names), C(legend) (for each status present its C(meaning), C(todo) and C(attention)), C(key_types)
    (C(before) and C(after), key type to count, hosts without a key type left out) and C(hosts), one object per
    host with C(host), C(status), C(edition_id), C(edition), C(build), C(key_type), C(partial_product_key),
    C(license_status) (each with C(before) and C(after)), C(gvlk), C(kms) (C(machine), C(port),
    C(lookup_domain), C(discovered_machine), C(discovered_port)), C(gvlk_override) (C(given), C(used)),
    C(changed), C(message), C(time) (when the
    host's outcome was recorded, ISO-8601 UTC, null when unknown) and C(source) (V(facts) for a cached fact, the
    path of the merged report a row came from, null for a result registered in this run).
  - C(kms_audit.csv) has one row per host with the columns host, status, edition_id, edition, build,
    key_type_before, key_type_after, partial_key_before, partial_key_after, gvlk, license_status_before,
    license_status_after, kms_machine, kms_port, kms_discovered_machine, kms_discovered_port (the KMS host the
    last activation used), changed, attention (true or false), todo (what to do for the status), message (RFC 4180,
    CRLF line ends); the hosts that need attention come first. A cell that
    starts with C(=), C(+), C(-), C(@), a tab or a carriage return gets a leading C(') so that spreadsheets
    do not evaluate it.
  - Host names and messages come from the hosts; the HTML page escapes them and the Markdown file escapes C(|),
    C(<), C(>) and C(&).
seealso:
  - module: volume_activation.kms.kms_client_key
author:
  - volume_activation.kms maintainers (@volume-activation)
"""

EXAMPLES = r"""
- name: Audit or convert the Windows hosts
  hosts: windows
  gather_facts: false
  tasks:
    - name: Install the KMS client setup key
      volume_activation.kms.kms_client_key:
      register: kms_client_result
      ignore_unreachable: true

- name: Report
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the fleet audit (in check mode too)
      volume_activation.kms.kms_client_report:
        hosts: "{{ groups['windows'] }}"
        dest: kms_reports
      register: kms_report

    - name: Show the summary
      ansible.builtin.debug:
        msg: "{{ kms_report.msg }}"

- name: The fleet report from the fact cache of every earlier run (or job slice); connects to no host
  volume_activation.kms.kms_client_report:
    hosts: "{{ groups['windows'] }}"
    results_from: facts
    dest: kms_reports
  run_once: true
  delegate_to: localhost

- name: One report from the reports the slices of a sliced job wrote
  volume_activation.kms.kms_client_report:
    hosts: "{{ groups['windows'] }}"
    merge:
      - /srv/audit/slice1
      - /srv/audit/slice2/kms_audit.json
    dest: /srv/audit/fleet
  run_once: true
  delegate_to: localhost

- name: Only the JSON and CSV files, from results collected by hand
  volume_activation.kms.kms_client_report:
    results: "{{ dict(groups['windows'] | zip(groups['windows'] | map('extract', hostvars, 'kms_client_result'))) }}"
    dest: /srv/audit/kms
    formats: [json, csv]
    mode: check
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: Path of the file written (or left unchanged) for each requested format.
  returned: success
  type: dict
  sample:
    json: /home/ops/kms_reports/kms_audit.json
    csv: /home/ops/kms_reports/kms_audit.csv
    markdown: /home/ops/kms_reports/kms_audit.md
    html: /home/ops/kms_reports/kms_audit.html
summary:
  description:
    - Number of hosts per status, statuses in the order compliant, converted, reconfigured, would_convert,
      would_reconfigure, activation_failed, kms_unreachable, failed, unsupported_edition, evaluation_edition,
      is_kms_host, unknown_edition, skipped, timed_out, unreachable, not_run. Statuses no host has are left out.
  returned: success
  type: dict
  sample: {compliant: 3, would_convert: 5, is_kms_host: 1, unreachable: 1}
hosts:
  description: Number of hosts in the report.
  returned: success
  type: int
  sample: 10
mode:
  description: The mode the report was written in, V(check) or V(apply).
  returned: success
  type: str
  sample: check
attention:
  description: The hosts that need attention, in status order then by name.
  returned: success
  type: list
  elements: str
  sample: [kms01, ws-win11-pro-offline-01]
unmatched_overrides:
  description: The gvlk_overrides names no host used (see the notes).
  returned: success
  type: list
  elements: str
  sample: [ServerStandardEval]
table:
  description:
    - The per-host table, one line per item; a list prints one line per item with the default callback.
    - The RV(msg) line; the hosts that need attention (host, status, key type before and after, what to do; the
      host's message on the next line, cut to 300 characters); the hosts that changed or would change; the count
      of hosts not listed (beyond O(table_rows)); the count of compliant hosts; the overrides that matched no host.
  returned: success
  type: list
  elements: str
  sample:
    - "kms audit (check): 3 hosts: 1 would_convert, 1 compliant, 1 unreachable — reports in /home/ops/kms_reports"
    - "Needs attention: 1 host"
    - "  host       status       key type  what to do"
    - "  ws-win-07  unreachable  -         check the WinRM listener (5985/5986, ansible_port), ...; run again"
    - "      the WinRM connection failed (... Connection refused). Check that the host's WinRM listener runs ..."
    - "Would change: 1 host"
    - "  host       status         key type    what to do"
    - "  srv-01     would_convert  mak → gvlk  run without --check to convert it"
    - "Compliant: 1 host (nothing to do)"
msg:
  description: One-line summary, counts from the largest.
  returned: always
  type: str
  sample: "kms audit (check): 10 hosts: 5 would_convert, 3 compliant, 1 is_kms_host, 1 unreachable — reports in /home/ops/kms_reports"
changed:
  description: Whether any file was written (content other than the timestamp changed, or the file was new).
  returned: always
  type: bool
"""
