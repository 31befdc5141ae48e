using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Service;

/// <summary>
/// The newest log lines, for the web page's System page. Our log messages carry UIDs, names of destinations and
/// reasons, never patient data (the log classes are written that way), so showing them is safe.
/// </summary>
internal sealed class RecentLog : ILoggerProvider
{
    private const int Capacity = 300;
    private readonly ConcurrentQueue<string> _lines = new();

    public static RecentLog Shared { get; } = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Capacity && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(RecentLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner.Add(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} {logLevel.ToString()[..4].ToLowerInvariant()} {category}[{eventId.Id}] {formatter(state, exception)}"));
        }
    }
}
