using Gateway.Shared;
using Gateway.Web.Logging;
using Microsoft.Extensions.Logging;

namespace Gateway.Web;

/// <summary>
/// Web page log messages with stable event ids (6001–6099), all in the category <see cref="Category"/> (the System
/// page's security log). Never passwords; the setup code only before setup, by design, and only to the journal (the
/// page hides it). Every value that came from outside (user names, Origin headers, destination names) is passed
/// through <see cref="LogText.Quote"/> by the caller's helper here, so it cannot forge a log line.
/// </summary>
internal static partial class WebLog
{
    public const string Category = "gateway.web";

    [LoggerMessage(6001, LogLevel.Warning, "Web page not set up: open https://{Address}:{Port}/setup on the box and enter the setup code {SetupCode} (also in {File}, readable by root) to choose the admin password")]
    public static partial void SetupCode(ILogger logger, string address, int port, string setupCode, string file);

    [LoggerMessage(6002, LogLevel.Information, "Web page on https://{Address}:{Port} (certificate SHA-256 {Fingerprint}){Redirect}")]
    public static partial void Listening(ILogger logger, string address, int port, string fingerprint, string redirect);

    [LoggerMessage(6003, LogLevel.Warning, "Web page: login refused for {User} from {Remote}")]
    private static partial void LoginFailedCore(ILogger logger, string user, string remote);

    [LoggerMessage(6004, LogLevel.Information, "Web page: {User} logged in from {Remote}")]
    private static partial void LoggedInCore(ILogger logger, string user, string remote);

    [LoggerMessage(6005, LogLevel.Information, "Web page: {What} by {User}")]
    private static partial void ChangedCore(ILogger logger, string what, string user);

    [LoggerMessage(6006, LogLevel.Warning, "Web page: login refused for {User} from {Remote} (locked out until {Until:HH:mm}; further refusals of this lockout are not logged)")]
    private static partial void LockedOutCore(ILogger logger, string user, string remote, DateTimeOffset until);

    [LoggerMessage(6007, LogLevel.Information, "Web page: {User} logged out from {Remote}")]
    private static partial void LoggedOutCore(ILogger logger, string user, string remote);

    [LoggerMessage(6008, LogLevel.Information, "Web page: password changed by {User}; {Count} other session(s) ended")]
    private static partial void PasswordChangedCore(ILogger logger, string user, int count);

    [LoggerMessage(6020, LogLevel.Error, "Web page: could not start for its first visitor ({Reason}); trying again")]
    public static partial void StartFailed(ILogger logger, string reason);

    [LoggerMessage(6009, LogLevel.Warning, "Web page: {Method} {Path} from {Remote} refused: it came from {Origin}, not from this page (at most one such line a minute per address)")]
    private static partial void ForeignOriginCore(ILogger logger, string method, string path, string remote, string origin);

    [LoggerMessage(6010, LogLevel.Warning, "Web page: wrong current password given by {User} from {Remote} to change the password")]
    private static partial void WrongCurrentPasswordCore(ILogger logger, string user, string remote);

    [LoggerMessage(6011, LogLevel.Warning, "Web page: {Count} more login(s) refused from {Remote} since {Since:HH:mm:ss}, the last for {User} (one such line a minute per address)")]
    private static partial void MoreLoginsFailedCore(ILogger logger, int count, string remote, DateTimeOffset since, string user);

    /// <summary>
    /// The events anyone can cause without a session (refused logins, lockouts, foreign requests): the System page keeps
    /// them apart from the signed-in technician's (<see cref="Logging.LogKind.Audit"/>), so a flood of them cannot push
    /// those out (issue #14).
    /// </summary>
    public static bool IsAnonymous(int eventId) => eventId is 6003 or 6006 or 6009 or 6011;

    public static void WrongCurrentPassword(ILogger logger, string user, string remote) => WrongCurrentPasswordCore(logger, LogText.Quote(user), remote);

    public static void MoreLoginsFailed(ILogger logger, int count, string remote, DateTimeOffset since, string user) =>
        MoreLoginsFailedCore(logger, count, remote, since.ToLocalTime(), LogText.Quote(user));

    public static void LoginFailed(ILogger logger, string user, string remote) => LoginFailedCore(logger, LogText.Quote(user), remote);

    public static void LockedOut(ILogger logger, string user, string remote, DateTimeOffset until) => LockedOutCore(logger, LogText.Quote(user), remote, until.ToLocalTime());

    public static void LoggedIn(ILogger logger, string user, string remote) => LoggedInCore(logger, LogText.Quote(user), remote);

    public static void LoggedOut(ILogger logger, string user, string remote) => LoggedOutCore(logger, LogText.Quote(user), remote);

    public static void PasswordChanged(ILogger logger, string user, int count) => PasswordChangedCore(logger, LogText.Quote(user), count);

    /// <summary>What was changed: a fixed phrase of ours, with outside names already quoted by the caller.</summary>
    public static void Changed(ILogger logger, string what, string user) => ChangedCore(logger, LogText.OneLine(what), LogText.Quote(user));

    public static void ForeignOrigin(ILogger logger, string method, string path, string remote, string origin) =>
        ForeignOriginCore(logger, method, LogText.Quote(path), remote, LogText.Quote(origin));
}

/// <summary>The page's audit line: what a signed-in technician changed (never the values of patient fields).</summary>
internal static class PageAudit
{
    public static void Audit(this Microsoft.AspNetCore.Mvc.RazorPages.PageModel page, ILoggerFactory loggers, string what) =>
        WebLog.Changed(loggers.CreateLogger(WebLog.Category), what, page.User.Identity?.Name ?? "?");
}
