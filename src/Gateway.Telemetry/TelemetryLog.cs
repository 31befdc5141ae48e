using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

/// <summary>Telemetry log messages with stable event ids (5001–5099). Never the broker password.</summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(5001, LogLevel.Information, "MQTT connected to {Host}:{Port} as {ClientId}")]
    public static partial void Connected(ILogger logger, string host, int port, string clientId);

    [LoggerMessage(5002, LogLevel.Warning, "MQTT broker {Host}:{Port} unreachable: {Reason}; retrying in {DelaySeconds:F0} s (events are buffered)")]
    public static partial void Unreachable(ILogger logger, string host, int port, string reason, double delaySeconds);

    [LoggerMessage(5003, LogLevel.Warning, "MQTT connection to {Host}:{Port} lost: {Reason}")]
    public static partial void Lost(ILogger logger, string host, int port, string reason);
}
