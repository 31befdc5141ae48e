using System.Globalization;

namespace Gateway.Testing;

/// <summary>
/// dcmtk's wlmscpfs as the RIS's worklist SCP (AE title WLSCP) on a free loopback port, serving the steps that
/// Scripts/make_worklist.py writes with pydicom for <paramref name="day"/> (WL-1 … WL-8; see the script).
/// </summary>
public sealed class WlmscpfsPeer : IDisposable
{
    private readonly TempDirectory _dir = new("mwl");
    private readonly PeerProcess _process;

    public WlmscpfsPeer(string day)
    {
        Peers.RequirePydicom();
        var files = Directory.CreateDirectory(Path.Combine(_dir.Path, "WLSCP")).FullName;
        var made = ProcessRunner.Run(Peers.DebianPython, [Path.Combine(AppContext.BaseDirectory, "Scripts", "make_worklist.py"), files, "--scheduled", day]);
        if (made.ExitCode != 0)
            throw new InvalidOperationException($"make_worklist.py: {made.All}");
        var wlmscpfs = Peers.Require("wlmscpfs", "dcmtk");
        File.WriteAllText(Path.Combine(files, "lockfile"), "");
        Port = FreePort.Get();
        _process = new PeerProcess(wlmscpfs, ["-csk", "-dfp", _dir.Path, Port.ToString(CultureInfo.InvariantCulture)]);
        FreePort.WaitUntilListening(Port, TimeSpan.FromSeconds(10));
    }

    public int Port { get; }

    public const string AeTitle = "WLSCP";

    public void Dispose()
    {
        _process.Dispose();
        _dir.Dispose();
    }
}
