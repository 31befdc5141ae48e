namespace Gateway.Web.Security;

/// <summary>
/// Login lockout: after <see cref="MaxFailures"/> wrong passwords in a row for an account, or from one address, every
/// attempt is refused for <see cref="LockoutTime"/> — the right password included, and without hashing anything.
/// An attempt is counted as a failure when it is let through, before the password is hashed, and a success takes the
/// count back: so parallel requests cannot all pass the check while the first ones are still hashing (issue #14:
/// 32 simultaneous POSTs after 9 wrong passwords got 2–5 more guesses judged). Thread-safe.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan LockoutTime = TimeSpan.FromMinutes(15);

    // User names come from outside: without a bound, a stream of new names would grow this map for ever.
    private const int MaxKeys = 10_000;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _state = new(StringComparer.Ordinal);

    /// <summary>The outcome of <see cref="Reserve"/>.</summary>
    /// <param name="Allowed">The password may be checked now.</param>
    /// <param name="LockedUntil">When refused: until when.</param>
    /// <param name="FirstRefusal">The first refusal of this lockout (the one worth a log line; the rest would only flood the log).</param>
    public readonly record struct Attempt(bool Allowed, DateTimeOffset? LockedUntil, bool FirstRefusal);

    /// <summary>Lets one attempt through and counts it as failed until <see cref="Succeeded"/> says otherwise, or refuses it while locked out.</summary>
    public Attempt Reserve(params string[] keys)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            foreach (var key in keys)
            {
                if (_state.TryGetValue(key, out var e) && e.LockedUntil is { } until)
                {
                    if (until > now)
                    {
                        var first = !e.RefusalLogged;
                        e.RefusalLogged = true;
                        return new Attempt(false, until, first);
                    }
                    _state.Remove(key); // the lockout is over: a fresh count
                }
            }
            if (_state.Count > MaxKeys)
            {
                foreach (var stale in _state.Where(s => s.Value.LockedUntil is null).Select(s => s.Key).ToList())
                    _state.Remove(stale);
            }
            foreach (var key in keys)
            {
                if (!_state.TryGetValue(key, out var e))
                    _state[key] = e = new Entry();
                if (++e.Failures >= MaxFailures)
                    e.LockedUntil = now + LockoutTime;
            }
            return new Attempt(true, null, false);
        }
    }

    /// <summary>The password was right: the account's and the address's count start again.</summary>
    public void Succeeded(params string[] keys)
    {
        lock (_lock)
        {
            foreach (var key in keys)
                _state.Remove(key);
        }
    }

    private sealed class Entry
    {
        public int Failures { get; set; }
        public DateTimeOffset? LockedUntil { get; set; }
        public bool RefusalLogged { get; set; }
    }
}
