// The simulator's host for the worker's C# engine: a long-lived Mono process that runs the engine compiled from
// the sources the collection ships (plugins/module_utils/*.cs) against a simulated Windows host. It is compiled
// together with those sources (winsim/engine/compiler.py) and talks to the simulator (winsim/engine/process.py)
// over stdin and stdout, one JSON object per line:
//
//   in:  {"op": "run", "id": N, "params": {...}, "check_mode": false}   one worker execution, on a thread of its own
//        {"op": "reply", "id": N, "call": K, "ok": true, "value": ...}   the simulator's answer to call K
//        {"op": "reply", "id": N, "call": K, "ok": false, "error": {"kind": ..., "code": ..., "message": ...}}
//   out: {"op": "call", "id": N, "call": K, "method": ..., "args": {...}} a CIM or network call of execution N
//        {"op": "done", "id": N, "failure": null or text, "result": {...}} the engine's result, as it wrote it
//        {"op": "crash", "id": N, "error": text}                         the engine threw (a defect)
//
// Only names and addresses are simulated: SimNetwork resolves through the simulator's DNS model and maps each
// address it answered to a loopback listener, then connects with WindowsNetwork.Connect, the shipped socket code.
// CIM values arrive typed ({"type": "uint32", "value": 5}) and become the .NET types System.Management gives.

using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Web.Script.Serialization;
using ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientEngine;
using ansible_collections.volume_activation.kms.plugins.module_utils.KmsClientWindows;

namespace Winsim.EngineHost
{
    public static class Program
    {
        static readonly object WriteLock = new object();
        static readonly ConcurrentDictionary<long, Execution> Executions = new ConcurrentDictionary<long, Execution>();
        static TextWriter output;

        public static int Main()
        {
            Console.InputEncoding = new UTF8Encoding(false);
            output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
            TextReader input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            string line;
            while ((line = input.ReadLine()) != null)
            {
                if (line.Length == 0)
                    continue;
                IDictionary<string, object> message = (IDictionary<string, object>)Json().DeserializeObject(line);
                long id = Convert.ToInt64(message["id"], CultureInfo.InvariantCulture);
                string op = (string)message["op"];
                if (op == "run")
                {
                    Execution execution = new Execution(id);
                    Executions[id] = execution;
                    IDictionary parameters = (IDictionary)message["params"];
                    bool checkMode = Convert.ToBoolean(message["check_mode"], CultureInfo.InvariantCulture);
                    Thread thread = new Thread(delegate () { execution.Run(parameters, checkMode); });
                    thread.IsBackground = true;
                    thread.Start();
                }
                else if (op == "reply")
                {
                    Execution execution;
                    if (Executions.TryGetValue(id, out execution))
                        execution.Inbox.Add(message);
                }
            }
            return 0;
        }

        internal static JavaScriptSerializer Json()
        {
            JavaScriptSerializer serializer = new JavaScriptSerializer();
            serializer.MaxJsonLength = int.MaxValue;
            serializer.RecursionLimit = 1000;
            return serializer;
        }

        internal static void Send(IDictionary<string, object> message)
        {
            string text = Json().Serialize(message);
            lock (WriteLock)
            {
                output.Write(text);
                output.Write('\n');
                output.Flush();
            }
        }

        internal static void Finished(long id)
        {
            Execution ignored;
            Executions.TryRemove(id, out ignored);
        }
    }

    /// <summary>One worker execution: the engine on its own thread, its calls answered through the inbox.</summary>
    sealed class Execution
    {
        public readonly BlockingCollection<IDictionary<string, object>> Inbox = new BlockingCollection<IDictionary<string, object>>();
        readonly long id;
        long calls;

        public Execution(long id)
        {
            this.id = id;
        }

        public void Run(IDictionary parameters, bool checkMode)
        {
            Dictionary<string, object> message = new Dictionary<string, object>();
            message["id"] = id;
            try
            {
                Dictionary<string, object> result = new Dictionary<string, object>();
                string failure = new Engine(new SimCim(this), new SimNetwork(this), new SimServicing(this)).Run(parameters, checkMode, result);
                message["op"] = "done";
                message["failure"] = failure;
                message["result"] = result;
            }
            catch (Exception e)
            {
                message["op"] = "crash";
                message["error"] = e.ToString();
            }
            Program.Finished(id);
            Program.Send(message);
        }

        /// <summary>Asks the simulator; returns its value or throws the error it answered.</summary>
        public object Call(string method, IDictionary<string, object> arguments)
        {
            long call = Interlocked.Increment(ref calls);
            Dictionary<string, object> request = new Dictionary<string, object>();
            request["op"] = "call";
            request["id"] = id;
            request["call"] = call;
            request["method"] = method;
            request["args"] = arguments;
            Program.Send(request);
            IDictionary<string, object> reply = Inbox.Take();
            if (Convert.ToInt64(reply["call"], CultureInfo.InvariantCulture) != call)
                throw new InvalidOperationException("the simulator answered another call");
            if ((bool)reply["ok"])
                return reply["value"];
            IDictionary<string, object> error = (IDictionary<string, object>)reply["error"];
            string kind = (string)error["kind"];
            string text = (string)error["message"];
            if (kind == "socket")
                throw new SimSocketException((SocketError)Enum.Parse(typeof(SocketError), (string)error["code"]), text);
            if (kind == "win32")
                throw new Win32Exception(Convert.ToInt32(error["code"], CultureInfo.InvariantCulture), text);
            if (kind == "com")
                throw new System.Runtime.InteropServices.COMException(text, unchecked((int)Convert.ToInt64(error["code"], CultureInfo.InvariantCulture)));
            throw new CimException(unchecked((int)Convert.ToInt64(error["code"], CultureInfo.InvariantCulture)), text);
        }
    }

    /// <summary>A SocketException with the message the simulator chose (the runtime's own text is platform's).</summary>
    sealed class SimSocketException : SocketException
    {
        readonly string text;

        public SimSocketException(SocketError error, string text) : base((int)error)
        {
            this.text = text;
        }

        public override string Message
        {
            get { return text; }
        }
    }

    /// <summary>ICim answered by the simulated host's CIM model.</summary>
    sealed class SimCim : ICim
    {
        readonly Execution execution;

        public SimCim(Execution execution)
        {
            this.execution = execution;
        }

        public ICollection<string> GetClassProperties(string className)
        {
            Dictionary<string, object> arguments = new Dictionary<string, object>();
            arguments["class"] = className;
            List<string> names = new List<string>();
            foreach (object name in (IEnumerable)execution.Call("class_properties", arguments))
                names.Add((string)name);
            return names;
        }

        public IList<CimInstance> Query(string wql)
        {
            Dictionary<string, object> arguments = new Dictionary<string, object>();
            arguments["wql"] = wql;
            List<CimInstance> instances = new List<CimInstance>();
            foreach (object raw in (IEnumerable)execution.Call("query", arguments))
            {
                IDictionary<string, object> instance = (IDictionary<string, object>)raw;
                instances.Add(new CimInstance((string)instance["path"], Typed((IDictionary<string, object>)instance["properties"])));
            }
            return instances;
        }

        public IDictionary<string, object> Invoke(string path, string method, IDictionary<string, object> arguments)
        {
            Dictionary<string, object> call = new Dictionary<string, object>();
            call["path"] = path;
            call["method"] = method;
            call["arguments"] = arguments;
            return Typed((IDictionary<string, object>)execution.Call("invoke", call));
        }

        static IDictionary<string, object> Typed(IDictionary<string, object> values)
        {
            Dictionary<string, object> typed = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, object> entry in values)
            {
                IDictionary<string, object> value = (IDictionary<string, object>)entry.Value;
                typed[entry.Key] = Convert((string)value["type"], value["value"]);
            }
            return typed;
        }

        /// <summary>The .NET type System.Management gives a CIM type (datetime is a DMTF string).</summary>
        static object Convert(string type, object value)
        {
            if (value == null)
                return null;
            CultureInfo invariant = CultureInfo.InvariantCulture;
            switch (type)
            {
                case "string": return (string)value;
                case "datetime": return (string)value;
                case "boolean": return (bool)value;
                case "uint8": return System.Convert.ToByte(value, invariant);
                case "uint16": return System.Convert.ToUInt16(value, invariant);
                case "uint32": return System.Convert.ToUInt32(value, invariant);
                case "uint64": return System.Convert.ToUInt64(value, invariant);
                case "sint32": return System.Convert.ToInt32(value, invariant);
                case "sint64": return System.Convert.ToInt64(value, invariant);
            }
            if (type.EndsWith("[]", StringComparison.Ordinal))
            {
                string element = type.Substring(0, type.Length - 2);
                IList items = (IList)value;
                Type elementType = Convert(element, element == "string" || element == "datetime" ? (object)"" : 0).GetType();
                Array array = Array.CreateInstance(elementType, items.Count);
                for (int i = 0; i < items.Count; i++)
                    array.SetValue(Convert(element, items[i]), i);
                return array;
            }
            throw new ArgumentException("unknown CIM type " + type);
        }
    }

    /// <summary>IServicing answered by the simulated host's servicing model (target editions, the edition change).</summary>
    sealed class SimServicing : IServicing
    {
        readonly Execution execution;

        public SimServicing(Execution execution)
        {
            this.execution = execution;
        }

        public IList<string> TargetEditions()
        {
            List<string> editions = new List<string>();
            foreach (object edition in (IEnumerable)execution.Call("target_editions", new Dictionary<string, object>()))
                editions.Add((string)edition);
            return editions;
        }

        public int SetEdition(string edition, string productKey)
        {
            Dictionary<string, object> arguments = new Dictionary<string, object>();
            arguments["edition"] = edition;
            arguments["product_key"] = productKey;
            return System.Convert.ToInt32(execution.Call("set_edition", arguments), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The simulator's DNS answers, and real sockets to the loopback listeners its addresses map to.</summary>
    sealed class SimNetwork : WindowsNetwork
    {
        readonly Execution execution;
        readonly Dictionary<IPAddress, IPEndPoint> listeners = new Dictionary<IPAddress, IPEndPoint>();

        public SimNetwork(Execution execution)
        {
            this.execution = execution;
        }

        public override IPAddress[] Resolve(string name)
        {
            Dictionary<string, object> arguments = new Dictionary<string, object>();
            arguments["name"] = name;
            List<IPAddress> addresses = new List<IPAddress>();
            foreach (object raw in (IEnumerable)execution.Call("resolve", arguments))
            {
                IDictionary<string, object> answer = (IDictionary<string, object>)raw;
                IPAddress address = IPAddress.Parse((string)answer["address"]);
                IList listener = (IList)answer["listener"];
                listeners[address] = new IPEndPoint(IPAddress.Parse((string)listener[0]), System.Convert.ToInt32(listener[1], CultureInfo.InvariantCulture));
                addresses.Add(address);
            }
            return addresses.ToArray();
        }

        public override bool Connect(IPEndPoint endpoint, int timeoutMs)
        {
            IPEndPoint listener;
            if (!listeners.TryGetValue(endpoint.Address, out listener))
                throw new InvalidOperationException("no listener for " + endpoint);
            return base.Connect(listener, timeoutMs);
        }

        public override IList<SrvRecord> QuerySrv(string name)
        {
            Dictionary<string, object> arguments = new Dictionary<string, object>();
            arguments["name"] = name;
            List<SrvRecord> records = new List<SrvRecord>();
            foreach (object raw in (IEnumerable)execution.Call("srv", arguments))
            {
                IDictionary<string, object> record = (IDictionary<string, object>)raw;
                CultureInfo invariant = CultureInfo.InvariantCulture;
                records.Add(new SrvRecord((string)record["target"], System.Convert.ToInt32(record["port"], invariant),
                    System.Convert.ToInt32(record["priority"], invariant), System.Convert.ToInt32(record["weight"], invariant)));
            }
            return records;
        }

        public override string PrimaryDomain()
        {
            return (string)execution.Call("domain", new Dictionary<string, object>());
        }

        public override IList<ActivationObject> ReadActivationObjects(string domain)
        {
            Dictionary<string, object> arguments = new Dictionary<string, object>();
            arguments["domain"] = domain;
            List<ActivationObject> objects = new List<ActivationObject>();
            foreach (object raw in (IEnumerable)execution.Call("activation_objects", arguments))
            {
                IDictionary<string, object> item = (IDictionary<string, object>)raw;
                List<string> kmsIds = new List<string>();
                foreach (object id in (IEnumerable)item["kms_ids"])
                    kmsIds.Add((string)id);
                objects.Add(new ActivationObject((string)item["name"], (string)item["dn"], (string)item["csvlk_sku_id"],
                    (string)item["csvlk_pid"], (string)item["partial_product_key"], kmsIds));
            }
            return objects;
        }
    }
}
