using System.Globalization;

namespace Gateway.Testing;

/// <summary>
/// A running dcmjs-dimse SCP (Dcmjs/scp.js) on 127.0.0.1: MPPS, Storage Commitment, Modality Worklist FIND and
/// Verification. Every request it receives, and every request it sends, is one line of its log.
/// </summary>
public sealed class DcmjsScp : IDisposable
{
    private readonly TempDirectory _dir = new("dcmjs-scp");
    private readonly PeerProcess _process;

    internal DcmjsScp(string node, string modules, string aet, DcmjsScpConfig config, int? port = null)
    {
        AeTitle = aet;
        Port = port ?? FreePort.Get();
        LogPath = _dir.File("scp.jsonl");
        var configPath = _dir.File("config.json");
        File.WriteAllText(configPath, config.ToJson().ToJsonString());
        _process = new PeerProcess(node,
            [DcmjsPeer.Script("scp.js"), "--port", Port.ToString(CultureInfo.InvariantCulture), "--aet", aet, "--log", LogPath, "--config", configPath],
            DcmjsPeer.Environment(modules));
        try
        {
            _process.WaitForOutput("listening on", TimeSpan.FromSeconds(30));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Port { get; }
    public string AeTitle { get; }
    public string LogPath { get; }

    /// <summary>What the process printed (the listening line, dcmjs-dimse's errors).</summary>
    public string Output => _process.Output;

    /// <summary>Every log line so far.</summary>
    public IReadOnlyList<DcmjsMessage> Log() =>
        File.Exists(LogPath) ? DcmjsMessage.ParseLines(ReadShared(LogPath)) : [];

    /// <summary>The requests received so far, each with the status it was answered with.</summary>
    public IReadOnlyList<DcmjsMessage> Requests() => [.. Log().Where(m => m.Event == "request")];

    /// <summary>The requests the SCP sent (storage commitment reports) with the peer's response status.</summary>
    public IReadOnlyList<DcmjsMessage> Sent() => [.. Log().Where(m => m.Event == "sent")];

    /// <summary>The requests the SCP began to send (logged before they go out), answered or not.</summary>
    public IReadOnlyList<DcmjsMessage> Issued() => [.. Log().Where(m => m.Event == "issued")];

    /// <summary>Waits until the log satisfies <paramref name="done"/> (e.g. a report sent after a delay) and returns it.</summary>
    public IReadOnlyList<DcmjsMessage> WaitFor(Func<IReadOnlyList<DcmjsMessage>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var log = Log();
            if (done(log))
                return log;
            if (_process.HasExited)
                throw new InvalidOperationException($"the dcmjs SCP exited ({_process.ExitCode}): {Output}\nlog:\n{string.Join('\n', log)}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the dcmjs SCP's log did not reach the expected state within {timeout}:\n{string.Join('\n', log)}\n{Output}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for the first "sent" line of <paramref name="command"/> (with its outcome).</summary>
    public DcmjsMessage WaitForSent(string command, TimeSpan timeout) =>
        WaitFor(l => l.Any(m => m.Event == "sent" && m.Command == command), timeout).First(m => m.Event == "sent" && m.Command == command);

    public override string ToString() => $"dcmjs SCP {AeTitle} on 127.0.0.1:{Port}";

    private static string ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    public void Dispose()
    {
        _process.Dispose();
        _dir.Dispose();
    }
}
