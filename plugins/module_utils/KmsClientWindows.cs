// Copyright: volume_activation.kms contributors
// GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later

// The engine's three interfaces on Windows, and the worker's entry point. Each member is one documented call;
// docs/real_windows_checklist.md says how a real host checks them. Connect also runs in the project's tests (the
// simulator's network only maps names and addresses to loopback listeners), the other members only on Windows.
// The directory read (ReadActivationObjects) belongs to the network interface: LDAP to the host's domain.

//AssemblyReference -Name System.Management.dll
//AssemblyReference -Name System.DirectoryServices.dll

using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.DirectoryServices;
using System.IO;
using System.Management;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientEngine;

namespace ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows
{
    /// <summary>The worker on a Windows host: the engine over WMI and the host's network.</summary>
    public static class Worker
    {
        public static string Run(IDictionary parameters, bool checkMode, IDictionary result)
        {
            return new Engine(new WindowsCim(), new WindowsNetwork(), new WindowsServicing()).Run(parameters, checkMode, result);
        }
    }

    /// <summary>ICim over System.Management (WMI, root\cimv2).</summary>
    public sealed class WindowsCim : ICim
    {
        // EnablePrivileges: "should only be used when the operation performed requires a certain user privilege to be
        // enabled (for example, a machine restart)" (ConnectionOptions.EnablePrivileges): the reboot step's
        // Win32_OperatingSystem.Reboot() needs SeShutdownPrivilege.
        static readonly ManagementScope Scope = new ManagementScope(@"root\cimv2", new ConnectionOptions { EnablePrivileges = true });

        // https://learn.microsoft.com/dotnet/api/system.management.managementclass.properties
        public ICollection<string> GetClassProperties(string className)
        {
            try
            {
                List<string> names = new List<string>();
                using (ManagementClass definition = new ManagementClass(Scope, new ManagementPath(className), null))
                {
                    foreach (PropertyData property in definition.Properties)
                        names.Add(property.Name);
                }
                return names;
            }
            catch (Exception e)
            {
                throw Failure(e);
            }
        }

        // https://learn.microsoft.com/dotnet/api/system.management.managementobjectsearcher.get
        public IList<CimInstance> Query(string wql)
        {
            try
            {
                List<CimInstance> instances = new List<CimInstance>();
                using (ManagementObjectSearcher searcher = new ManagementObjectSearcher(Scope, new ObjectQuery(wql)))
                {
                    foreach (ManagementBaseObject found in searcher.Get())
                    {
                        Dictionary<string, object> properties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                        foreach (PropertyData property in found.Properties)
                            properties[property.Name] = property.Value;
                        string path = (string)found.SystemProperties["__RELPATH"].Value;
                        instances.Add(new CimInstance(path, properties));
                        found.Dispose();
                    }
                }
                return instances;
            }
            catch (Exception e)
            {
                throw Failure(e);
            }
        }

        // https://learn.microsoft.com/dotnet/api/system.management.managementobject.invokemethod
        // (ManagementBaseObject, String, ManagementBaseObject, InvokeMethodOptions)
        public IDictionary<string, object> Invoke(string path, string method, IDictionary<string, object> arguments)
        {
            try
            {
                ManagementPath target = new ManagementPath(path);
                using (ManagementObject instance = target.IsClass
                    ? new ManagementClass(Scope, target, null)
                    : new ManagementObject(Scope, target, null))
                {
                    ManagementBaseObject input = arguments.Count > 0 ? instance.GetMethodParameters(method) : null;
                    foreach (KeyValuePair<string, object> argument in arguments)
                        input[argument.Key] = argument.Value;
                    Dictionary<string, object> output = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                    using (ManagementBaseObject returned = instance.InvokeMethod(method, input, null))
                    {
                        if (returned != null)
                        {
                            foreach (PropertyData property in returned.Properties)
                                output[property.Name] = property.Value;
                        }
                    }
                    return output;
                }
            }
            catch (Exception e)
            {
                throw Failure(e);
            }
        }

        static CimException Failure(Exception e)
        {
            // A WMI error (0x8004xxxx) arrives as ManagementException, whose ErrorCode holds the code (its HResult is
            // COR_E_SYSTEM); any other HRESULT, the licensing service's among them, through
            // Marshal.ThrowExceptionForHR: a COMException whose text only restates the code (the service sends
            // none; slmgr sends users to "slui 0x2a <code>"), or a mapped exception such as ArgumentException for
            // E_INVALIDARG, with the system's text. (ManagementObject.InvokeMethod, .NET reference source.)
            ManagementException wmi = e as ManagementException;
            int code = wmi != null ? (int)wmi.ErrorCode : Marshal.GetHRForException(e);
            return new CimException(code, e is COMException ? "" : e.Message);
        }
    }

    /// <summary>INetwork over System.Net and the DNS client API.</summary>
    public class WindowsNetwork : INetwork
    {
        const ushort DnsTypeSrv = 33;       // DNS_TYPE_SRV (windns.h)
        const uint DnsQueryStandard = 0;    // DNS_QUERY_STANDARD
        const int DnsFreeRecordList = 1;    // DnsFreeRecordList (DNS_FREE_TYPE)

        // https://learn.microsoft.com/dotnet/api/system.net.dns.gethostaddresses
        public virtual IPAddress[] Resolve(string name)
        {
            return Dns.GetHostAddresses(name);
        }

        // https://learn.microsoft.com/dotnet/api/system.net.sockets.socket.-ctor (a socket of the address's own
        // family: a TcpClient built without one is IPv4 only on .NET Framework) and Socket.BeginConnect.
        public virtual bool Connect(IPEndPoint endpoint, int timeoutMs)
        {
            using (Socket socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            {
                IAsyncResult pending = socket.BeginConnect(endpoint, null, null);
                if (!pending.AsyncWaitHandle.WaitOne(timeoutMs))
                    return false;
                socket.EndConnect(pending);
                return true;
            }
        }

        // https://learn.microsoft.com/windows/win32/api/windns/nf-windns-dnsquery_w and DNS_SRV_DATAW.
        public virtual IList<SrvRecord> QuerySrv(string name)
        {
            IntPtr results;
            int status = DnsQuery(name, DnsTypeSrv, DnsQueryStandard, IntPtr.Zero, out results, IntPtr.Zero);
            if (status != 0)
                throw new Win32Exception(status);
            List<SrvRecord> records = new List<SrvRecord>();
            try
            {
                for (IntPtr next = results; next != IntPtr.Zero;)
                {
                    DnsSrvRecord record = (DnsSrvRecord)Marshal.PtrToStructure(next, typeof(DnsSrvRecord));
                    if (record.Type == DnsTypeSrv)
                        records.Add(new SrvRecord(Marshal.PtrToStringUni(record.NameTarget), record.Port, record.Priority, record.Weight));
                    next = record.Next;
                }
            }
            finally
            {
                DnsRecordListFree(results, DnsFreeRecordList);
            }
            return records;
        }

        // https://learn.microsoft.com/dotnet/api/system.net.networkinformation.ipglobalproperties.domainname
        public virtual string PrimaryDomain()
        {
            return IPGlobalProperties.GetIPGlobalProperties().DomainName;
        }

        // https://learn.microsoft.com/dotnet/api/system.directoryservices.directoryentry, read-only as slmgr.vbs's
        // /ao-list binds (ADS_READONLY_SERVER): the configuration naming context of the computer's domain's RootDSE,
        // then the activation objects container's children of class msSPP-ActivationObject; msSPP-CSVLKSkuId and
        // each msSPP-KMSIds value are 16-byte GUIDs (Windows byte order, as Guid(byte[]) reads them).
        public virtual IList<ActivationObject> ReadActivationObjects(string domain)
        {
            const AuthenticationTypes ReadOnly = AuthenticationTypes.Secure | AuthenticationTypes.ReadonlyServer;
            List<ActivationObject> found = new List<ActivationObject>();
            using (DirectoryEntry root = new DirectoryEntry("LDAP://" + domain + "/RootDSE", null, null, ReadOnly))
            {
                string configuration = (string)root.Properties["configurationNamingContext"].Value;
                string container = "LDAP://" + domain + "/CN=Activation Objects,CN=Microsoft SPP,CN=Services," + configuration;
                using (DirectoryEntry objects = new DirectoryEntry(container, null, null, ReadOnly))
                {
                    foreach (DirectoryEntry child in objects.Children)
                    {
                        using (child)
                        {
                            if (child.SchemaClassName != "msSPP-ActivationObject")
                                continue;
                            List<string> kmsIds = new List<string>();
                            foreach (object id in child.Properties["msSPP-KMSIds"])
                                kmsIds.Add(new Guid((byte[])id).ToString());
                            byte[] sku = child.Properties["msSPP-CSVLKSkuId"].Value as byte[];
                            found.Add(new ActivationObject(
                                child.Properties["displayName"].Value as string,
                                child.Properties["distinguishedName"].Value as string,
                                sku == null ? null : new Guid(sku).ToString(),
                                child.Properties["msSPP-CSVLKPid"].Value as string,
                                child.Properties["msSPP-CSVLKPartialProductKey"].Value as string,
                                kmsIds));
                        }
                    }
                }
            }
            return found;
        }

        [DllImport("dnsapi.dll", EntryPoint = "DnsQuery_W", CharSet = CharSet.Unicode, ExactSpelling = true)]
        static extern int DnsQuery(string name, ushort type, uint options, IntPtr extra, out IntPtr results, IntPtr reserved);

        [DllImport("dnsapi.dll", ExactSpelling = true)]
        static extern void DnsRecordListFree(IntPtr records, int freeType);

        // DNS_RECORDW with its Data union read as DNS_SRV_DATAW (windns.h); filled by the marshaller.
#pragma warning disable 649
        [StructLayout(LayoutKind.Sequential)]
        struct DnsSrvRecord
        {
            public IntPtr Next;
            public IntPtr Name;
            public ushort Type;
            public ushort DataLength;
            public uint Flags;
            public uint Ttl;
            public uint Reserved;
            public IntPtr NameTarget;
            public ushort Priority;
            public ushort Weight;
            public ushort Port;
            public ushort Pad;
        }
#pragma warning restore 649
    }

    /// <summary>IServicing over the DISM API (the target-edition query) and dism.exe (the edition change).</summary>
    public class WindowsServicing : IServicing
    {
        // dismapi.h: DISM_ONLINE_IMAGE, the running Windows as a session's image path; DismLogErrors.
        const string OnlineImage = "DISM_{53BFAE52-B167-4E2F-A258-0A37B57FF845}";
        const int LogErrors = 0;

        // DismInitialize, DismOpenSession, DismCloseSession, DismShutdown and DismDelete are documented in the DISM API
        // reference (learn.microsoft.com/windows-hardware/manufacture/desktop/dism/dism-api-functions).
        // _DismGetTargetEditions is exported by dismapi.dll without being in dismapi.h: it fills an array of
        // DismString (one PCWSTR each) and its count, freed with DismDelete (as the ManagedDism library declares it).
        // Only the names come back; nothing changes.
        public virtual IList<string> TargetEditions()
        {
            Check(DismInitialize(LogErrors, null, null));
            try
            {
                uint session;
                Check(DismOpenSession(OnlineImage, null, null, out session));
                try
                {
                    IntPtr editions;
                    uint count;
                    Check(DismGetTargetEditions(session, out editions, out count));
                    try
                    {
                        List<string> names = new List<string>();
                        for (int i = 0; i < count; i++)
                            names.Add(Marshal.PtrToStringUni(Marshal.ReadIntPtr(editions, i * IntPtr.Size)));
                        return names;
                    }
                    finally
                    {
                        DismDelete(editions);
                    }
                }
                finally
                {
                    DismCloseSession(session);
                }
            }
            finally
            {
                DismShutdown();
            }
        }

        // DISM /Online /Set-Edition:<edition> /ProductKey:<key> /AcceptEula, the documented conversion ("Upgrade and
        // conversion options for Windows Server"); /Quiet /NoRestart: no prompt, no restart ("DISM Global Options
        // for Command-Line Syntax": /Quiet alone restarts automatically). Its output is localized text and is not
        // read; the exit code is the answer. The key is the target edition's published KMS client key.
        public virtual int SetEdition(string edition, string productKey)
        {
            ProcessStartInfo start = new ProcessStartInfo(Path.Combine(Environment.SystemDirectory, "dism.exe"),
                "/Online /Set-Edition:" + edition + " /ProductKey:" + productKey + " /AcceptEula /Quiet /NoRestart");
            start.UseShellExecute = false;
            start.CreateNoWindow = true;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            using (Process dism = Process.Start(start))
            {
                // The module's own output is its JSON result: DISM's is read and dropped.
                dism.OutputDataReceived += delegate { };
                dism.ErrorDataReceived += delegate { };
                dism.BeginOutputReadLine();
                dism.BeginErrorReadLine();
                dism.WaitForExit();
                return dism.ExitCode;
            }
        }

        static void Check(int hresult)
        {
            if (hresult < 0)
                Marshal.ThrowExceptionForHR(hresult);
        }

        [DllImport("dismapi.dll", CharSet = CharSet.Unicode, ExactSpelling = true)]
        static extern int DismInitialize(int logLevel, string logFilePath, string scratchDirectory);

        [DllImport("dismapi.dll", CharSet = CharSet.Unicode, ExactSpelling = true)]
        static extern int DismOpenSession(string imagePath, string windowsDirectory, string systemDrive, out uint session);

        [DllImport("dismapi.dll", EntryPoint = "_DismGetTargetEditions", ExactSpelling = true)]
        static extern int DismGetTargetEditions(uint session, out IntPtr editionIds, out uint count);

        [DllImport("dismapi.dll", ExactSpelling = true)]
        static extern int DismDelete(IntPtr dismStructure);

        [DllImport("dismapi.dll", ExactSpelling = true)]
        static extern int DismCloseSession(uint session);

        [DllImport("dismapi.dll", ExactSpelling = true)]
        static extern int DismShutdown();
    }
}
