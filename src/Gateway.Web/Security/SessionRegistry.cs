using System.Security.Claims;
using System.Security.Cryptography;

namespace Gateway.Web.Security;

/// <summary>
/// Server-side sessions (issue #14): a session cookie is honoured only while its id is registered here, so logging
/// out, a password change and the idle timeout end a session for real — a saved copy of the cookie opens nothing.
/// Kept in memory: a restart of the service ends every session, which is what a technician expects of a restart.
/// Bounded (<see cref="MaxSessions"/>, the least recently used goes first). Thread-safe.
/// </summary>
public sealed class SessionRegistry(TimeProvider time, TimeSpan idle)
{
    /// <summary>The claim that carries the session id inside the (encrypted) cookie.</summary>
    public const string ClaimType = "gateway.sid";

    public const int MaxSessions = 64;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string User, DateTimeOffset LastSeen)> _sessions = new(StringComparer.Ordinal);

    /// <summary>Starts a session for the user; its id goes into the cookie as <see cref="ClaimType"/>.</summary>
    public string Start(string user)
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        lock (_lock)
        {
            if (_sessions.Count >= MaxSessions)
                _sessions.Remove(_sessions.MinBy(s => s.Value.LastSeen).Key);
            _sessions[id] = (user, time.GetUtcNow());
        }
        return id;
    }

    /// <summary>
    /// True when the session is alive; an idle or ended one is forgotten. Only <paramref name="activity"/> (a page the
    /// technician opened or a form sent, not the status page's own polling) counts as use and restarts the idle time.
    /// </summary>
    public bool Touch(string? id, string? user, bool activity = true)
    {
        if (id is null || user is null)
            return false;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out var s))
                return false;
            if (s.User != user || now - s.LastSeen > idle)
            {
                _sessions.Remove(id);
                return false;
            }
            if (activity)
                _sessions[id] = (s.User, now);
            return true;
        }
    }

    public void End(string? id)
    {
        if (id is null)
            return;
        lock (_lock)
            _sessions.Remove(id);
    }

    /// <summary>Ends every session of the user but one (the one that changed the password); returns how many ended.</summary>
    public int EndAllOf(string user, string? except)
    {
        lock (_lock)
        {
            var ended = _sessions.Where(s => s.Value.User == user && s.Key != except).Select(s => s.Key).ToList();
            foreach (var id in ended)
                _sessions.Remove(id);
            return ended.Count;
        }
    }

    public static string? IdOf(ClaimsPrincipal user) => user.FindFirst(ClaimType)?.Value;
}
