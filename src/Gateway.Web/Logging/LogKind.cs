namespace Gateway.Web.Logging;

/// <summary>Which of the System page's logs an entry belongs to; each has its own buffer, so one cannot push out another.</summary>
public enum LogKind
{
    /// <summary>The page's events anyone can cause without logging in: refused logins, lockouts, foreign requests.</summary>
    Security,

    /// <summary>Warnings and errors of every other part.</summary>
    Problem,

    /// <summary>Everything else (information).</summary>
    Other,

    /// <summary>
    /// The page's events only a signed-in technician (or the service itself) causes: logins that succeeded, logouts,
    /// changes, the page starting. Their own buffer, so anonymous requests cannot push them out (issue #14). The System
    /// page shows them with <see cref="Security"/> as one security log.
    /// </summary>
    Audit,
}
