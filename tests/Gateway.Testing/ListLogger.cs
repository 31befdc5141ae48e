using Microsoft.Extensions.Logging;

namespace Gateway.Testing;

/// <summary>A logger that keeps every line as "[event id] level: message" (and the exception's message), for assertions.</summary>
public sealed class ListLogger : ILogger
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = $"[{eventId.Id}] {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.Message)}";
        lock (_lines)
            _lines.Add(line);
    }
}
