using Microsoft.Extensions.Logging;

namespace Gateway.Host;

/// <summary>Structured log events of the daemon (stable ids 3001…; UIDs and paths, never patient data).</summary>
internal static partial class HostLog
{
    [LoggerMessage(3001, LogLevel.Information, "Spool {Path}: {Entries} entries recovered, {Temp} half-written files and {Orphans} uncommitted payloads removed, {Quarantined} quarantined")]
    public static partial void Recovered(ILogger logger, string path, int entries, int temp, int orphans, int quarantined);

    [LoggerMessage(3049, LogLevel.Information, "Spool {Path} on {Durability}")]
    public static partial void RenameDurability(ILogger logger, string path, string durability);

    [LoggerMessage(3002, LogLevel.Error, "Quarantined at recovery: {Entry}")]
    public static partial void QuarantinedAtRecovery(ILogger logger, string entry);

    [LoggerMessage(3003, LogLevel.Information, "Stopping: no new associations; finishing the objects in flight")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(3004, LogLevel.Error, "Refused {SopInstanceUid}: {Reason}")]
    public static partial void Refused(ILogger logger, string sopInstanceUid, string reason);

    [LoggerMessage(3006, LogLevel.Error, "A forwarder worker has shown no progress for {Seconds} s: the systemd watchdog is no longer fed")]
    public static partial void Wedged(ILogger logger, int seconds);

    [LoggerMessage(3007, LogLevel.Information, "Configuration changed: {Sections} applied without restart")]
    public static partial void ConfigApplied(ILogger logger, string sections);

    [LoggerMessage(3008, LogLevel.Error, "Configuration change refused, the running configuration stays: {Problems}")]
    public static partial void ConfigRejected(ILogger logger, string problems);

    [LoggerMessage(3009, LogLevel.Warning, "Configuration changed; not applied until the next restart (the running values stay, said again at every reload until then): {Sections}")]
    public static partial void RestartNeeded(ILogger logger, string sections);

    [LoggerMessage(3010, LogLevel.Error, "The web page cannot start: {Reason}; the gateway goes on without it")]
    public static partial void WebFailed(ILogger logger, string reason);

    [LoggerMessage(3011, LogLevel.Warning, "No destination is configured: acquired and received objects are refused until one is added (web page or configuration file)")]
    public static partial void NoDestination(ILogger logger);

    [LoggerMessage(3012, LogLevel.Information, "{Count} file(s) never acknowledged to their sender removed from {Directory} (the sender sends them again)")]
    public static partial void Swept(ILogger logger, int count, string directory);

    [LoggerMessage(3005, LogLevel.Critical, "Gateway stopped: {Reason}")]
    public static partial void Fatal(ILogger logger, Exception exception, string reason);

    [LoggerMessage(3020, LogLevel.Error, "Spool control socket: {Reason}")]
    public static partial void ControlFailed(ILogger logger, string reason);

    [LoggerMessage(3021, LogLevel.Information, "Spool control: {Action} asked from the command line: {Result}")]
    public static partial void ControlDone(ILogger logger, string action, string result);

    [LoggerMessage(3022, LogLevel.Warning, "Corrected at recovery: {Entry}")]
    public static partial void CorrectedAtRecovery(ILogger logger, string entry);

    [LoggerMessage(3023, LogLevel.Error, "{Part} failed ({Reason}); restarting it in {DelaySeconds:0.#} s")]
    public static partial void SubsystemFailed(ILogger logger, Exception exception, string part, string reason, double delaySeconds);

    [LoggerMessage(3024, LogLevel.Error, "Applying the configuration change failed ({Kind}: {Reason}); the file is looked at again at its next change")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string kind, string reason);

    [LoggerMessage(3025, LogLevel.Warning, "{Count} spooled object(s) wait only for destinations that are not configured ({Names}): add the destination back, or purge them")]
    public static partial void StrandedEntries(ILogger logger, int count, string names);

    [LoggerMessage(3026, LogLevel.Error, "Spool control socket not available ({Reason}): `gateway spool retry|purge` cannot reach this service; the web page's Spool page still can")]
    public static partial void ControlUnavailable(ILogger logger, string reason);

    [LoggerMessage(3027, LogLevel.Error, "Stopping {Part} failed: {Reason}; the other parts stop as usual")]
    public static partial void PartStopFailed(ILogger logger, Exception exception, string part, string reason);

    [LoggerMessage(3028, LogLevel.Critical, "The spool cannot be used ({Reason}): stopping with exit status 1")]
    public static partial void SpoolUnusable(ILogger logger, string reason);

    [LoggerMessage(3040, LogLevel.Warning, "A storage commitment report came from {CallingAe}, which is no destination with storage commitment: refused (0110)")]
    public static partial void UnexpectedCommitmentReport(ILogger logger, string callingAe);

    [LoggerMessage(3045, LogLevel.Error, "Spool: the deletions of delivered objects are not durable yet ({Reason}); until they are, a power loss brings those objects back and they are sent again, identical")]
    public static partial void DeletionsNotDurable(ILogger logger, string reason);

    [LoggerMessage(3047, LogLevel.Error, "Spool entry {EntryId} quarantined: {Reason}; it is not sent (gateway spool list shows it)")]
    public static partial void Quarantined(ILogger logger, string entryId, string reason);

    [LoggerMessage(3048, LogLevel.Error, "Spool entry {EntryId}: its state file cannot be read ({Reason}); passed over and tried again later, the others go on")]
    public static partial void Unreadable(ILogger logger, string entryId, string reason);

    [LoggerMessage(3046, LogLevel.Error, "Spool: the last deletions could not be made durable at stop ({Kind}: {Reason}); those objects may be sent again after a power loss, identical")]
    public static partial void DeletionsNotDurableAtStop(ILogger logger, string kind, string reason);

    [LoggerMessage(3042, LogLevel.Error, "Ending the exam from the device's input failed ({Kind}: {Reason}); the exam stays in progress")]
    public static partial void EndExamFailed(ILogger logger, string kind, string reason, Exception exception);

    [LoggerMessage(3041, LogLevel.Warning, "Destination {Destination} no longer asks for storage commitment: {Count} object(s) it stored and that awaited its commitment count as delivered")]
    public static partial void CommitmentTurnedOff(ILogger logger, string destination, int count);

    [LoggerMessage(3043, LogLevel.Error, "The box's /metrics could not start on {Address}: {Reason}; the box goes on without it")]
    public static partial void MetricsFailed(ILogger logger, string address, string reason);

    [LoggerMessage(3044, LogLevel.Information, "The box's /metrics is served on http://{Address}/metrics to {Allow}")]
    public static partial void MetricsServing(ILogger logger, string address, string allow);
}
