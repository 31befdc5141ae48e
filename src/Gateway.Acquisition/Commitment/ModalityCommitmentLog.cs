using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Commitment;

/// <summary>Structured log events of the Storage Commitment SCP (issue #18; stable ids 2030–2037; UIDs and AE titles, never patient data).</summary>
internal static partial class ModalityCommitmentLog
{
    [LoggerMessage(2030, LogLevel.Information, "Commitment request from {CallingAE} (transaction {Transaction}): {Count} instances, kept as {Id}")]
    public static partial void Received(ILogger logger, string callingAE, string transaction, int count, string id);

    [LoggerMessage(2031, LogLevel.Information, "Reported commitment to {CallingAE} (transaction {Transaction}): {Committed} committed, {Failed} failed, on the {Via} association, {WaitMs} ms after the request")]
    public static partial void Reported(ILogger logger, string callingAE, string transaction, int committed, int failed, string via, int waitMs);

    [LoggerMessage(2032, LogLevel.Warning, "The commitment report to {CallingAE} (transaction {Transaction}) could not be delivered (attempt {Attempt}: {Reason}); next try in {DelaySeconds:0} s")]
    public static partial void ReportFailed(ILogger logger, string callingAE, string transaction, int attempt, string reason, double delaySeconds);

    [LoggerMessage(2033, LogLevel.Error, "Gave up the commitment report to {CallingAE} (transaction {Transaction}) after {Attempts} attempts: {Reason}")]
    public static partial void GaveUp(ILogger logger, string callingAE, string transaction, int attempts, string reason);

    [LoggerMessage(2034, LogLevel.Warning, "Refused a commitment request from {CallingAE} with {Status}: {Reason}")]
    public static partial void Refused(ILogger logger, string callingAE, string status, string reason);

    [LoggerMessage(2035, LogLevel.Warning, "Reported {SopInstanceUid} not committed (transaction {Transaction}): failure reason {Reason}, {Why}")]
    public static partial void InstanceFailed(ILogger logger, string sopInstanceUid, string transaction, string reason, string why);

    [LoggerMessage(2036, LogLevel.Error, "The storage commitment SCP failed ({Kind}: {Reason}); the requests stay queued, next pass in {DelaySeconds:0} s")]
    public static partial void LoopFailed(ILogger logger, string kind, string reason, double delaySeconds, Exception exception);

    [LoggerMessage(2037, LogLevel.Error, "Commitment requests or outcomes read back at start: {Problem}")]
    public static partial void Unusable(ILogger logger, string problem);
}
