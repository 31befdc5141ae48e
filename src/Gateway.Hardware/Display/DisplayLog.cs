using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Display;

/// <summary>The front panel's log lines (event ids 41xx). They name the display, never what it shows.</summary>
internal static partial class DisplayLog
{
    [LoggerMessage(4101, LogLevel.Information, "front panel {Type} {Size} on i2c-{Bus} at {Address} shows the box status")]
    public static partial void Connected(ILogger logger, string type, string size, int bus, string address);

    [LoggerMessage(4102, LogLevel.Warning, "front panel {Type} on i2c-{Bus} at {Address} does not answer ({Reason}); the gateway runs on without it, looking for it every {RetrySeconds} s")]
    public static partial void NotAnswering(ILogger logger, string type, int bus, string address, string reason, double retrySeconds);
}
