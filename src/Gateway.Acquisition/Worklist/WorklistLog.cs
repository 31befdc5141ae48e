using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Worklist;

/// <summary>Worklist log messages with stable event ids (7001–7099): AE titles and counts, never a patient's data.</summary>
internal static partial class WorklistLog
{
    [LoggerMessage(7001, LogLevel.Information, "worklist from {CalledAe} at {Peer}: {Count} scheduled step(s), {WithProblems} with problems")]
    public static partial void Fetched(ILogger logger, string calledAe, string peer, int count, int withProblems);

    [LoggerMessage(7002, LogLevel.Warning, "worklist SCP {CalledAe} at {Peer} unavailable: {Reason}; the list fetched at {FetchedAt} is served, marked stale")]
    public static partial void Unavailable(ILogger logger, string calledAe, string peer, string reason, string fetchedAt);

    [LoggerMessage(7003, LogLevel.Error, "worklist file {Path} could not be written: {Reason}; the previous file stays")]
    public static partial void SaveFailed(ILogger logger, string path, string reason);

    [LoggerMessage(7004, LogLevel.Warning, "worklist file unusable, ignored: {Reason}")]
    public static partial void CacheUnusable(ILogger logger, string reason);

    [LoggerMessage(7005, LogLevel.Information, "worklist SCP {CalledAe} at {Peer} answers again")]
    public static partial void Back(ILogger logger, string calledAe, string peer);
}
