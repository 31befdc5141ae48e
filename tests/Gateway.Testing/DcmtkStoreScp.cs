namespace Gateway.Testing;

/// <summary>dcmtk's storescp on a free loopback port, writing into a temporary folder.</summary>
public sealed class DcmtkStoreScp : IDisposable
{
    private readonly PeerProcess _process;
    private readonly TempDirectory _dir = new("storescp");

    /// <param name="tcpNoDelay">Set TCP_NODELAY=1 in its environment (dcmtk leaves Nagle on otherwise).</param>
    public DcmtkStoreScp(string aeTitle = "STORESCP", bool tcpNoDelay = true, IEnumerable<string>? extraArgs = null, int? port = null)
    {
        var exe = Peers.Require("storescp", "dcmtk");
        Port = port ?? FreePort.Get();
        AeTitle = aeTitle;
        var env = new Dictionary<string, string>();
        if (tcpNoDelay)
            env["TCP_NODELAY"] = "1";
        _process = new PeerProcess(exe, [.. extraArgs ?? [], "-aet", aeTitle, "-od", _dir.Path, "--fork", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], env);
        FreePort.WaitUntilListening(Port, TimeSpan.FromSeconds(10), () => _process.Output);
    }

    public int Port { get; }
    public string AeTitle { get; }
    public string OutputDirectory => _dir.Path;
    public string Output => _process.Output;

    public IReadOnlyList<string> ReceivedFiles => Directory.GetFiles(_dir.Path);

    public void Dispose()
    {
        _process.Dispose();
        _dir.Dispose();
    }
}
