using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// The exam's audit trail and the MPPS sender's messages (issue #17), event ids 8001–8099. Never patient data: the
/// exam is named by this box's exam number and our own PPS SOP Instance UID — no names, patient IDs, accession
/// numbers, step keys or the RIS's UIDs.
/// </summary>
internal static partial class ExamLog
{
    [LoggerMessage(8001, LogLevel.Information, "exam {Exam} selected: a worklist step ({Source}); no image yet")]
    public static partial void Selected(ILogger logger, long exam, string source);

    [LoggerMessage(8002, LogLevel.Information, "exam {Exam} changed: {Source} attributes replace the previous selection (exam {Previous}); no image yet")]
    public static partial void Changed(ILogger logger, long exam, string source, long previous);

    [LoggerMessage(8003, LogLevel.Information, "exam {Exam} cleared: no exam selected")]
    public static partial void Cleared(ILogger logger, long exam);

    [LoggerMessage(8004, LogLevel.Information, "exam {Exam} started with its first image: performed procedure step {PpsUid} ({Source})")]
    public static partial void Started(ILogger logger, long exam, string ppsUid, string source);

    [LoggerMessage(8005, LogLevel.Information, "exam {Exam} ended ({Why}): {Instances} instance(s) in {Series} series; MPPS COMPLETED queued")]
    public static partial void Ended(ILogger logger, long exam, string why, int instances, int series);

    [LoggerMessage(8006, LogLevel.Information, "exam {Exam} discontinued (reason {Code}): {Instances} instance(s); MPPS DISCONTINUED {Queued}")]
    public static partial void Discontinued(ILogger logger, long exam, string code, int instances, string queued);

    [LoggerMessage(8007, LogLevel.Warning, "exam request refused ({Request}): {Why}")]
    public static partial void Refused(ILogger logger, string request, string why);

    [LoggerMessage(8008, LogLevel.Error, "exam file {Path} unusable: {Problem}; set aside as {Aside}; no exam is selected (select or enter one)")]
    public static partial void Unusable(ILogger logger, string path, string problem, string aside);

    [LoggerMessage(8009, LogLevel.Error, "exam file {Path} could not be written: {Reason}")]
    public static partial void WriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(8010, LogLevel.Information, "exam {Exam} at start: {Confirmed} instance(s) found committed in the spool, {Dropped} never committed")]
    public static partial void Resolved(ILogger logger, long exam, int confirmed, int dropped);

    [LoggerMessage(8011, LogLevel.Information, "exam {Exam} was ended before the stop: its final MPPS is queued; the record is cleared")]
    public static partial void EndFinished(ILogger logger, long exam);

    [LoggerMessage(8020, LogLevel.Information, "MPPS {Command} {Status} of exam {Exam} ({PpsUid}) accepted by {CalledAe} ({Response})")]
    public static partial void MppsSent(ILogger logger, string command, string status, long exam, string ppsUid, string calledAe, string response);

    [LoggerMessage(8021, LogLevel.Warning, "MPPS SCP {CalledAe} at {Peer} unavailable for {Id} ({Command}): {Reason}; next attempt in {Seconds:F0} s")]
    public static partial void MppsRetry(ILogger logger, string calledAe, string peer, string id, string command, string reason, double seconds);

    [LoggerMessage(8022, LogLevel.Error, "MPPS {Command} {Id} of exam {Exam} refused by {CalledAe}: {Status}; failed (later messages of this exam are held; `gateway spool retry` sends them again)")]
    public static partial void MppsRefused(ILogger logger, string command, string id, long exam, string calledAe, string status);

    [LoggerMessage(8012, LogLevel.Warning, "A multi-frame series of exam {Exam} was written after that exam ended (now exam {Current}): it keeps the patient and study it was acquired under and is in no exam's MPPS")]
    public static partial void OutsideItsExam(ILogger logger, long exam, long current);

    [LoggerMessage(8023, LogLevel.Warning, "MPPS {Command} {Id} of {PpsUid} answered {Status}: an earlier attempt of ours reached the SCP (its answer was lost); taken as done")]
    public static partial void MppsDuplicate(ILogger logger, string command, string id, string ppsUid, string status);

    [LoggerMessage(8024, LogLevel.Error, "MPPS message file unusable, set aside in mpps/unusable: {Problem}")]
    public static partial void MppsUnusable(ILogger logger, string problem);

    [LoggerMessage(8025, LogLevel.Error, "MPPS message {Id} could not be written: {Reason}")]
    public static partial void MppsWriteFailed(ILogger logger, string id, string reason);

    [LoggerMessage(8026, LogLevel.Information, "MPPS SCP {CalledAe} at {Peer} answers again")]
    public static partial void MppsBack(ILogger logger, string calledAe, string peer);
}
