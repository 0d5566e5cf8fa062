#!powershell

# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Host side of volume_activation.kms.kms_client_key: a shim. It declares the arguments, hands them to the C#
# engine (module_utils/KmsClientEngine.cs over module_utils/KmsClientWindows.cs) with the module's result to
# write into, and exits. docs/worker_contract.md defines every name and shape the engine uses.

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows

$spec = @{
    options = @{
        operation = @{ type = 'str'; required = $true; choices = 'probe', 'apply' }
        steps = @{
            type = 'list'; elements = 'dict'; default = @()
            options = @{
                action = @{
                    type = 'str'; required = $true
                    choices = 'install_product_key', 'refresh_license_status', 'set_kms_machine', 'clear_kms_machine',
                    'set_kms_port', 'clear_kms_port', 'set_kms_lookup_domain', 'clear_kms_lookup_domain',
                    'clear_product_kms_machine', 'clear_product_kms_port', 'clear_vl_activation_type',
                    'clear_product_vl_activation_type', 'activate', 'set_edition', 'reboot'
                }
                product_key = @{ type = 'str'; no_log = $true }
                machine = @{ type = 'str' }; port = @{ type = 'int' }
                domain = @{ type = 'str' }; edition = @{ type = 'str' }
            }
        }
        kms_route = @{
            type = 'dict'
            options = @{
                machine = @{ type = 'str' }; port = @{ type = 'int' }; lookup_domain = @{ type = 'str' }
                use_configured = @{ type = 'bool'; default = $true }
                timeout_ms = @{ type = 'int'; default = 3000 }
            }
        }
        activation_objects = @{ type = 'bool'; default = $false }
        target_editions = @{ type = 'bool'; default = $false }

        # The documented options: validated and used by the action plugin, which never passes them here.
        kms_host = @{ type = 'str' }
        kms_port = @{ type = 'int' }
        kms_discovery = @{ type = 'str'; default = 'unchanged'; choices = 'unchanged', 'dns' }
        kms_lookup_domain = @{ type = 'str' }
        activate = @{ type = 'bool'; default = $true }
        convert_from = @{
            type = 'list'; elements = 'str'; default = 'retail', 'oem', 'mak', 'none'
            choices = 'retail', 'oem', 'mak', 'avma', 'none', 'unknown'
        }
        gvlk_overrides = @{ type = 'dict'; default = @{}; no_log = $true }
        on_unsupported = @{ type = 'str'; default = 'fail'; choices = 'fail', 'skip' }
        tcp_timeout = @{ type = 'int'; default = 3 }
        on_kms_unreachable = @{ type = 'str'; default = 'keep'; choices = 'keep', 'convert' }
        activation_routes = @{ type = 'list'; elements = 'str'; default = 'adba', 'kms'; choices = 'adba', 'kms' }
        on_activation_type = @{ type = 'str'; default = 'keep'; choices = 'keep', 'clear' }
        kms_count = @{ type = 'int' }
        convert_evaluation = @{ type = 'bool'; default = $false }
        evaluation_target = @{ type = 'str'; choices = 'standard', 'datacenter' }
        reboot_timeout = @{ type = 'int'; default = 1800 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

# One static method call: its string result is assigned as is (no pipeline), null when the run succeeded.
$failure = [ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows.Worker]::Run(
    $module.Params, $module.CheckMode, $module.Result)
if ($null -ne $failure) {
    $module.FailJson($failure)
}
$module.ExitJson()
