using System.Collections.Concurrent;

namespace Gateway.Web.Security;

/// <summary>
/// Login lockout: after <see cref="MaxFailures"/> wrong passwords in a row for an account, or from one address, every
/// attempt is refused for <see cref="LockoutTime"/> — the right password included, and without hashing anything.
/// A success clears the account's and the address's count.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan LockoutTime = TimeSpan.FromMinutes(15);
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset? LockedUntil)> _state = new(StringComparer.Ordinal);

    /// <summary>When the key is locked out, until when.</summary>
    public DateTimeOffset? LockedUntil(params string[] keys)
    {
        var now = time.GetUtcNow();
        foreach (var key in keys)
        {
            if (_state.TryGetValue(key, out var s) && s.LockedUntil is { } until && until > now)
                return until;
        }
        return null;
    }

    public void Failed(params string[] keys)
    {
        var now = time.GetUtcNow();
        foreach (var key in keys)
        {
            _state.AddOrUpdate(key, _ => (1, null), (_, s) =>
            {
                var failures = s.LockedUntil is { } until && until <= now ? 1 : s.Failures + 1;
                return (failures, failures >= MaxFailures ? now + LockoutTime : s.LockedUntil);
            });
        }
    }

    public void Succeeded(params string[] keys)
    {
        foreach (var key in keys)
            _state.TryRemove(key, out _);
    }
}
