using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Sessions;

/// <summary>Acquisition log messages with stable event ids (2101–2199). UIDs only, never patient data.</summary>
internal static partial class AcquisitionLog
{
    [LoggerMessage(2101, LogLevel.Information, "acquired {SopInstanceUid}: {Frames} frame(s) of {Format}, spool entry {EntryId}")]
    public static partial void Acquired(ILogger logger, string sopInstanceUid, int frames, string format, string entryId);

    [LoggerMessage(2102, LogLevel.Warning, "acquisition failed: {Reason}")]
    public static partial void Failed(ILogger logger, string reason);

    [LoggerMessage(2104, LogLevel.Warning, "{Count} multi-frame series left unfinished by the previous run became objects")]
    public static partial void Recovered(ILogger logger, int count);

    [LoggerMessage(2103, LogLevel.Information, "series {SeriesInstanceUid} ended ({Why})")]
    public static partial void SeriesEnded(ILogger logger, string seriesInstanceUid, string why);

    [LoggerMessage(2105, LogLevel.Warning, "the exam's study {StudyInstanceUid} was used for one patient already; objects of another patient get a study of their own")]
    public static partial void StudyNotShared(ILogger logger, string studyInstanceUid);

    [LoggerMessage(2106, LogLevel.Warning, "device value for {Keyword} left out of the object (the image is stored): {Reason}")]
    public static partial void ValueLeftOut(ILogger logger, string keyword, string reason);

    [LoggerMessage(2190, LogLevel.Warning, "{SopInstanceUid} is spooled uncompressed, not in the profile's {TransferSyntax}: {Reason}")]
    public static partial void NotCompressed(ILogger logger, string sopInstanceUid, string transferSyntax, string reason);

    [LoggerMessage(2110, LogLevel.Warning, "video grabber {Source}: device disconnected: {Reason}; looking for it again in {ReopenMs} ms")]
    public static partial void VideoDisconnected(ILogger logger, string source, string reason, int reopenMs);

    [LoggerMessage(2111, LogLevel.Information, "video grabber {Source} connected")]
    public static partial void VideoConnected(ILogger logger, string source);

    [LoggerMessage(2112, LogLevel.Information, "video: still {SopInstanceUid} durable {LatencyMs} ms after the trigger")]
    public static partial void StillStored(ILogger logger, string sopInstanceUid, long latencyMs);

    [LoggerMessage(2113, LogLevel.Information, "video: clip {SopInstanceUid} started ({Why})")]
    public static partial void ClipStarted(ILogger logger, string sopInstanceUid, string why);

    [LoggerMessage(2114, LogLevel.Information, "video: clip {SopInstanceUid} ended: {Frames} frames, {Bytes} bytes{Note}")]
    public static partial void ClipEnded(ILogger logger, string sopInstanceUid, long frames, long bytes, string note);

    [LoggerMessage(2115, LogLevel.Error, "video: unexpected failure ({Reason}); the grabber is opened again")]
    public static partial void VideoFault(ILogger logger, string reason);

    [LoggerMessage(2116, LogLevel.Information, "video: {What} ignored: {Why}")]
    public static partial void VideoIgnored(ILogger logger, string what, string why);
}
