using Microsoft.Extensions.Logging;

namespace Gateway.Web;

/// <summary>Web page log messages with stable event ids (6001–6099). Never passwords; the setup code only before setup, by design.</summary>
internal static partial class WebLog
{
    [LoggerMessage(6001, LogLevel.Warning, "Web page not set up: open https://{Address}:{Port}/setup on the box and enter the setup code {Code} (also in {File}, readable by root) to choose the admin password")]
    public static partial void SetupCode(ILogger logger, string address, int port, string code, string file);

    [LoggerMessage(6002, LogLevel.Information, "Web page on https://{Address}:{Port} (certificate SHA-256 {Fingerprint}){Redirect}")]
    public static partial void Listening(ILogger logger, string address, int port, string fingerprint, string redirect);

    [LoggerMessage(6003, LogLevel.Warning, "Web page: login refused for {User} from {Remote}{Locked}")]
    public static partial void LoginFailed(ILogger logger, string user, string remote, string locked);

    [LoggerMessage(6004, LogLevel.Information, "Web page: {User} logged in from {Remote}")]
    public static partial void LoggedIn(ILogger logger, string user, string remote);

    [LoggerMessage(6005, LogLevel.Information, "Web page: {What} by {User}")]
    public static partial void Changed(ILogger logger, string what, string user);
}

/// <summary>The page's audit line: what a signed-in technician changed (never the values of patient fields).</summary>
internal static class PageAudit
{
    public static void Audit(this Microsoft.AspNetCore.Mvc.RazorPages.PageModel page, ILoggerFactory loggers, string what) =>
        WebLog.Changed(loggers.CreateLogger("gateway.web"), what, page.User.Identity?.Name ?? "?");
}
