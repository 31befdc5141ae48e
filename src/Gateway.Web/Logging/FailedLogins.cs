using Microsoft.Extensions.Logging;

namespace Gateway.Web.Logging;

/// <summary>
/// Refused logins, logged per address: the first of a minute at once (an attack shows the moment it starts), the rest
/// of that minute as one line with their count when the minute is over (issue #14: anyone can cause these, and one line
/// each let a stranger flood the security log). Bounded: past <see cref="MaxAddresses"/> addresses in a minute, the
/// others share one count. Thread-safe.
/// </summary>
public sealed class FailedLogins : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    public const int MaxAddresses = 1_000;
    private const string OtherAddresses = "other addresses";
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly ITimer _timer;

    public FailedLogins(TimeProvider time, ILogger log)
    {
        _time = time;
        _log = log;
        _timer = time.CreateTimer(_ => Flush(all: false), null, Interval, Interval);
    }

    public void Record(string user, string remote)
    {
        var now = _time.GetUtcNow();
        (int Count, DateTimeOffset Since, string User)? summary = null;
        bool first;
        string key;
        lock (_lock)
        {
            key = _windows.ContainsKey(remote) || _windows.Count < MaxAddresses ? remote : OtherAddresses;
            if (_windows.TryGetValue(key, out var w) && now - w.Since < Interval)
            {
                w.Count++;
                w.LastUser = user;
                first = false;
            }
            else
            {
                if (w is { Count: > 0 })
                    summary = (w.Count, w.Since, w.LastUser);
                _windows[key] = new Window { Since = now };
                first = true;
            }
        }
        if (summary is { } s)
            WebLog.MoreLoginsFailed(_log, s.Count, key, s.Since, s.User);
        if (first)
            WebLog.LoginFailed(_log, user, key);
    }

    /// <summary>Logs the counts of minutes that are over (or of all, at the end) and forgets them.</summary>
    public void Flush(bool all)
    {
        var now = _time.GetUtcNow();
        List<(string Remote, Window W)> due;
        lock (_lock)
        {
            due = [.. _windows.Where(e => all || now - e.Value.Since >= Interval).Select(e => (e.Key, e.Value))];
            foreach (var (remote, _) in due)
                _windows.Remove(remote);
        }
        foreach (var (remote, w) in due.Where(d => d.W.Count > 0))
            WebLog.MoreLoginsFailed(_log, w.Count, remote, w.Since, w.LastUser);
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush(all: true);
    }

    private sealed class Window
    {
        public DateTimeOffset Since { get; init; }
        public int Count { get; set; }
        public string LastUser { get; set; } = "";
    }
}
