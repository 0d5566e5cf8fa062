#!powershell

# Host side of volume_activation.kms.kms_client_key. It makes no decision: it reads the licensing
# data and runs the steps the action plugin planned, returning each step's HRESULT.
# docs/worker_contract.md defines every name and shape used here.

#AnsibleRequires -CSharpUtil Ansible.Basic

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$WorkerName = 'volume_activation.kms.kms_client_key'
$RegistryPath = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$KeyedWindowsProducts = "ApplicationID = '55c92734-d682-4d71-983e-d6ec3f16059f' AND PartialProductKey IS NOT NULL"
$OsProperties = 'Caption', 'Version', 'BuildNumber', 'OperatingSystemSKU', 'ProductType'
$RegistryProperties = 'EditionID', 'ProductName', 'InstallationType', 'CurrentBuild', 'UBR', 'DisplayVersion'
$ServiceProperties = 'Version', 'KeyManagementServiceMachine', 'KeyManagementServicePort',
    'KeyManagementServiceLookupDomain', 'DiscoveredKeyManagementServiceMachineName',
    'DiscoveredKeyManagementServiceMachinePort', 'IsKeyManagementServiceMachine', 'KeyManagementServiceCurrentCount',
    'KeyManagementServiceTotalRequests'
$ProductProperties = 'ID', 'Name', 'Description', 'ApplicationID', 'LicenseFamily', 'PartialProductKey',
    'ProductKeyChannel', 'LicenseStatus', 'LicenseStatusReason', 'GracePeriodRemaining', 'LicenseIsAddon',
    'KeyManagementServiceMachine', 'KeyManagementServicePort', 'DiscoveredKeyManagementServiceMachineName',
    'DiscoveredKeyManagementServiceMachinePort'

function ConvertTo-UInt32([long]$Value) {
    [uint32]($Value -band [uint32]::MaxValue)
}

function Get-HResult([Exception]$Exception) {
    # Exceptions from .NET method calls arrive wrapped by PowerShell.
    while ($Exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $Exception.InnerException) {
        $Exception = $Exception.InnerException
    }
    $errorData = $Exception.PSObject.Properties['ErrorData']
    if ($null -ne $errorData -and $null -ne $errorData.Value) {
        $code = $errorData.Value.CimInstanceProperties['error_Code']
        if ($null -ne $code -and $null -ne $code.Value) {
            return ConvertTo-UInt32 $code.Value
        }
    }
    if ($Exception -is [System.Net.Sockets.SocketException]) {
        return ConvertTo-UInt32 (0x80070000 -bor [int]$Exception.SocketErrorCode)
    }
    # Exception.HResult is not public before .NET 4.5 (PowerShell 3 on Windows 7); this reads the same value.
    ConvertTo-UInt32 ([System.Runtime.InteropServices.Marshal]::GetHRForException($Exception))
}

function Get-CimPropertyName([string]$ClassName) {
    @((Get-CimClass -ClassName $ClassName).CimClassProperties | ForEach-Object { $_.Name })
}

# Requested properties the class lacks on this Windows release (missing, unlike a property that is null).
$MissingProperties = [ordered]@{}

function Read-CimRow([string]$ClassName, [string[]]$Properties, [string]$Filter) {
    try {
        $present = Get-CimPropertyName $ClassName
        $columns = @($Properties | Where-Object { $present -contains $_ })
        $MissingProperties[$ClassName] = @($Properties | Where-Object { $present -notcontains $_ })
        $query = "SELECT $($columns -join ', ') FROM $ClassName"
        if ($Filter) {
            $query = "$query WHERE $Filter"
        }
        $instances = @(Get-CimInstance -Query $query)
    }
    catch {
        throw ('cannot read {0} (0x{1:X8}): {2}' -f $ClassName, (Get-HResult $_.Exception), $_.Exception.Message)
    }
    foreach ($instance in $instances) {
        $row = [ordered]@{}
        foreach ($name in $Properties) {
            $row[$name] = $null
            if ($columns -contains $name) {
                $row[$name] = $instance.$name
            }
        }
        $row
    }
}

function Read-Registry {
    try {
        $key = Get-Item -LiteralPath $RegistryPath
    }
    catch {
        throw ('cannot read {0}: {1}' -f $RegistryPath, $_.Exception.Message)
    }
    $row = [ordered]@{}
    foreach ($name in $RegistryProperties) {
        $row[$name] = $key.GetValue($name)
    }
    $row
}

function Get-Probe {
    [ordered]@{
        os = Read-CimRow -ClassName Win32_OperatingSystem -Properties $OsProperties | Select-Object -First 1
        registry = Read-Registry
        service = Read-CimRow -ClassName SoftwareLicensingService -Properties $ServiceProperties | Select-Object -First 1
        products = @(Read-CimRow -ClassName SoftwareLicensingProduct -Properties $ProductProperties -Filter $KeyedWindowsProducts)
        missing_properties = [ordered]@{
            service = @($MissingProperties['SoftwareLicensingService'])
            products = @($MissingProperties['SoftwareLicensingProduct'])
        }
    }
}

function Get-LicensingService {
    Get-CimInstance -ClassName SoftwareLicensingService
}

function Get-PrimaryProduct {
    $filter = $KeyedWindowsProducts
    # LicenseIsAddon exists from Windows Vista on; the test keeps the filter valid on a class without it.
    if ((Get-CimPropertyName SoftwareLicensingProduct) -contains 'LicenseIsAddon') {
        $filter = "$filter AND LicenseIsAddon = FALSE"
    }
    $products = @(Get-CimInstance -Query "SELECT ID FROM SoftwareLicensingProduct WHERE $filter")
    if ($products.Count -eq 0) {
        # SL_E_PKEY_NOT_INSTALLED
        throw (New-Object System.Runtime.InteropServices.COMException 'No Windows product key is installed.', 0xC004F014)
    }
    $products[0]
}

function Get-RouteOutcome([Exception]$Exception) {
    while ($Exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $Exception.InnerException) {
        $Exception = $Exception.InnerException
    }
    if ($Exception -is [System.Net.Sockets.SocketException]) {
        switch ([string]$Exception.SocketErrorCode) {
            'ConnectionRefused' { return 'refused' }
            'TimedOut' { return 'timed_out' }
            'HostNotFound' { return 'name_not_found' }
            'NoData' { return 'name_not_found' }
            'HostUnreachable' { return 'timed_out' }
            'NetworkUnreachable' { return 'timed_out' }
        }
    }
    if ($Exception -is [System.ArgumentException]) {
        return 'invalid_argument'
    }
    'error'
}

function New-RouteAttempt([string]$Name, $Address, [int]$Port, [string]$Outcome, [string]$Message) {
    $family = $null
    if ($null -ne $Address) {
        $family = 'ipv4'
        if ($Address.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetworkV6) {
            $family = 'ipv6'
        }
        $Address = $Address.ToString()
    }
    [ordered]@{ name = $Name; address = $Address; family = $family; port = $Port; outcome = $Outcome; message = $Message }
}

function Test-KmsAddress([string]$Name, [int]$Port, [int]$TimeoutMs) {
    # Every address the name resolves to, each with a socket of its own family (a TcpClient built without
    # a family is IPv4 only on .NET Framework).
    try {
        $addresses = @([System.Net.Dns]::GetHostAddresses($Name))
    }
    catch {
        return , @(New-RouteAttempt $Name $null $Port (Get-RouteOutcome $_.Exception) $_.Exception.Message)
    }
    $attempts = @()
    foreach ($address in $addresses) {
        $socket = New-Object System.Net.Sockets.Socket $address.AddressFamily, ([System.Net.Sockets.SocketType]::Stream), ([System.Net.Sockets.ProtocolType]::Tcp)
        try {
            $pending = $socket.BeginConnect($address, $Port, $null, $null)
            if ($pending.AsyncWaitHandle.WaitOne($TimeoutMs)) {
                $socket.EndConnect($pending)
                $attempts += New-RouteAttempt $Name $address $Port 'connected' ''
            }
            else {
                $attempts += New-RouteAttempt $Name $address $Port 'timed_out' ''
            }
        }
        catch {
            $attempts += New-RouteAttempt $Name $address $Port (Get-RouteOutcome $_.Exception) $_.Exception.Message
        }
        finally {
            $socket.Close()
        }
    }
    , $attempts
}

function Get-HostDomain {
    [System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties().DomainName
}

function Test-KmsRoute($Route, $Service) {
    # The route Activate() takes once the planned steps ran: the given or configured KMS host, else the
    # _vlmcs._tcp SRV records of the lookup domain. Each attempt is data; nothing here changes the host.
    $timeoutMs = [int]$Route.timeout_ms
    $machine = [string]$Route.machine
    if (-not $machine -and $Route.use_configured) {
        $machine = [string]$Service.KeyManagementServiceMachine
    }
    if ($machine) {
        $port = [int]$Route.port
        if ($port -eq 0 -and $Route.use_configured) {
            $port = [int]$Service.KeyManagementServicePort
        }
        if ($port -eq 0) {
            $port = 1688
        }
        return [ordered]@{ machine = $machine; port = $port; srv = $null; attempts = @(Test-KmsAddress $machine $port $timeoutMs) }
    }
    $domain = [string]$Route.lookup_domain
    if (-not $domain) {
        $domain = [string]$Service.KeyManagementServiceLookupDomain
    }
    if (-not $domain) {
        $domain = Get-HostDomain
    }
    $srv = [ordered]@{ domain = $domain; outcome = 'found'; targets = @(); message = '' }
    $attempts = @()
    if (-not $domain) {
        $srv.outcome = 'no_domain'
        return [ordered]@{ machine = $null; port = 0; srv = $srv; attempts = $attempts }
    }
    try {
        $records = @(Resolve-DnsName -Name "_vlmcs._tcp.$domain" -Type SRV -DnsOnly -ErrorAction Stop |
            Where-Object { $_.Type -eq 'SRV' } | Sort-Object -Property Priority, @{ Expression = 'Weight'; Descending = $true })
    }
    catch {
        $srv.outcome = 'error'
        if ($_.Exception -is [System.ComponentModel.Win32Exception] -and $_.Exception.NativeErrorCode -eq 9003) {
            $srv.outcome = 'name_not_found'  # DNS_ERROR_RCODE_NAME_ERROR
        }
        $srv.message = $_.Exception.Message
        return [ordered]@{ machine = $null; port = 0; srv = $srv; attempts = $attempts }
    }
    if ($records.Count -eq 0) {
        $srv.outcome = 'name_not_found'
    }
    $srv.targets = @($records | ForEach-Object { [ordered]@{ name = [string]$_.NameTarget; port = [int]$_.Port } })
    foreach ($record in $records) {
        $attempts += @(Test-KmsAddress ([string]$record.NameTarget) ([int]$record.Port) $timeoutMs)
        if ($attempts[-1].outcome -eq 'connected') {
            break
        }
    }
    $port = 0
    if ($records.Count -gt 0) {
        $port = [int]$records[0].Port
    }
    [ordered]@{ machine = $null; port = $port; srv = $srv; attempts = $attempts }
}

$StepActions = @{
    install_product_key = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName InstallProductKey -Arguments @{ ProductKey = [string]$Step.product_key } }
    refresh_license_status = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName RefreshLicenseStatus }
    set_kms_machine = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName SetKeyManagementServiceMachine -Arguments @{ MachineName = [string]$Step.machine } }
    clear_kms_machine = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName ClearKeyManagementServiceMachine }
    set_kms_port = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName SetKeyManagementServicePort -Arguments @{ PortNumber = [uint32]$Step.port } }
    clear_kms_port = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName ClearKeyManagementServicePort }
    set_kms_lookup_domain = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName SetKeyManagementServiceLookupDomain -Arguments @{ LookupDomain = [string]$Step.domain } }
    clear_kms_lookup_domain = { param($Step) Invoke-CimMethod -InputObject (Get-LicensingService) -MethodName ClearKeyManagementServiceLookupDomain }
    clear_product_kms_machine = { param($Step) Invoke-CimMethod -InputObject (Get-PrimaryProduct) -MethodName ClearKeyManagementServiceMachine }
    clear_product_kms_port = { param($Step) Invoke-CimMethod -InputObject (Get-PrimaryProduct) -MethodName ClearKeyManagementServicePort }
    activate = { param($Step) Invoke-CimMethod -InputObject (Get-PrimaryProduct) -MethodName Activate }
}

function Get-ErrorText([Exception]$Exception) {
    # The licensing service sends no text with its HRESULTs: a CIM error's text is in its MSFT_WmiError
    # instance (error_WindowsErrorMessage, else Message) and is often empty; the controller explains the code.
    while ($Exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $Exception.InnerException) {
        $Exception = $Exception.InnerException
    }
    $errorData = $Exception.PSObject.Properties['ErrorData']
    if ($null -eq $errorData -or $null -eq $errorData.Value) {
        return [string]$Exception.Message
    }
    foreach ($name in 'error_WindowsErrorMessage', 'Message') {
        $property = $errorData.Value.CimInstanceProperties[$name]
        if ($null -ne $property -and $property.Value) {
            return [string]$property.Value
        }
    }
    ''
}

function Invoke-Step($Step) {
    # The step's arguments (a product key among them) never go into the result.
    $result = [ordered]@{ action = $Step.action; hresult = [uint32]0; message = '' }
    try {
        foreach ($output in @(& $StepActions[$Step.action] $Step)) {
            $returnValue = $output.PSObject.Properties['ReturnValue']
            if ($null -ne $returnValue -and $returnValue.Value) {
                $result.hresult = ConvertTo-UInt32 $returnValue.Value
            }
        }
    }
    catch {
        $result.hresult = Get-HResult $_.Exception
        $result.message = Get-ErrorText $_.Exception
    }
    $result
}

$spec = @{
    options = @{
        operation = @{ type = 'str'; required = $true; choices = 'probe', 'apply' }
        steps = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                action = @{ type = 'str'; required = $true; choices = @($StepActions.Keys) }
                product_key = @{ type = 'str'; no_log = $true }
                machine = @{ type = 'str' }
                port = @{ type = 'int' }
                domain = @{ type = 'str' }
            }
        }
        kms_route = @{
            type = 'dict'
            options = @{
                machine = @{ type = 'str' }
                port = @{ type = 'int' }
                lookup_domain = @{ type = 'str' }
                use_configured = @{ type = 'bool'; default = $true }
                timeout_ms = @{ type = 'int'; default = 3000 }
            }
        }

        # The documented options: validated and used by the action plugin, which never passes them here.
        kms_host = @{ type = 'str' }
        kms_port = @{ type = 'int' }
        kms_discovery = @{ type = 'str'; default = 'unchanged'; choices = 'unchanged', 'dns' }
        kms_lookup_domain = @{ type = 'str' }
        activate = @{ type = 'bool'; default = $true }
        convert_from = @{
            type = 'list'
            elements = 'str'
            default = 'retail', 'oem', 'mak', 'none'
            choices = 'retail', 'oem', 'mak', 'avma', 'none', 'unknown'
        }
        gvlk_overrides = @{ type = 'dict'; default = @{}; no_log = $true }
        on_unsupported = @{ type = 'str'; default = 'fail'; choices = 'fail', 'skip' }
        tcp_timeout = @{ type = 'int'; default = 3 }
        on_kms_unreachable = @{ type = 'str'; default = 'keep'; choices = 'keep', 'convert' }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

if ($module.Params.operation -eq 'apply') {
    if ($module.CheckMode) {
        $module.FailJson("$WorkerName refuses to apply steps in check mode")
    }
    # The result holds the list from the start and each step is added as it completes, so the record of a
    # step that ran (a key installed) survives any later exception.
    $results = New-Object System.Collections.Generic.List[object]
    $module.Result.steps = $results
    try {
        foreach ($step in $module.Params.steps) {
            $result = Invoke-Step $step
            $results.Add($result)
            if ($result.hresult -ne 0) {
                break
            }
        }
    }
    catch {
        $module.FailJson("$WorkerName stopped after $($results.Count) step(s): $($_.Exception.Message)", $_)
    }
}

try {
    $module.Result.probe = Get-Probe
}
catch {
    $module.FailJson("$WorkerName $($_.Exception.Message)", $_)
}
if ($null -ne $module.Params.kms_route) {
    try {
        $module.Result.kms_route = Test-KmsRoute $module.Params.kms_route $module.Result.probe.service
    }
    catch {
        # A test that cannot run is its own outcome, never a licensing error.
        $module.Result.kms_route = [ordered]@{ machine = $null; port = 0; srv = $null; attempts = @(
            New-RouteAttempt ([string]$module.Params.kms_route.machine) $null 0 'error' $_.Exception.Message) }
    }
}
$module.ExitJson()
