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

    public void Dispose()
    {
        Stop();
        _dir.Dispose();
    }
}
