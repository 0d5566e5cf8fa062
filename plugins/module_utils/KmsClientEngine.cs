// Copyright: volume_activation.kms contributors
// GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

// The host side of volume_activation.kms.kms_client_key: reads the licensing data, runs the steps the action
// plugin planned and tests the KMS route, making no decision (docs/worker_contract.md defines every name and
// shape). It reaches Windows only through ICim, INetwork and IServicing; KmsClientWindows.cs implements them on
// Windows.
// C# 5 (what Windows PowerShell 5.1's Add-Type compiles with the .NET Framework's csc.exe), .NET Framework 4 APIs.

using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientEngine
{
    /// <summary>WMI in root\cimv2, as System.Management offers it.</summary>
    public interface ICim
    {
        /// <summary>The names of the properties the class declares: a property it lacks on this Windows release is
        /// missing, which is not the same as a property that is null.</summary>
        ICollection<string> GetClassProperties(string className);

        /// <summary>Runs a WQL SELECT; each instance holds the selected properties (null where unset) and its path
        /// (null when the query did not select the class's key properties).</summary>
        IList<CimInstance> Query(string wql);

        /// <summary>Calls a method of an instance (its path) or of a class (its name: static methods); returns the
        /// out parameters, ReturnValue included. A failed call throws CimException with the call's HRESULT.</summary>
        IDictionary<string, object> Invoke(string path, string method, IDictionary<string, object> arguments);
    }

    /// <summary>Name resolution and TCP, as a KMS client reaches its KMS host.</summary>
    public interface INetwork
    {
        /// <summary>Every address of a name (an address literal is itself); throws SocketException.</summary>
        IPAddress[] Resolve(string name);

        /// <summary>Connects a TCP socket of the endpoint's own address family: true once connected, false when the
        /// time ran out first; throws SocketException when the connection fails.</summary>
        bool Connect(IPEndPoint endpoint, int timeoutMs);

        /// <summary>The SRV records of a DNS name; throws Win32Exception with the DNS status when the query
        /// fails.</summary>
        IList<SrvRecord> QuerySrv(string name);

        /// <summary>The host's primary DNS domain, empty when it has none.</summary>
        string PrimaryDomain();

        /// <summary>The Active Directory activation objects of the forest of a domain (read-only LDAP: the
        /// children of class msSPP-ActivationObject of CN=Activation Objects,CN=Microsoft SPP,CN=Services in the
        /// configuration naming context, as slmgr /ao-list reads them); throws COMException with the LDAP
        /// HRESULT when they cannot be read (0x80072030: the forest has no such container).</summary>
        IList<ActivationObject> ReadActivationObjects(string domain);
    }

    /// <summary>Changing the edition of the running Windows, as DISM does it.</summary>
    public interface IServicing
    {
        /// <summary>The editions the running Windows can be changed to (DISM's target-edition query; it changes
        /// nothing). Throws with the servicing API's HRESULT when the query fails.</summary>
        IList<string> TargetEditions();

        /// <summary>Changes the running Windows to an edition, with that edition's product key, accepting its licence
        /// terms and without restarting (DISM /Set-Edition); returns DISM's exit code: 0, 3010 when the change
        /// completes at the next restart, else the error.</summary>
        int SetEdition(string edition, string productKey);
    }

    /// <summary>One Active Directory activation object (msSPP-ActivationObject).</summary>
    public sealed class ActivationObject
    {
        public ActivationObject(string name, string distinguishedName, string csvlkSkuId, string csvlkPid,
            string partialProductKey, IList<string> kmsIds)
        {
            Name = name;
            DistinguishedName = distinguishedName;
            CsvlkSkuId = csvlkSkuId;
            CsvlkPid = csvlkPid;
            PartialProductKey = partialProductKey;
            KmsIds = kmsIds;
        }

        public string Name { get; private set; }
        public string DistinguishedName { get; private set; }
        public string CsvlkSkuId { get; private set; }
        public string CsvlkPid { get; private set; }
        public string PartialProductKey { get; private set; }
        public IList<string> KmsIds { get; private set; }
    }

    /// <summary>One WMI instance from a query.</summary>
    public sealed class CimInstance
    {
        public CimInstance(string path, IDictionary<string, object> properties)
        {
            Path = path;
            Properties = properties;
        }

        public string Path { get; private set; }
        public IDictionary<string, object> Properties { get; private set; }
    }

    /// <summary>A failed WMI call: its HRESULT and the text that came with it (often none).</summary>
    public sealed class CimException : Exception
    {
        public CimException(int hresult, string message) : base(message ?? "")
        {
            HResult = hresult;
        }
    }

    /// <summary>One SRV record (RFC 2782).</summary>
    public sealed class SrvRecord
    {
        public SrvRecord(string target, int port, int priority, int weight)
        {
            Target = target;
            Port = port;
            Priority = priority;
            Weight = weight;
        }

        public string Target { get; private set; }
        public int Port { get; private set; }
        public int Priority { get; private set; }
        public int Weight { get; private set; }
    }

    /// <summary>One run of the worker: apply the given steps (operation apply), read the licensing state, and test
    /// the KMS route when asked.</summary>
    public sealed class Engine
    {
        public const string WorkerName = "volume_activation.kms.kms_client_key";
        public const string WindowsApplicationId = "55c92734-d682-4d71-983e-d6ec3f16059f";
        public const int DefaultKmsPort = 1688;

        // Windows products that hold a key, add-ons included (slmgr's product filter, without its add-on test).
        const string KeyedWindowsProducts =
            "ApplicationID = '" + WindowsApplicationId + "' AND PartialProductKey IS NOT NULL";
        const string RegistryKey = @"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
        const uint HkeyLocalMachine = 0x80000002;
        // SL_E_PKEY_NOT_INSTALLED: no keyed product to call a product method on.
        const int NoProductKey = unchecked((int)0xC004F014);
        // HRESULT_FROM_WIN32(ERROR_DS_NO_SUCH_OBJECT): slmgr's "Active Directory-Based Activation is not supported in
        // the current Active Directory schema" (its HR_ERROR_DS_NO_SUCH_OBJECT).
        const int NoActivationObjectsContainer = unchecked((int)0x80072030);
        // DNS_ERROR_RCODE_NAME_ERROR and DNS_INFO_NO_RECORDS (winerror.h).
        const int DnsNameError = 9003;
        const int DnsNoRecords = 9501;
        // ERROR_SUCCESS_REBOOT_REQUIRED (winerror.h): "The requested operation is successful. Changes will not be
        // effective until the system is rebooted."
        const int RebootRequired = 3010;

        static readonly string[] OsProperties =
        {
            "Caption", "Version", "BuildNumber", "OperatingSystemSKU", "ProductType", "LastBootUpTime",
        };
        static readonly string[] ComputerProperties = { "PartOfDomain", "Domain", "DomainRole" };
        static readonly string[] RegistryValues = { "EditionID", "ProductName", "InstallationType", "CurrentBuild", "UBR", "DisplayVersion" };
        static readonly string[] ServiceProperties =
        {
            "Version", "KeyManagementServiceMachine", "KeyManagementServicePort", "KeyManagementServiceLookupDomain",
            "DiscoveredKeyManagementServiceMachineName", "DiscoveredKeyManagementServiceMachinePort",
            "IsKeyManagementServiceMachine", "KeyManagementServiceCurrentCount", "KeyManagementServiceTotalRequests",
            "ClientMachineID",
        };
        static readonly string[] ProductProperties =
        {
            "ID", "Name", "Description", "ApplicationID", "LicenseFamily", "PartialProductKey", "ProductKeyChannel",
            "LicenseStatus", "LicenseStatusReason", "GracePeriodRemaining", "LicenseIsAddon",
            "KeyManagementServiceMachine", "KeyManagementServicePort", "DiscoveredKeyManagementServiceMachineName",
            "DiscoveredKeyManagementServiceMachinePort", "VLActivationTypeEnabled", "VLActivationType",
            "ADActivationObjectName", "ADActivationObjectDN", "ADActivationCsvlkPid", "ADActivationCsvlkSkuId",
        };

        // Each step: the class whose method it calls (the service, the primary product, the operating system), the
        // method, and the step argument passed as the method's one parameter. set_edition calls IServicing instead.
        const string Service = "SoftwareLicensingService";
        const string Product = "SoftwareLicensingProduct";
        const string OperatingSystem = "Win32_OperatingSystem";
        static readonly StepDefinition[] Steps =
        {
            new StepDefinition("install_product_key", Service, "InstallProductKey", "ProductKey", "product_key"),
            new StepDefinition("refresh_license_status", Service, "RefreshLicenseStatus", null, null),
            new StepDefinition("set_kms_machine", Service, "SetKeyManagementServiceMachine", "MachineName", "machine"),
            new StepDefinition("clear_kms_machine", Service, "ClearKeyManagementServiceMachine", null, null),
            new StepDefinition("set_kms_port", Service, "SetKeyManagementServicePort", "PortNumber", "port"),
            new StepDefinition("clear_kms_port", Service, "ClearKeyManagementServicePort", null, null),
            new StepDefinition("set_kms_lookup_domain", Service, "SetKeyManagementServiceLookupDomain", "LookupDomain", "domain"),
            new StepDefinition("clear_kms_lookup_domain", Service, "ClearKeyManagementServiceLookupDomain", null, null),
            new StepDefinition("clear_product_kms_machine", Product, "ClearKeyManagementServiceMachine", null, null),
            new StepDefinition("clear_product_kms_port", Product, "ClearKeyManagementServicePort", null, null),
            new StepDefinition("clear_vl_activation_type", Service, "ClearVLActivationTypeEnabled", null, null),
            new StepDefinition("clear_product_vl_activation_type", Product, "ClearVLActivationTypeEnabled", null, null),
            new StepDefinition("activate", Product, "Activate", null, null),
            new StepDefinition("set_edition", null, null, null, null),
            // Win32_OperatingSystem.Reboot(): "shuts down the computer system, then restarts it"; it returns a Win32
            // error code (0 on success).
            new StepDefinition("reboot", OperatingSystem, "Reboot", null, null),
        };

        readonly ICim cim;
        readonly INetwork network;
        readonly IServicing servicing;

        public Engine(ICim cim, INetwork network, IServicing servicing)
        {
            this.cim = cim;
            this.network = network;
            this.servicing = servicing;
        }

        /// <summary>Runs the worker with the module's parameters, writing into the module's result as it goes (a
        /// step that ran is recorded even when a later one throws). Returns null, or why the module fails.</summary>
        public string Run(IDictionary parameters, bool checkMode, IDictionary result)
        {
            if (String.Equals(Text(parameters["operation"]), "apply", StringComparison.OrdinalIgnoreCase))
            {
                if (checkMode)
                    return WorkerName + " refuses to apply steps in check mode";
                List<object> applied = new List<object>();
                result["steps"] = applied;
                try
                {
                    foreach (object step in Items(parameters["steps"]))
                    {
                        Dictionary<string, object> outcome = RunStep((IDictionary)step);
                        applied.Add(outcome);
                        if ((uint)outcome["hresult"] != 0)
                            break;
                    }
                }
                catch (Exception e)
                {
                    return String.Format("{0} stopped after {1} step(s): {2}", WorkerName, applied.Count, e.Message);
                }
            }

            Dictionary<string, object> probe;
            try
            {
                probe = ReadProbe();
            }
            catch (ProbeException e)
            {
                return WorkerName + " " + e.Message;
            }
            result["probe"] = probe;

            if (Flag(parameters["activation_objects"]))
                result["ad_activation"] = ReadActivation(probe["computer"] as IDictionary<string, object>);
            if (Flag(parameters["target_editions"]))
                result["editions"] = ReadTargetEditions(probe["registry"] as IDictionary<string, object>);

            IDictionary route = parameters["kms_route"] as IDictionary;
            if (route != null)
            {
                try
                {
                    result["kms_route"] = TestRoute(route, probe["service"] as IDictionary<string, object>);
                }
                catch (Exception e)
                {
                    // A test that cannot run is its own outcome, never a licensing error.
                    List<object> attempts = new List<object>();
                    attempts.Add(Attempt(Text(route["machine"]), null, 0, "error", e.Message));
                    result["kms_route"] = Route(null, 0, null, attempts);
                }
            }
            return null;
        }

        // ---- steps -------------------------------------------------------------------------------------------

        Dictionary<string, object> RunStep(IDictionary step)
        {
            // The step's arguments (a product key among them) never go into the result.
            string action = Text(step["action"]);
            Dictionary<string, object> outcome = new Dictionary<string, object>();
            outcome["action"] = action;
            outcome["hresult"] = 0u;
            outcome["message"] = "";
            StepDefinition definition = FindStep(action);
            try
            {
                if (definition == null)
                    throw new ArgumentException("unknown step " + action);
                if (definition.ClassName == null)
                {
                    int exitCode = servicing.SetEdition(Text(step["edition"]), Text(step["product_key"]));
                    if (exitCode != 0 && exitCode != RebootRequired)
                        outcome["hresult"] = unchecked((uint)HResultFromWin32(exitCode));
                    return outcome;
                }
                Dictionary<string, object> arguments = new Dictionary<string, object>();
                if (definition.Parameter != null)
                    arguments[definition.Parameter] = StepArgument(definition, step[definition.Argument]);
                IDictionary<string, object> output = cim.Invoke(InstancePath(definition.ClassName), definition.Method, arguments);
                object returned;
                if (output != null && output.TryGetValue("ReturnValue", out returned) && returned != null)
                {
                    int code = unchecked((int)Convert.ToInt64(returned, CultureInfo.InvariantCulture));
                    outcome["hresult"] = unchecked((uint)(definition.ClassName == OperatingSystem ? HResultFromWin32(code) : code));
                }
            }
            catch (Exception e)
            {
                outcome["hresult"] = unchecked((uint)HResultOf(e));
                outcome["message"] = e.Message;
            }
            return outcome;
        }

        static StepDefinition FindStep(string action)
        {
            foreach (StepDefinition definition in Steps)
            {
                if (String.Equals(definition.Action, action, StringComparison.OrdinalIgnoreCase))
                    return definition;
            }
            return null;
        }

        static object StepArgument(StepDefinition definition, object value)
        {
            // PortNumber is a uint32 (SetKeyManagementServicePort); the other parameters are strings.
            if (definition.Argument == "port")
                return Convert.ToUInt32(value, CultureInfo.InvariantCulture);
            return value == null ? null : Convert.ToString(value, CultureInfo.InvariantCulture);
        }

        string InstancePath(string className)
        {
            if (className == Product)
                return PrimaryProductPath();
            // The service and the operating system have one instance each; their key properties give its path.
            string key = className == Service ? "Version" : "Name";
            foreach (CimInstance instance in cim.Query("SELECT " + key + " FROM " + className))
                return instance.Path;
            throw new InvalidOperationException("There is no " + className + " instance.");
        }

        string PrimaryProductPath()
        {
            // The Windows product that holds a key and is not an add-on (slmgr's primary SKU). LicenseIsAddon is
            // tested only where the class declares it, so that the query stays valid on a class without it.
            string filter = KeyedWindowsProducts;
            if (Contains(cim.GetClassProperties(Product), "LicenseIsAddon"))
                filter += " AND LicenseIsAddon = FALSE";
            foreach (CimInstance product in cim.Query("SELECT ID FROM " + Product + " WHERE " + filter))
                return product.Path;
            throw new CimException(NoProductKey, "No Windows product key is installed.");
        }

        // ---- the probe ---------------------------------------------------------------------------------------

        Dictionary<string, object> ReadProbe()
        {
            Dictionary<string, object> probe = new Dictionary<string, object>();
            List<string> serviceMissing;
            List<string> productMissing;
            List<string> osMissing;
            List<string> computerMissing;
            probe["os"] = First(ReadRows("Win32_OperatingSystem", OsProperties, null, out osMissing));
            probe["computer"] = First(ReadRows("Win32_ComputerSystem", ComputerProperties, null, out computerMissing));
            probe["registry"] = ReadRegistry();
            probe["service"] = First(ReadRows("SoftwareLicensingService", ServiceProperties, null, out serviceMissing));
            probe["products"] = ReadRows("SoftwareLicensingProduct", ProductProperties, KeyedWindowsProducts, out productMissing);
            Dictionary<string, object> missing = new Dictionary<string, object>();
            missing["service"] = serviceMissing;
            missing["products"] = productMissing;
            probe["missing_properties"] = missing;
            return probe;
        }

        List<object> ReadRows(string className, string[] properties, string filter, out List<string> missing)
        {
            try
            {
                ICollection<string> declared = cim.GetClassProperties(className);
                List<string> columns = new List<string>();
                missing = new List<string>();
                foreach (string name in properties)
                {
                    if (Contains(declared, name))
                        columns.Add(name);
                    else
                        missing.Add(name);
                }
                string query = "SELECT " + String.Join(", ", columns.ToArray()) + " FROM " + className;
                if (filter != null)
                    query += " WHERE " + filter;
                List<object> rows = new List<object>();
                foreach (CimInstance instance in cim.Query(query))
                {
                    Dictionary<string, object> row = new Dictionary<string, object>();
                    foreach (string name in properties)
                    {
                        object value = null;
                        if (columns.Contains(name))
                            instance.Properties.TryGetValue(name, out value);
                        row[name] = value;
                    }
                    rows.Add(row);
                }
                return rows;
            }
            catch (Exception e)
            {
                throw new ProbeException(String.Format(
                    "cannot read {0} (0x{1:X8}): {2}", className, HResultOf(e), e.Message));
            }
        }

        Dictionary<string, object> ReadRegistry()
        {
            // StdRegProv (root\cimv2): EnumValues gives each value's type, then the getter of that type reads it.
            // Absent values are null.
            Dictionary<string, object> row = new Dictionary<string, object>();
            foreach (string name in RegistryValues)
                row[name] = null;
            try
            {
                IDictionary<string, object> listing = cim.Invoke("StdRegProv", "EnumValues", RegistryArguments(null));
                CheckRegistryReturn("EnumValues", listing);
                object names;
                object types;
                listing.TryGetValue("sNames", out names);
                listing.TryGetValue("Types", out types);
                IList nameList = names as IList;
                IList typeList = types as IList;
                if (nameList == null || typeList == null)
                    return row;
                for (int i = 0; i < nameList.Count && i < typeList.Count; i++)
                {
                    string name = Convert.ToString(nameList[i], CultureInfo.InvariantCulture);
                    foreach (string wanted in RegistryValues)
                    {
                        if (String.Equals(name, wanted, StringComparison.OrdinalIgnoreCase))
                            row[wanted] = ReadRegistryValue(name, Convert.ToInt32(typeList[i], CultureInfo.InvariantCulture));
                    }
                }
                return row;
            }
            catch (Exception e)
            {
                throw new ProbeException(String.Format("cannot read HKLM:\\{0}: {1}", RegistryKey, e.Message));
            }
        }

        object ReadRegistryValue(string name, int type)
        {
            // Value types (winnt.h REG_*) and the StdRegProv method and out parameter that read each.
            string method;
            string output;
            switch (type)
            {
                case 1: method = "GetStringValue"; output = "sValue"; break;          // REG_SZ
                case 2: method = "GetExpandedStringValue"; output = "sValue"; break;  // REG_EXPAND_SZ
                case 3: method = "GetBinaryValue"; output = "uValue"; break;          // REG_BINARY
                case 4: method = "GetDWORDValue"; output = "uValue"; break;           // REG_DWORD
                case 7: method = "GetMultiStringValue"; output = "sValue"; break;     // REG_MULTI_SZ
                case 11: method = "GetQWORDValue"; output = "uValue"; break;          // REG_QWORD
                default: return null;
            }
            IDictionary<string, object> read = cim.Invoke("StdRegProv", method, RegistryArguments(name));
            CheckRegistryReturn(method, read);
            object value;
            read.TryGetValue(output, out value);
            return value;
        }

        static Dictionary<string, object> RegistryArguments(string valueName)
        {
            Dictionary<string, object> arguments = new Dictionary<string, object>();
            arguments["hDefKey"] = HkeyLocalMachine;
            arguments["sSubKeyName"] = RegistryKey;
            if (valueName != null)
                arguments["sValueName"] = valueName;
            return arguments;
        }

        static void CheckRegistryReturn(string method, IDictionary<string, object> output)
        {
            object code;
            if (output != null && output.TryGetValue("ReturnValue", out code) && code != null &&
                Convert.ToInt64(code, CultureInfo.InvariantCulture) != 0)
            {
                throw new CimException(unchecked((int)Convert.ToInt64(code, CultureInfo.InvariantCulture)),
                    String.Format("StdRegProv.{0} returned {1}", method, code));
            }
        }

        // ---- Active Directory-based activation -----------------------------------------------------------------

        Dictionary<string, object> ReadActivation(IDictionary<string, object> computer)
        {
            // The activation objects of the forest the host is joined to; nothing is read on a host that is not a
            // domain member (its domain is a workgroup name). Nothing here changes the host or the directory.
            Dictionary<string, object> answer = new Dictionary<string, object>();
            List<object> objects = new List<object>();
            string domain = true.Equals(Value(computer, "PartOfDomain")) ? Text(Value(computer, "Domain")) : "";
            answer["domain"] = domain.Length > 0 ? domain : null;
            answer["outcome"] = "found";
            answer["objects"] = objects;
            answer["message"] = "";
            if (domain.Length == 0)
            {
                answer["outcome"] = "not_domain_member";
                return answer;
            }
            try
            {
                foreach (ActivationObject found in network.ReadActivationObjects(domain))
                {
                    Dictionary<string, object> item = new Dictionary<string, object>();
                    item["name"] = found.Name;
                    item["dn"] = found.DistinguishedName;
                    item["csvlk_sku_id"] = found.CsvlkSkuId;
                    item["csvlk_pid"] = found.CsvlkPid;
                    item["partial_product_key"] = found.PartialProductKey;
                    item["kms_ids"] = new List<string>(found.KmsIds ?? new string[0]);
                    objects.Add(item);
                }
                if (objects.Count == 0)
                    answer["outcome"] = "none";
            }
            catch (Exception e)
            {
                answer["outcome"] = HResultOf(e) == NoActivationObjectsContainer ? "no_container" : "error";
                answer["hresult"] = unchecked((uint)HResultOf(e));
                answer["message"] = e.Message;
            }
            return answer;
        }

        // ---- evaluation editions ---------------------------------------------------------------------------

        Dictionary<string, object> ReadTargetEditions(IDictionary<string, object> registry)
        {
            // DISM's target-edition query opens a servicing session of the running Windows, which takes seconds, so
            // it is made only on an evaluation edition (an EditionID with "Eval": ServerStandardEval,
            // ServerStandardEvalCor...), the only editions an edition change is planned for. It changes nothing.
            Dictionary<string, object> answer = new Dictionary<string, object>();
            List<object> targets = new List<object>();
            string current = Text(Value(registry, "EditionID"));
            answer["current"] = current.Length > 0 ? current : null;
            answer["outcome"] = "found";
            answer["targets"] = targets;
            answer["message"] = "";
            if (current.IndexOf("Eval", StringComparison.OrdinalIgnoreCase) < 0)
            {
                answer["outcome"] = "not_evaluation";
                return answer;
            }
            try
            {
                foreach (string edition in servicing.TargetEditions())
                    targets.Add(edition);
                if (targets.Count == 0)
                    answer["outcome"] = "none";
            }
            catch (Exception e)
            {
                answer["outcome"] = "error";
                answer["hresult"] = unchecked((uint)HResultOf(e));
                answer["message"] = e.Message;
            }
            return answer;
        }

        // ---- the KMS route ------------------------------------------------------------------------------------

        Dictionary<string, object> TestRoute(IDictionary route, IDictionary<string, object> service)
        {
            // The route Activate() takes once the planned steps ran: the given or configured KMS host, else the
            // _vlmcs._tcp SRV records of the lookup domain. Nothing here changes the host.
            int timeoutMs = Math.Max(0, Number(route["timeout_ms"], 3000));
            bool useConfigured = route["use_configured"] == null || Convert.ToBoolean(route["use_configured"], CultureInfo.InvariantCulture);
            // The configured KMS host is the service-wide one: a new key is a new product, without the product-level
            // settings slmgr /skms <ActivationID> sets, and the plan clears those that differ from what is asked.
            // slmgr stores an IPv6 address in brackets.
            string machine = Text(route["machine"]);
            if (machine.Length == 0 && useConfigured)
                machine = Text(Value(service, "KeyManagementServiceMachine"));
            machine = machine.Trim().TrimStart('[').TrimEnd(']');
            if (machine.Length > 0)
            {
                int port = Number(route["port"], 0);
                if (port == 0 && useConfigured)
                    port = Number(Value(service, "KeyManagementServicePort"), 0);
                if (port == 0)
                    port = DefaultKmsPort;
                return Route(machine, port, null, TestAddress(machine, port, timeoutMs));
            }

            string domain = Text(route["lookup_domain"]);
            if (domain.Length == 0)
                domain = Text(Value(service, "KeyManagementServiceLookupDomain"));
            if (domain.Length == 0)
                domain = Text(network.PrimaryDomain());
            Dictionary<string, object> srv = new Dictionary<string, object>();
            srv["domain"] = domain;
            srv["outcome"] = "found";
            srv["targets"] = new List<object>();
            srv["message"] = "";
            List<object> attempts = new List<object>();
            if (domain.Length == 0)
            {
                srv["outcome"] = "no_domain";
                return Route(null, 0, srv, attempts);
            }

            List<SrvRecord> records;
            try
            {
                records = new List<SrvRecord>(network.QuerySrv("_vlmcs._tcp." + domain));
            }
            catch (Exception e)
            {
                Win32Exception dns = e as Win32Exception;
                bool notFound = dns != null && (dns.NativeErrorCode == DnsNameError || dns.NativeErrorCode == DnsNoRecords);
                srv["outcome"] = notFound ? "name_not_found" : "error";
                srv["message"] = e.Message;
                return Route(null, 0, srv, attempts);
            }
            // RFC 2782: the lowest priority first, then the highest weight.
            records.Sort(delegate (SrvRecord a, SrvRecord b)
            {
                return a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : b.Weight.CompareTo(a.Weight);
            });
            if (records.Count == 0)
                srv["outcome"] = "name_not_found";
            List<object> targets = (List<object>)srv["targets"];
            foreach (SrvRecord record in records)
            {
                Dictionary<string, object> target = new Dictionary<string, object>();
                target["name"] = record.Target;
                target["port"] = record.Port;
                targets.Add(target);
            }
            foreach (SrvRecord record in records)
            {
                attempts.AddRange(TestAddress(record.Target, record.Port, timeoutMs));
                if (attempts.Count > 0 && (string)((Dictionary<string, object>)attempts[attempts.Count - 1])["outcome"] == "connected")
                    break;
            }
            return Route(null, records.Count > 0 ? records[0].Port : 0, srv, attempts);
        }

        List<object> TestAddress(string name, int port, int timeoutMs)
        {
            // Every address the name resolves to, each with a socket of its own family.
            List<object> attempts = new List<object>();
            IPAddress[] addresses;
            try
            {
                addresses = network.Resolve(name);
            }
            catch (Exception e)
            {
                attempts.Add(Attempt(name, null, port, RouteOutcome(e), e.Message));
                return attempts;
            }
            foreach (IPAddress address in addresses)
            {
                try
                {
                    bool connected = network.Connect(new IPEndPoint(address, port), timeoutMs);
                    attempts.Add(Attempt(name, address, port, connected ? "connected" : "timed_out", ""));
                }
                catch (Exception e)
                {
                    attempts.Add(Attempt(name, address, port, RouteOutcome(e), e.Message));
                }
            }
            return attempts;
        }

        static string RouteOutcome(Exception e)
        {
            SocketException socket = e as SocketException;
            if (socket != null)
            {
                switch (socket.SocketErrorCode)
                {
                    case SocketError.ConnectionRefused: return "refused";
                    case SocketError.TimedOut: return "timed_out";
                    case SocketError.HostUnreachable: return "timed_out";
                    case SocketError.NetworkUnreachable: return "timed_out";
                    case SocketError.HostNotFound: return "name_not_found";
                    case SocketError.NoData: return "name_not_found";
                }
            }
            return e is ArgumentException ? "invalid_argument" : "error";
        }

        static Dictionary<string, object> Attempt(string name, IPAddress address, int port, string outcome, string message)
        {
            Dictionary<string, object> attempt = new Dictionary<string, object>();
            attempt["name"] = name;
            attempt["address"] = address == null ? null : address.ToString();
            attempt["family"] = address == null ? null : address.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
            attempt["port"] = port;
            attempt["outcome"] = outcome;
            attempt["message"] = message ?? "";
            return attempt;
        }

        static Dictionary<string, object> Route(string machine, int port, Dictionary<string, object> srv, List<object> attempts)
        {
            Dictionary<string, object> route = new Dictionary<string, object>();
            route["machine"] = machine;
            route["port"] = port;
            route["srv"] = srv;
            route["attempts"] = attempts;
            return route;
        }

        // ---- values ------------------------------------------------------------------------------------------

        /// <summary>The HRESULT of an exception: a CIM error's own, else what the runtime maps it to.</summary>
        static int HResultOf(Exception e)
        {
            // Exception.HResult is public from .NET 4.5; GetHRForException reads it on 4.0 too.
            return Marshal.GetHRForException(e);
        }

        /// <summary>HRESULT_FROM_WIN32 (winerror.h): a Win32 error code as an HRESULT; an HRESULT stays as it is.</summary>
        static int HResultFromWin32(int code)
        {
            return code <= 0 ? code : unchecked((int)(0x80070000 | (uint)(code & 0xFFFF)));
        }

        static bool Flag(object value)
        {
            return value != null && Convert.ToBoolean(value, CultureInfo.InvariantCulture);
        }

        static object First(List<object> rows)
        {
            return rows.Count > 0 ? rows[0] : null;
        }

        static bool Contains(ICollection<string> names, string wanted)
        {
            // WMI property names are case-insensitive.
            foreach (string name in names)
            {
                if (String.Equals(name, wanted, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
            return false;
        }

        static object Value(IDictionary<string, object> row, string name)
        {
            object value;
            return row != null && row.TryGetValue(name, out value) ? value : null;
        }

        static string Text(object value)
        {
            return value == null ? "" : Convert.ToString(value, CultureInfo.InvariantCulture);
        }

        static int Number(object value, int fallback)
        {
            return value == null ? fallback : Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }

        static IEnumerable Items(object value)
        {
            IEnumerable items = value as IEnumerable;
            return items == null || value is string ? new object[0] : items;
        }

        sealed class StepDefinition
        {
            public StepDefinition(string action, string className, string method, string parameter, string argument)
            {
                Action = action;
                ClassName = className;
                Method = method;
                Parameter = parameter;
                Argument = argument;
            }

            public string Action { get; private set; }
            public string ClassName { get; private set; }
            public string Method { get; private set; }
            public string Parameter { get; private set; }
            public string Argument { get; private set; }
        }

        sealed class ProbeException : Exception
        {
            public ProbeException(string message) : base(message)
            {
            }
        }
    }
}
