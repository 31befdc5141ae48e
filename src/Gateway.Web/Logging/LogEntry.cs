using Microsoft.Extensions.Logging;

namespace Gateway.Web.Logging;

/// <summary>One log line as the System page shows it. The message has no control characters (<see cref="Gateway.Shared.LogText.OneLine"/>).</summary>
public sealed record LogEntry(long Sequence, DateTimeOffset Time, LogLevel Level, string Category, int EventId, string Message, LogKind Kind);
