using System.Globalization;
using Gateway.Testing;

namespace Gateway.IntegrationTests;

/// <summary>The real `gateway run` with a configuration written by the test; can be killed and started again.</summary>
internal sealed class GatewayProcess : IDisposable
{
    private readonly string _config;
    private PeerProcess? _process;
    private readonly IDictionary<string, string>? _environment;
    private readonly string _scpExtra;
    private readonly string _boxId;

    /// <param name="scpExtra">More keys of `localScp` (e.g. <c>, "commitment": {…}</c>), written after its port and bind.</param>
    public GatewayProcess(string directory, int scpPort, string destinationJson, string extraConfig = "", IDictionary<string, string>? environment = null, string scpExtra = "",
        string boxId = "it-box")
    {
        _environment = environment;
        _scpExtra = scpExtra;
        _boxId = boxId;
        Directory = directory;
        ScpPort = scpPort;
        SpoolPath = Path.Combine(directory, "spool");
        _config = Path.Combine(directory, "gateway.json");
        Rewrite(destinationJson, extraConfig);
    }

    /// <summary>Writes the configuration (temporary file, then rename, as an operator's editor or the page would); a running service applies it live.</summary>
    public void Rewrite(string destinationJson, string extraConfig = "")
    {
        var text = $$"""
        {
          "box": { "id": "{{_boxId}}" },{{extraConfig}}{{(extraConfig.Contains("\"web\"", StringComparison.Ordinal) ? "" : "\n  \"web\": { \"enabled\": false },")}}
          "spool": { "path": "{{SpoolPath}}", "minFreeBytes": 0 },
          "localScp": { "aeTitle": "GATEWAY", "port": {{ScpPort.ToString(CultureInfo.InvariantCulture)}}, "bind": "127.0.0.1"{{_scpExtra}} },
          "destinations": [ {{destinationJson}} ]
        }
        """;
        File.WriteAllText(_config + ".tmp", text);
        File.Move(_config + ".tmp", _config, overwrite: true);
    }

    public string Directory { get; }
    public int ScpPort { get; }
    public string SpoolPath { get; }
    public string Output => _process?.Output ?? "";

    /// <summary>The output of every process started so far (a kill and restart starts a new one).</summary>
    public string AllOutput => _history + Output;

    private string _history = "";

    public void Start()
    {
        if (_process is not null)
            _history += _process.Output + "\n--- restarted ---\n";
        _process?.Dispose();
        _process = new PeerProcess(GatewayExecutable.Path, ["run", "--config", _config], _environment);
        _process.WaitForOutput("running", TimeSpan.FromSeconds(30));
    }

    public int Pid => _process?.Id ?? 0;

    /// <summary>Waits until the running process's output contains <paramref name="text"/> (a log event's id, a line).</summary>
    public void WaitForOutput(string text, TimeSpan timeout) => (_process ?? throw new InvalidOperationException("not started")).WaitForOutput(text, timeout);

    /// <summary>SIGTERM, as systemd stops the service; waits until the process has exited.</summary>
    public void Terminate()
    {
        ProcessRunner.Run("/bin/kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
        _process?.WaitForExit(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Waits until the process ended by itself and its output was read to the end (<see cref="ExitCode"/> turns
    /// non-null at the exit, before the last lines are read from the pipe); false when it still runs after <paramref name="timeout"/>.
    /// </summary>
    public bool WaitForExit(TimeSpan timeout) => (_process ?? throw new InvalidOperationException("not started")).WaitForExit(timeout);

    /// <summary>The exit status after <see cref="Terminate"/> (null while running).</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>SIGKILL: no chance to finish anything.</summary>
    public void Kill() => _process?.Kill();

    public int SpoolEntries => System.IO.Directory.Exists(Path.Combine(SpoolPath, "state")) ? System.IO.Directory.GetFiles(Path.Combine(SpoolPath, "state")).Length : 0;

    public void Dispose() => _process?.Dispose();
}
