namespace Gateway.Web.Logging;

/// <summary>Which of the System page's logs an entry belongs to; each has its own buffer, so one cannot push out another.</summary>
public enum LogKind
{
    /// <summary>The page's own events: setup, logins, lockouts, logouts, changes made through the page.</summary>
    Security,

    /// <summary>Warnings and errors of every other part.</summary>
    Problem,

    /// <summary>Everything else (information).</summary>
    Other,
}
