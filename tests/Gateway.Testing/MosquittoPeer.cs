using System.Globalization;
using System.Text.Json;

namespace Gateway.Testing;

/// <summary>
/// A real mosquitto broker on a free loopback port, with a configuration written by the test: anonymous, or with a
/// password file (mosquitto_passwd), optionally TLS with the test CA. <see cref="Subscribe"/> reads with
/// mosquitto_sub, an independent client. Restartable on the same port (without persistence: retained messages go).
/// </summary>
public sealed class MosquittoPeer : IDisposable
{
    private readonly TempDirectory _dir = new("mosquitto");
    private readonly string _mosquitto;
    private readonly string _config;
    private PeerProcess? _process;

    /// <summary>Logging the tests read (the "running" line), unbuffered: stdout to a pipe is flushed only when full.</summary>
    private static readonly string[] TestLogging = ["log_dest stderr", "log_type error", "log_type warning", "log_type notice", "log_type information"];

    /// <param name="requireClientCertificate">With <paramref name="tls"/>: clients must present a certificate of the test CA
    /// (mutual TLS; <see cref="ClientArgs"/> then gives mosquitto_sub and mosquitto_pub the test's client certificate).</param>
    public MosquittoPeer(string? username = null, string? password = null, TestCertificates? tls = null, int? port = null, bool requireClientCertificate = false)
    {
        RequiresClientCertificate = requireClientCertificate && tls is not null;
        _mosquitto = Peers.Require("/usr/sbin/mosquitto", "mosquitto");
        Peers.Require("mosquitto_sub", "mosquitto-clients");
        Port = port ?? FreePort.Get();
        Username = username;
        Password = password;
        Tls = tls;
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"listener {Port} 127.0.0.1"),
            "persistence false",
        };
        lines.AddRange(TestLogging);
        if (username is not null)
        {
            var passwords = _dir.File("passwords");
            File.WriteAllText(passwords, "");
            var r = ProcessRunner.Run(Peers.Require("mosquitto_passwd", "mosquitto"), ["-b", passwords, username, password ?? ""]);
            if (r.ExitCode != 0)
                throw new InvalidOperationException("mosquitto_passwd failed: " + r.All);
            lines.Add("allow_anonymous false");
            lines.Add($"password_file {passwords}");
        }
        else
            lines.Add("allow_anonymous true");
        if (tls is not null)
        {
            lines.Add($"cafile {tls.CaFile}");
            lines.Add($"certfile {tls.ServerCert}");
            lines.Add($"keyfile {tls.ServerKey}");
            lines.Add("tls_version tlsv1.2");
            if (requireClientCertificate)
                lines.Add("require_certificate true");
        }
        _config = _dir.File("mosquitto.conf");
        File.WriteAllLines(_config, lines);
        Start();
    }

    /// <summary>
    /// A broker run from a deployment's own configuration file (deploy/mosquitto/…, what the README shows): the file's
    /// text with each key of <paramref name="replace"/> replaced by its value (every key must occur, so the file and
    /// the test cannot drift apart), "/etc/mosquitto/" pointing into the peer's folder, and logging the test reads
    /// appended. <paramref name="users"/> become "/etc/mosquitto/passwd" (mosquitto_passwd -U), <paramref name="files"/>
    /// are written under "/etc/mosquitto/" (e.g. "acl"), <paramref name="tls"/> as certs/ca.pem, broker.pem, broker.key.
    /// <paramref name="clientUser"/> is who <see cref="Subscribe"/> and <see cref="Publish"/> connect as by default.
    /// </summary>
    public MosquittoPeer(string configFile, int port, IReadOnlyDictionary<string, string> replace, IReadOnlyDictionary<string, string> users,
        IReadOnlyDictionary<string, string> files, TestCertificates? tls, string clientUser)
    {
        _mosquitto = Peers.Require("/usr/sbin/mosquitto", "mosquitto");
        Peers.Require("mosquitto_sub", "mosquitto-clients");
        Port = port;
        Tls = tls;
        Users = users;
        Username = clientUser;
        Password = users[clientUser];
        var etc = _dir.Path + "/";
        foreach (var (name, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(etc + name)!);
            File.WriteAllText(etc + name, content);
        }
        var passwords = etc + "passwd";
        File.WriteAllLines(passwords, users.Select(u => $"{u.Key}:{u.Value}"));
        var r = ProcessRunner.Run(Peers.Require("mosquitto_passwd", "mosquitto"), ["-U", passwords]);
        if (r.ExitCode != 0)
            throw new InvalidOperationException("mosquitto_passwd -U failed: " + r.All);
        if (tls is not null)
        {
            Directory.CreateDirectory(etc + "certs");
            File.Copy(tls.CaFile, etc + "certs/ca.pem");
            File.Copy(tls.ServerCert, etc + "certs/broker.pem");
            File.Copy(tls.ServerKey, etc + "certs/broker.key");
        }
        var text = File.ReadAllText(configFile);
        foreach (var (from, to) in replace.Append(new("/etc/mosquitto/", etc)))
        {
            if (!text.Contains(from, StringComparison.Ordinal))
                throw new InvalidOperationException($"{configFile} no longer contains '{from}': the test and the file drifted apart");
            text = text.Replace(from, to, StringComparison.Ordinal);
        }
        _config = _dir.File("mosquitto.conf");
        File.WriteAllText(_config, text + "\n" + string.Join("\n", TestLogging) + "\n");
        Start();
    }

    public int Port { get; }
    public string? Username { get; }
    public string? Password { get; }
    /// <summary>The broker's users and their passwords (the deployment form); empty for the simple form.</summary>
    public IReadOnlyDictionary<string, string> Users { get; } = new Dictionary<string, string>();
    public TestCertificates? Tls { get; }
    public bool RequiresClientCertificate { get; }
    public string Output => _process?.Output ?? "";

    public void Start()
    {
        _process = new PeerProcess(_mosquitto, ["-c", _config]);
        _process.WaitForOutput("running", TimeSpan.FromSeconds(10));
    }

    public void Stop()
    {
        _process?.Kill();
        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Messages on <paramref name="topic"/> (wildcards allowed) as (topic, payload): retained ones at once, then new
    /// ones, until <paramref name="count"/> arrived or <paramref name="timeout"/> passed.
    /// </summary>
    public IReadOnlyList<(string Topic, string Payload)> Subscribe(string topic, int count, TimeSpan timeout, string? user = null)
    {
        var args = ClientArgs(user);
        args.AddRange(["-t", topic, "-v",
            "-C", count.ToString(CultureInfo.InvariantCulture), "-W", ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture)]);
        var r = ProcessRunner.Run(Peers.Require("mosquitto_sub", "mosquitto-clients"), args, timeout + TimeSpan.FromSeconds(5));
        return [.. r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            return (line[..space], line[(space + 1)..]);
        })];
    }

    /// <summary>
    /// The client options of mosquitto_sub and mosquitto_pub for this broker, as <paramref name="user"/> (the peer's
    /// own client user by default; with the deployment form, any of <see cref="Users"/>).
    /// </summary>
    public List<string> ClientArgs(string? user = null)
    {
        var args = new List<string> { "-h", Tls is null ? "127.0.0.1" : "localhost", "-p", Port.ToString(CultureInfo.InvariantCulture) };
        if ((user ?? Username) is { } name)
            args.AddRange(["-u", name, "-P", user is null ? Password ?? "" : Users[user]]);
        if (Tls is not null)
            args.AddRange(["--cafile", Tls.CaFile]);
        if (RequiresClientCertificate)
            args.AddRange(["--cert", Tls!.ClientCert, "--key", Tls.ClientKey]);
        return args;
    }

    /// <summary>
    /// mosquitto_pub of one message (QoS 1) as <paramref name="user"/>; its exit code and output. With
    /// <paramref name="mqtt5"/> a refusal by the broker's ACL comes back in the PUBACK and mosquitto_pub prints it
    /// ("Publish 1 failed: Not authorized"); under MQTT 3.1.1 the broker drops the message without a word.
    /// </summary>
    public ProcessResult Publish(string topic, string payload, string? user = null, bool retain = false, bool mqtt5 = false)
    {
        var args = ClientArgs(user);
        args.AddRange(["-q", "1", "-t", topic, "-m", payload]);
        if (mqtt5)
            args.AddRange(["-V", "mqttv5"]);
        if (retain)
            args.Add("-r");
        return ProcessRunner.Run(Peers.Require("mosquitto_pub", "mosquitto-clients"), args);
    }

    /// <summary>The newest message of each topic matching <paramref name="topic"/> until <paramref name="until"/> holds.</summary>
    public JsonElement WaitFor(string topic, Func<JsonElement, bool> until, TimeSpan timeout, string? user = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var (_, payload) in Subscribe(topic, 1, TimeSpan.FromSeconds(2), user))
            {
                var json = JsonDocument.Parse(payload).RootElement.Clone();
                if (until(json))
                    return json;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"nothing on {topic} satisfied the test within {timeout}: {Output}");
        }
    }

    /// <summary>
    /// A mosquitto_sub that keeps listening on <paramref name="topic"/>; returned only once its subscription is active
    /// (a probe published with mosquitto_pub came back), so nothing published afterwards is missed.
    /// </summary>
    public BrokerListener Listen(string topic)
    {
        var args = new List<string> { "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-t", topic, "-v" };
        if (Username is not null)
            args.AddRange(["-u", Username, "-P", Password ?? ""]);
        if (Tls is not null)
            args.AddRange(["--cafile", Tls.CaFile]);
        var listener = new BrokerListener(new PeerProcess(Peers.Require("mosquitto_sub", "mosquitto-clients"), args));
        var pub = Peers.Require("mosquitto_pub", "mosquitto-clients");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        for (var probe = 0; ; probe++)
        {
            var marker = string.Create(CultureInfo.InvariantCulture, $"{BrokerListener.Probe}{probe}");
            var pubArgs = new List<string>(args.Where((a, i) => a != "-v")) { "-m", marker };
            ProcessRunner.Run(pub, pubArgs);
            for (var i = 0; i < 10 && !listener.Output.Contains(marker, StringComparison.Ordinal); i++)
                Thread.Sleep(20);
            if (listener.Output.Contains(marker, StringComparison.Ordinal))
                return listener;
            if (DateTime.UtcNow > deadline)
            {
                listener.Dispose();
                throw new TimeoutException($"mosquitto_sub did not receive on {topic}: {listener.Output}");
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _dir.Dispose();
    }
}

/// <summary>A running mosquitto_sub (see <see cref="MosquittoPeer.Listen"/>): the messages it printed, probes left out.</summary>
public sealed class BrokerListener(PeerProcess process) : IDisposable
{
    internal const string Probe = "gateway-test-probe-";

    internal string Output => process.Output;

    public IReadOnlyList<(string Topic, string Payload)> Messages =>
        [.. process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2 && !parts[1].StartsWith(Probe, StringComparison.Ordinal))
            .Select(parts => (parts[0], parts[1]))];

    /// <summary>The messages once there are at least <paramref name="count"/> of them (or all there are when time is up).</summary>
    public IReadOnlyList<(string Topic, string Payload)> WaitFor(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Messages.Count < count && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        return Messages;
    }

    public void Dispose()
    {
        process.Kill();
        process.Dispose();
    }
}
