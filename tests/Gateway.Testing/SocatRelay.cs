using System.Globalization;
using System.Net.Sockets;

namespace Gateway.Testing;

/// <summary>
/// A TCP relay (socat, one child per connection, all in a session of their own) in front of a loopback port, that
/// can be frozen: <see cref="Freeze"/> stops every relay process (SIGSTOP to the session's process group), so the
/// connections through it stay open but carry nothing — a network cut or a hung box as the broker sees it: no
/// DISCONNECT, no FIN, only silence until its keep-alive runs out.
/// </summary>
public sealed class SocatRelay : IDisposable
{
    private readonly PeerProcess _process;

    public SocatRelay(int targetPort)
    {
        Port = FreePort.Get();
        _process = new PeerProcess(Peers.Require("setsid", "util-linux"),
        [
            Peers.Require("socat", "socat"),
            string.Create(CultureInfo.InvariantCulture, $"TCP-LISTEN:{Port},bind=127.0.0.1,fork,reuseaddr,backlog=1024"),
            string.Create(CultureInfo.InvariantCulture, $"TCP:127.0.0.1:{targetPort}"),
        ]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    public int Port { get; }

    /// <summary>Stops every process of the relay; the connections through it go silent.</summary>
    public void Freeze() => Signal("-STOP");

    public void Dispose()
    {
        Signal("-CONT");
        Signal("-KILL");
        _process.Dispose();
    }

    // setsid(1) started from a non-leader execs socat in place: its pid is the new session's and process group's id.
    private void Signal(string signal) =>
        ProcessRunner.Run("/bin/kill", [signal, "--", "-" + _process.Id.ToString(CultureInfo.InvariantCulture)]);
}
