using System.Net.Sockets;
using System.Text;

namespace Gateway.Testing;

/// <summary>
/// The sd_notify datagram socket a test owns (NOTIFY_SOCKET for the gateway): every message in the order it came
/// (one sender's datagrams keep their order), so a test can ask what was or was not sent between two others.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly List<(DateTime At, string Message)> _received = [];

    public NotifySocket(string path)
    {
        Path = path;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _ = Task.Run(() =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                int n;
                try
                {
                    n = _socket.Receive(buffer);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                lock (_received)
                    _received.Add((DateTime.UtcNow, Encoding.UTF8.GetString(buffer, 0, n)));
            }
        });
    }

    public string Path { get; }

    public List<(DateTime At, string Message)> Received
    {
        get
        {
            lock (_received)
                return [.. _received];
        }
    }

    public IReadOnlyList<string> Messages => [.. Received.Select(r => r.Message)];

    public int Count(string message) => Received.Count(r => r.Message == message);

    /// <summary>Waits (at most 30 s) until <paramref name="condition"/> holds; the timeout names what was received.</summary>
    public async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited for {what}; received: {string.Join(" | ", Messages)}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The watchdog across the first outage of <paramref name="part"/> (issue #15's failure policy): from the first STATUS
    /// that names it failed ("… watchdog not fed") to the last such STATUS before another one: how many of those
    /// STATUS lines came, how many WATCHDOG=1 came among them (the policy: none) and how many after (it ran again).
    /// </summary>
    public (int Statuses, int PingsDuring, int PingsAfter) Outage(string part)
    {
        var m = Messages;
        bool Down(string x) => x.StartsWith("STATUS=", StringComparison.Ordinal) && x.Contains(part, StringComparison.Ordinal)
            && x.Contains("watchdog not fed", StringComparison.Ordinal);
        var first = -1;
        for (var i = 0; i < m.Count && first < 0; i++)
            first = Down(m[i]) ? i : -1;
        if (first < 0)
            return (0, 0, 0);
        var last = first;
        var statuses = 1;
        for (var i = first + 1; i < m.Count && m[i] is var x && (!x.StartsWith("STATUS=", StringComparison.Ordinal) || Down(x)); i++)
        {
            if (Down(x))
            {
                last = i;
                statuses++;
            }
        }
        return (statuses, m.Skip(first).Take(last - first).Count(x => x == "WATCHDOG=1"), m.Skip(last).Count(x => x == "WATCHDOG=1"));
    }

    public void Dispose() => _socket.Dispose();
}
