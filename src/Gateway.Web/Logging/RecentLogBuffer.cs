using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Logging;

/// <summary>
/// The newest log lines, for the System page: one bounded buffer per <see cref="LogKind"/>, so anonymous chatter
/// cannot push the security events out (issue #14: 300 requests to /login flushed the failed-login lines). Messages
/// are kept on one line each, and values logged under a secret's name (the setup code) are hidden: the journal has
/// them for root, the page does not show them. Our log messages never hold patient data. Thread-safe.
/// </summary>
public sealed class RecentLogBuffer(TimeProvider? time = null) : ILoggerProvider
{
    public const int Capacity = 500;

    /// <summary>Structured values under these names never reach the page.</summary>
    private static readonly HashSet<string> SecretNames = new(StringComparer.OrdinalIgnoreCase) { "SetupCode", "Password", "Secret" };

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Queue<LogEntry>[] _buffers = [new(), new(), new(), new()];
    private long _sequence;

    /// <summary>Newest first; some kinds merged, or all of them.</summary>
    public IReadOnlyList<LogEntry> Entries(params LogKind[] kinds)
    {
        lock (_lock)
        {
            var all = kinds.Length > 0 ? kinds.Distinct().SelectMany(k => _buffers[(int)k]) : _buffers.SelectMany(b => b);
            return [.. all.OrderByDescending(e => e.Sequence)];
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>
    /// The page's own category is the security log — split into what anyone can cause (<see cref="LogKind.Security"/>)
    /// and what only a signed-in technician can (<see cref="LogKind.Audit"/>); elsewhere warnings and errors are problems.
    /// </summary>
    public static LogKind KindOf(string category, LogLevel level, int eventId = 0) =>
        category == WebLog.Category || category.StartsWith(WebLog.Category + ".", StringComparison.Ordinal)
            ? (WebLog.IsAnonymous(eventId) ? LogKind.Security : LogKind.Audit)
        : level >= LogLevel.Warning ? LogKind.Problem : LogKind.Other;

    private void Add(LogLevel level, string category, int eventId, string message)
    {
        var kind = KindOf(category, level, eventId);
        lock (_lock)
        {
            var buffer = _buffers[(int)kind];
            buffer.Enqueue(new LogEntry(++_sequence, _time.GetLocalNow(), level, category, eventId, message, kind));
            while (buffer.Count > Capacity)
                buffer.Dequeue();
        }
    }

    private static string Redact<TState>(TState state, string message)
    {
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            foreach (var (name, value) in values)
            {
                if (SecretNames.Contains(name) && value?.ToString() is { Length: > 0 } secret)
                    message = message.Replace(secret, "[hidden]", StringComparison.Ordinal);
            }
        }
        return message;
    }

    private sealed class Logger(RecentLogBuffer owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner.Add(logLevel, category, eventId.Id, LogText.OneLine(Redact(state, formatter(state, exception))));
        }
    }
}
