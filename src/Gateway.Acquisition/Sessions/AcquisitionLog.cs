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
}
