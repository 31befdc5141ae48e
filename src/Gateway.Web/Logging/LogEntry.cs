using Microsoft.Extensions.Logging;

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

/// <summary>One log line as the System page shows it. The message has no control characters (<see cref="LogText.OneLine"/>).</summary>
public sealed record LogEntry(long Sequence, DateTimeOffset Time, LogLevel Level, string Category, int EventId, string Message, LogKind Kind);
