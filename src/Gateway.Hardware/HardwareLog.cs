using Microsoft.Extensions.Logging;

namespace Gateway.Hardware;

/// <summary>Log messages of the hardware layer, with stable event ids (4001–4099). Never patient data.</summary>
internal static partial class HardwareLog
{
    [LoggerMessage(4001, LogLevel.Information, "device connected on {Port}")]
    public static partial void Connected(ILogger logger, string port);

    [LoggerMessage(4002, LogLevel.Warning, "device disconnected from {Port}: {Reason}; looking for it again every {ReopenMs} ms")]
    public static partial void Disconnected(ILogger logger, string port, string reason, int reopenMs);

    [LoggerMessage(4003, LogLevel.Warning, "frame rejected ({Fault}) on {Port}: {Reason}; NAK sent")]
    public static partial void FrameRejected(ILogger logger, string fault, string port, string reason);

    [LoggerMessage(4004, LogLevel.Information, "frame {FrameNumber} resent identically by the device (our ACK was lost); acknowledged again, not stored twice")]
    public static partial void Duplicate(ILogger logger, string frameNumber);

    [LoggerMessage(4011, LogLevel.Warning, "the last stored frame could not be remembered on disk ({Reason}); a resend after a crash now could be stored twice")]
    public static partial void MemoryNotKept(ILogger logger, string reason);

    [LoggerMessage(4005, LogLevel.Warning, "text line ignored on {Port}: {Reason}")]
    public static partial void LineIgnored(ILogger logger, string port, string reason);

    [LoggerMessage(4006, LogLevel.Information, "watch folder: {File} imported")]
    public static partial void Imported(ILogger logger, string file);

    [LoggerMessage(4007, LogLevel.Warning, "watch folder: {File} moved to failed/: {Reason}")]
    public static partial void ImportFailed(ILogger logger, string file, string reason);

    [LoggerMessage(4008, LogLevel.Information, "GPIO {Input} (line {Line}): {Action}")]
    public static partial void Trigger(ILogger logger, string input, int line, string action);

    [LoggerMessage(4009, LogLevel.Error, "watch folder {Folder}: {Reason}")]
    public static partial void WatchFolderError(ILogger logger, string folder, string reason);

    [LoggerMessage(4010, LogLevel.Warning, "frame not stored: {Reason}; NAK sent")]
    public static partial void NotStored(ILogger logger, string reason);
}
