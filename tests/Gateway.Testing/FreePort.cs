using System.Net;
using System.Net.Sockets;

namespace Gateway.Testing;

public static class FreePort
{
    /// <summary>A TCP port free on 127.0.0.1 right now.</summary>
    public static int Get()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static void WaitUntilListening(int port, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new TimeoutException($"nothing listens on 127.0.0.1:{port} after {timeout}{(diagnostics is null ? "" : ": " + diagnostics())}");
    }
}
