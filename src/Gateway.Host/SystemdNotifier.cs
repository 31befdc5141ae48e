using System.Net.Sockets;
using System.Text;

namespace Gateway.Host;

/// <summary>
/// The sd_notify protocol (systemd.exec(5), sd_notify(3)): datagrams such as "READY=1" to the Unix socket named by
/// NOTIFY_SOCKET ('@' = abstract namespace). Without NOTIFY_SOCKET (not under systemd) every call does nothing.
/// Thread-safe.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly Lock _lock = new();

    public SystemdNotifier(string? notifySocket = null)
    {
        var path = notifySocket ?? Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
            return;
        _endpoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public bool Enabled => _socket is not null;

    /// <summary>Half the watchdog interval systemd asked for (WATCHDOG_USEC, for this process), or null.</summary>
    public static TimeSpan? WatchdogPingInterval()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) || usec <= 0)
            return null;
        if (int.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_PID"), out var pid) && pid != Environment.ProcessId)
            return null;
        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    public void Ready() => Send("READY=1");
    public void Stopping() => Send("STOPPING=1");
    public void Watchdog() => Send("WATCHDOG=1");
    public void Status(string text) => Send("STATUS=" + text.ReplaceLineEndings(" "));

    private void Send(string message)
    {
        if (_socket is null)
            return;
        lock (_lock)
        {
            try
            {
                _socket.SendTo(Encoding.UTF8.GetBytes(message), _endpoint!);
            }
            catch (SocketException)
            {
                // systemd went away (or a test stopped listening): notifications are best effort.
            }
        }
    }

    public void Dispose() => _socket?.Dispose();
}
