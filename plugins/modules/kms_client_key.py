#!/usr/bin/python
# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the module: the decisions run in the action plugin of the same name on
# the controller, and kms_client_key.ps1 is the worker that runs on the Windows host.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_client_key
short_description: Make a Windows host a KMS client with the KMS client setup key (GVLK) of its edition
version_added: 0.1.0
description:
  - Reads the host's licensing state (one worker execution), identifies the edition from the primary Windows
    product's C(LicenseFamily), the registry C(EditionID), C(OperatingSystemSKU), the caption and the build,
    looks up the KMS client setup key (GVLK) Microsoft publishes for it, and decides on the controller what
    to change.
  - The primary product is the C(SoftwareLicensingProduct) of Windows (ApplicationID
    C(55c92734-d682-4d71-983e-d6ec3f16059f)) that holds a key and is not an add-on, as C(slmgr) picks it.
  - The installed key type is classified with slmgr's substring tests on C(Description) (C(VOLUME_KMSCLIENT)
    gvlk, C(VOLUME_KMS) without C(CLIENT) csvlk, C(TIMEBASED_) eval, C(VIRTUAL_MACHINE_ACTIVATION) avma, C(MAK) mak,
    C(OEM) oem, C(RETAIL) retail), with C(ProductKeyChannel) as the fallback (C(Volume:GVLK), C(Volume:MAK),
    C(Volume:CSVLK), C(Retail), C(Retail:TB:Eval), C(OEM:*), C(VT:IA)); no key is C(none), anything else C(unknown).
  - The host is B(compliant) when all of these hold, and then costs exactly one worker execution and reports
    C(changed=false) -
    (1) the primary product is a KMS client (key type gvlk) whose partial key equals the last five characters
    of the expected GVLK (an activated MAK host is not compliant; the GVLK of another edition is replaced);
    (2) every KMS setting given (O(kms_host), O(kms_port), O(kms_lookup_domain), O(kms_discovery=dns)) already
    has that value on the host (names compare case-insensitively, port 0 is 1688);
    (3) with O(activate=true), the license status is C(licensed) (C(LicenseStatus=1)).
  - Otherwise, in normal mode, a second worker execution runs the planned steps in this order and stops at the
    first failure - install the key and refresh the license status, set or clear the KMS host, port and lookup
    domain, test a TCP connection to the KMS host (only when a KMS host name is set or configured), activate.
    The result is verified against the state the worker reads after the steps.
  - In check mode the module is an audit - one probe, nothing written, status C(would_convert) with the
    planned steps, and the predicted state in C(diff) when diff mode is on.
  - Hosts that must not be converted are refused, each with its own status and a message naming what the host
    reported and the fix - KMS hosts (C(kms_host), never touched), evaluation editions (C(evaluation_edition),
    with the exact DISM command), editions without a published key (C(unsupported_edition)) and editions the
    catalog cannot identify (C(unknown_edition)). They fail the task unless O(on_unsupported=skip).
  - Results never show a non-public key - a key from O(gvlk_overrides) appears as its last five characters only.
options:
  kms_host:
    description:
      - The KMS host the client should use, set with C(SetKeyManagementServiceMachine).
      - A DNS name, an IPv4 address, or an IPv6 address in brackets, optionally followed by C(:port),
        for example C(kms01.corp.example.com), C(10.0.0.5:1688) or C([fd00::5]:1700).
      - A port given here and O(kms_port) must agree.
      - When not set, the configured KMS host is left as it is (see O(kms_discovery)).
    type: str
  kms_port:
    description:
      - The TCP port of the KMS host (1-65535), set with C(SetKeyManagementServicePort). Windows' default is 1688.
    type: int
  kms_discovery:
    description:
      - C(unchanged) leaves the configured KMS host and port alone.
      - C(dns) clears a configured KMS host and port so that the client finds its KMS host through the
        C(_vlmcs._tcp) DNS SRV record again. Cannot be combined with O(kms_host) or O(kms_port).
    type: str
    choices: [unchanged, dns]
    default: unchanged
  kms_lookup_domain:
    description:
      - The DNS domain in which the client looks up the KMS SRV record, set with
        C(SetKeyManagementServiceLookupDomain). Left as it is when not set.
    type: str
  activate:
    description:
      - Activate the Windows product against the KMS host after installing the key, and activate a KMS client
        that holds the right key but is not licensed.
      - With V(false), the license status is reported but never changed.
    type: bool
    default: true
  convert_from:
    description:
      - Installed key types that may be replaced by the GVLK.
      - A GVLK of another edition is always replaced and needs no entry. C(csvlk) (a KMS host key) and
        C(eval) (evaluation editions, converted only with DISM) are refused as values.
      - A host whose key type is not listed is reported as C(skipped) (not failed), with C(skip_reason=key_type_not_allowed).
    type: list
    elements: str
    choices: [retail, oem, mak, avma, none, unknown]
    default: [retail, oem, mak, avma, none]
  gvlk_overrides:
    description:
      - Keys to install for editions Microsoft publishes no key for, or that the catalog cannot identify,
        as a dictionary of edition to key.
      - The edition is a C(EditionID) (also matched against C(LicenseFamily)), or C(EditionID@build) for one build
        only; C(EditionID@build) wins over C(EditionID). Names are not case-sensitive.
      - An override also replaces the catalog key of an edition that has one. It does not apply to evaluation
        editions, which accept no volume key.
      - Each key must be well formed and, for Windows 8 and later keys, pass the product key checksum.
      - The values are secret (C(no_log)); results show their last five characters only.
    type: dict
    default: {}
  on_unsupported:
    description:
      - What to do with hosts that are refused (C(kms_host), C(evaluation_edition), C(unsupported_edition),
        C(unknown_edition)).
      - C(fail) reports the refusal as its own status with C(failed=true).
      - C(skip) reports C(status=skipped), C(failed=false) and the refusal in C(skip_reason) and C(msg).
    type: str
    choices: [fail, skip]
    default: fail
  tcp_timeout:
    description:
      - Seconds to wait for a TCP connection to the KMS host before activating (0 to 120).
        V(0) skips the test.
      - The test runs only when a KMS host name is set (by O(kms_host) or already on the host); with DNS discovery
        the client's own lookup is left to the activation.
    type: int
    default: 3
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.facts
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: One probe and no write of any kind; reports C(would_convert) and the planned steps.
  diff_mode:
    support: full
    details: Key type, partial key, license status and KMS settings before and after (predicted in check mode).
  facts:
    support: full
  platform:
    platforms: windows
notes:
  - All decisions (edition, key, plan, verification) are made on the controller; the host only runs the
    PowerShell worker, which reads CIM data and calls C(SoftwareLicensingService) and C(SoftwareLicensingProduct)
    methods in the order it is told. No C(slmgr.vbs) is used.
  - Status values - C(compliant), C(converted), C(would_convert), C(activation_failed) (the key was installed and
    is kept, activation failed), C(failed), C(kms_host), C(evaluation_edition), C(unsupported_edition),
    C(unknown_edition), C(skipped).
  - Failed steps are explained from their HRESULT - symbol, cause and remedy (for example C(0xC004F074)
    no KMS host could be contacted, C(0x8007232B) no KMS host name and no DNS record, C(0x8007274C) the TCP test
    timed out). Unknown HRESULTs are shown in hex with the symbol C(unknown).
  - A KMS client's C(KeyManagementServicePort) of 0 or 1688 both mean the default port.
  - Windows' licensing behaviour is verified in this collection's tests against a licensing simulator, not a real
    Windows host; the worker is checked against its contract and for syntax.
  - Connection failures are reported by Ansible as C(unreachable).
seealso:
  - name: KMS client activation and product keys
    description: Microsoft's table of KMS client setup keys, the source of the catalog.
    link: https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
  - name: Troubleshoot Windows activation error codes
    description: Microsoft's causes and resolutions for the HRESULTs this module maps.
    link: https://learn.microsoft.com/troubleshoot/windows-server/licensing-and-activation/troubleshoot-activation-error-codes
  - name: Slmgr.vbs options for volume activation
    description: The tool whose semantics this module follows.
    link: https://learn.microsoft.com/windows-server/get-started/activation-slmgr-vbs-options
author:
  - volume_activation.kms maintainers (@volume-activation)
"""

EXAMPLES = r"""
- name: Audit - what would change (run the play with --check --diff)
  volume_activation.kms.kms_client_key:
  check_mode: true
  register: kms_audit

- name: Make this host a KMS client of a named KMS host and activate it
  volume_activation.kms.kms_client_key:
    kms_host: kms01.corp.example.com
    activate: true
  register: kms

- name: KMS host on another port, IPv6
  volume_activation.kms.kms_client_key:
    kms_host: "[fd00::5]:1700"

- name: Go back to DNS auto-discovery, in a given DNS domain
  volume_activation.kms.kms_client_key:
    kms_discovery: dns
    kms_lookup_domain: corp.example.com

- name: Only replace MAK keys; install the key now and activate later
  volume_activation.kms.kms_client_key:
    convert_from: [mak]
    activate: false

- name: Supply keys for editions Microsoft publishes none for; report refused hosts without failing
  volume_activation.kms.kms_client_key:
    gvlk_overrides:
      ServerAzureCor: "{{ vault_azure_core_key }}"
      ServerDatacenter@25398: "{{ vault_server_23h2_key }}"
    on_unsupported: skip

- name: Show why a host was not converted
  ansible.builtin.debug:
    msg: "{{ kms.status }}: {{ kms.msg }}"
  when: kms.status not in ['compliant', 'converted']
"""

RETURN = r"""
changed:
  description: Whether the host was changed (or, in check mode, would be).
  returned: always
  type: bool
failed:
  description: Set explicitly on every result; true for C(failed), C(activation_failed) and refusals with O(on_unsupported=fail).
  returned: always
  type: bool
msg:
  description: What was found and done, or why not, and for failures the HRESULT, its symbol, cause and fix.
  returned: always
  type: str
  sample: >-
    Done: install the KMS client key of Windows Server 2022 Datacenter (partial key 6VM33, from catalog)
    replacing the mak key 3V66T; set the KMS host to kms01.corp.example.com (was DNS discovery);
    test TCP kms01.corp.example.com:1688; activate (license status licensed).
status:
  description: The outcome.
  returned: always
  type: str
  choices: [compliant, converted, would_convert, activation_failed, failed, kms_host, evaluation_edition,
            unsupported_edition, unknown_edition, skipped]
  sample: converted
skip_reason:
  description: Why a host was skipped - C(key_type_not_allowed), or the refusal status with O(on_unsupported=skip).
  returned: when status is skipped
  type: str
  sample: unsupported_edition
edition:
  description: The edition as identified. Null when the host could not be probed.
  returned: always
  type: dict
  contains:
    id:
      description: The EditionID (from C(LicenseFamily), else the registry).
      type: str
      sample: ServerDatacenter
    name:
      description: The edition's name in Microsoft's key table; null when the catalog has none.
      type: str
      sample: Windows Server 2022 Datacenter
    family:
      description: The group of Microsoft's key table the edition belongs to.
      type: str
      sample: Windows Server 2022
    build:
      description: The OS build number.
      type: int
      sample: 20348
    caption:
      description: C(Win32_OperatingSystem.Caption) as reported (may be localized).
      type: str
      sample: Microsoft Windows Server 2022 Datacenter
    installation_type:
      description: Registry C(InstallationType) (C(Server), C(Server Core), C(Client)).
      type: str
      sample: Server
gvlk:
  description: The key the host should hold - the public catalog GVLK in full, or the last five characters of a
    O(gvlk_overrides) key. Null when refused or not probed.
  returned: always
  type: str
  sample: WX4NM-KYWYW-QJJR4-XV3QB-6VM33
key_type:
  description: Installed key type before and after (predicted after in check mode).
  returned: always
  type: dict
  contains:
    before:
      description: One of gvlk, mak, retail, oem, csvlk, eval, avma, none, unknown.
      type: str
      sample: mak
    after:
      description: Same values.
      type: str
      sample: gvlk
partial_product_key:
  description: The last five characters of the installed key, before and after (predicted after in check mode).
  returned: always
  type: dict
  contains:
    before:
      description: Partial key before; null without a key.
      type: str
      sample: 3V66T
    after:
      description: Partial key after.
      type: str
      sample: 6VM33
license_status:
  description: License status before and after; names of C(LicenseStatus) 0-6 (unlicensed, licensed, oob_grace,
    oot_grace, non_genuine_grace, notification, extended_grace). In check mode C(after) is C(licensed) when
    activation is planned and C(unknown) when it cannot be predicted.
  returned: always
  type: dict
  contains:
    before:
      description: Status before.
      type: str
      sample: oob_grace
    after:
      description: Status after.
      type: str
      sample: licensed
kms:
  description: The host's KMS settings as last read (after the steps in normal mode). Null when not probed.
  returned: always
  type: dict
  contains:
    machine:
      description: C(KeyManagementServiceMachine); null when not set (DNS discovery).
      type: str
      sample: kms01.corp.example.com
    port:
      description: C(KeyManagementServicePort) as reported; null when 0.
      type: int
      sample: 1688
    lookup_domain:
      description: C(KeyManagementServiceLookupDomain); null when not set.
      type: str
    discovered_machine:
      description: The KMS host the last activation used.
      type: str
    discovered_port:
      description: Its port.
      type: int
activation:
  description: The activation attempt.
  returned: always
  type: dict
  contains:
    attempted:
      description: Whether C(Activate()) was called.
      type: bool
    hresult:
      description: C(0x00000000) on success, the failing HRESULT in hex (also of a failed TCP test), null when
        not attempted.
      type: str
      sample: "0xC004F074"
    symbol:
      description: The HRESULT's symbol, C(S_OK), or C(unknown).
      type: str
      sample: SL_E_VL_BINDING_SERVICE_UNAVAILABLE
    message:
      description: Meaning, cause and remedy.
      type: str
steps:
  description: In normal mode the steps that ran, each with C(action), C(hresult) (hex), C(symbol) and the host's
    C(message); in check mode the planned steps with their arguments (a key as C(partial_product_key) and its
    C(source), catalog or override). Empty when nothing needs to change.
  returned: always
  type: list
  elements: dict
  sample: [{action: install_product_key, hresult: "0x00000000", symbol: S_OK, message: ""}]
diff:
  description: Before and after of C(key_type), C(partial_product_key), C(license_status), C(kms_machine),
    C(kms_port) and C(kms_lookup_domain).
  returned: when diff mode is on and the host was probed
  type: dict
ansible_facts:
  description:
    - The outcome of this run on the host as the fact C(kms_client), for any fact cache (C(jsonfile), C(redis),
      the fact storage of AWX or Automation Platform) and for M(volume_activation.kms.kms_client_report) with
      O(volume_activation.kms.kms_client_report#module:results_from=facts).
    - Ansible stores the facts of successful results only; the role C(volume_activation.kms.kms_client) also
      keeps failed and unreachable hosts' outcomes in the cache (with C(set_fact) and C(cacheable=true)).
    - The keys below are stable; a new key may be added, none is removed or changes meaning without a new
      C(version).
  returned: always
  type: dict
  contains:
    kms_client:
      description: The host's last outcome.
      type: dict
      contains:
        version:
          description: Version of this fact's layout.
          type: int
          sample: 1
        time:
          description: When the controller recorded the outcome, ISO-8601 UTC to the second.
          type: str
          sample: "2025-06-25T14:03:07Z"
        mode:
          description: V(check) for an audit (check mode), V(apply) for a conversion, null when the task
            failed before it knew.
          type: str
          sample: apply
        status:
          description: As RV(status).
          type: str
          sample: converted
        changed:
          description: As RV(changed).
          type: bool
        failed:
          description: As RV(failed).
          type: bool
        message:
          description: As RV(msg).
          type: str
        edition:
          description: As RV(edition).
          type: dict
        gvlk:
          description: As RV(gvlk).
          type: str
        key_type:
          description: As RV(key_type), with C(before) and C(after).
          type: dict
          sample: {before: mak, after: gvlk}
        partial_product_key:
          description: As RV(partial_product_key), C(before) and C(after), at most five characters each.
          type: dict
          sample: {before: 3V66T, after: 6VM33}
        license_status:
          description: As RV(license_status), with C(before) and C(after).
          type: dict
          sample: {before: licensed, after: licensed}
        kms:
          description: As RV(kms).
          type: dict
"""
