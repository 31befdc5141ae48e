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

    public MosquittoPeer(string? username = null, string? password = null, TestCertificates? tls = null, int? port = null)
    {
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
            "log_dest stderr", // unbuffered: stdout to a pipe is flushed only when full
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
        };
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
        }
        _config = _dir.File("mosquitto.conf");
        File.WriteAllLines(_config, lines);
        Start();
    }

    public int Port { get; }
    public string? Username { get; }
    public string? Password { get; }
    public TestCertificates? Tls { get; }
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
    public IReadOnlyList<(string Topic, string Payload)> Subscribe(string topic, int count, TimeSpan timeout)
    {
        var args = new List<string> { "-h", Tls is null ? "127.0.0.1" : "localhost", "-p", Port.ToString(CultureInfo.InvariantCulture), "-t", topic, "-v",
            "-C", count.ToString(CultureInfo.InvariantCulture), "-W", ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) };
        if (Username is not null)
            args.AddRange(["-u", Username, "-P", Password ?? ""]);
        if (Tls is not null)
            args.AddRange(["--cafile", Tls.CaFile]);
        var r = ProcessRunner.Run(Peers.Require("mosquitto_sub", "mosquitto-clients"), args, timeout + TimeSpan.FromSeconds(5));
        return [.. r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            return (line[..space], line[(space + 1)..]);
        })];
    }

    /// <summary>The newest message of each topic matching <paramref name="topic"/> until <paramref name="until"/> holds.</summary>
    public JsonElement WaitFor(string topic, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var (_, payload) in Subscribe(topic, 1, TimeSpan.FromSeconds(2)))
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
