using Gateway.Configuration;

namespace Gateway.Web;

/// <summary>
/// A restore candidate between "upload" and "confirm" (issue #14: a restore shows the difference and asks first). One at
/// a time (the page has one account), kept in memory for <see cref="Lifetime"/>, and only valid while the configuration
/// in use is still the one it was compared with. Thread-safe.
/// </summary>
public sealed class PendingRestores(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private readonly Lock _lock = new();
    private (string Id, GatewayConfig Next, string Base, DateTimeOffset Until)? _pending;

    public string Offer(GatewayConfig next, GatewayConfig current)
    {
        var id = Guid.NewGuid().ToString("N");
        lock (_lock)
            _pending = (id, next, GatewayConfig.ToJson(current), time.GetUtcNow() + Lifetime);
        return id;
    }

    /// <summary>The candidate, when the id is the one offered, it has not expired and the configuration did not change meanwhile.</summary>
    public GatewayConfig? Find(string? id, GatewayConfig current)
    {
        lock (_lock)
        {
            return _pending is { } p && p.Id == id && p.Until > time.GetUtcNow() && p.Base == GatewayConfig.ToJson(current) ? p.Next : null;
        }
    }

    public void Forget()
    {
        lock (_lock)
            _pending = null;
    }
}
