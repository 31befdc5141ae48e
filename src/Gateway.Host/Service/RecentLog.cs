using Gateway.Web.Logging;

namespace Gateway.Host.Service;

/// <summary>
/// The newest log entries of the whole process, for the web page's System page (one provider shared by every logger
/// factory the process makes). The buffer itself lives in Gateway.Web, so the page's tests run against the same code:
/// security events, problems and chatter in separate bounded buffers, one line per entry, secrets hidden (issue #14).
/// </summary>
internal static class RecentLog
{
    public static RecentLogBuffer Shared { get; } = new();
}
