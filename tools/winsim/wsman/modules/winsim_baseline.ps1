#!powershell
#AnsibleRequires -CSharpUtil Ansible.Basic
# The do-nothing module: the cost of reaching a host and running Ansible.Basic, with no work of its own.
$BaselineName = 'winsim.baseline'
$module = [Ansible.Basic.AnsibleModule]::Create($args, @{})
$module.ExitJson()
