namespace Gateway.Web.Logging;

/// <summary>
/// At most one log line per key (a remote address) per <see cref="Interval"/>, for events anyone can cause without
/// logging in — otherwise a stream of them would push the security log's real events out (issue #14). Bounded;
/// thread-safe.
/// </summary>
public sealed class LogLimiter(TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private const int MaxKeys = 1_000;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _last = new(StringComparer.Ordinal);

    public bool ShouldLog(string key)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_last.TryGetValue(key, out var last) && now - last < Interval)
                return false;
            if (_last.Count >= MaxKeys)
            {
                foreach (var old in _last.Where(e => now - e.Value >= Interval).Select(e => e.Key).ToList())
                    _last.Remove(old);
                if (_last.Count >= MaxKeys)
                    return false; // a thousand addresses within a minute: the first lines of this flood are in the log
            }
            _last[key] = now;
            return true;
        }
    }
}
