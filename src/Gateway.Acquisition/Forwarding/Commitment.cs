using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Spool;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Acquisition.Forwarding;

/// <summary>
/// Storage Commitment towards one destination (issue #18, PS3.4 Annex J, Push Model). An object the destination stored
/// stays in the spool, <see cref="DeliveryState.AwaitingCommitment"/>, until the archive's report names it committed.
/// </summary>
public sealed record CommitmentPolicy
{
    /// <summary>How long to wait for the report of a request before asking again.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests without a report before the object is sent again (and commitment asked for anew).</summary>
    public int MaxRequests { get; init; } = 3;

    /// <summary>Times the destination stored one object after which a failed commitment is a dead letter.</summary>
    public int MaxSends { get; init; } = 4;

    /// <summary>How long the requesting association stays open for a report on it (archives that answer at once).</summary>
    public TimeSpan SameAssociationWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Instances per N-ACTION (Referenced SOP Sequence items).</summary>
    public int BatchLimit { get; init; } = 500;

    /// <summary>The AE title the archive reports from on a new association to our SCP (default: the destination's AE title).</summary>
    public string? ReportAeTitle { get; init; }
}

/// <summary>
/// Applies commitment reports (N-EVENT-REPORT, event type 1 "all committed" or 2 "some failed") to the spool, whichever
/// association they arrive on. A committed instance's delivery is done (the entry goes when all are); a failed one is
/// sent again, or dead-lettered with the archive's reason once <see cref="CommitmentPolicy.MaxSends"/> sends were made.
/// An instance matches only when the report's Transaction UID is one we asked it in (the newest or a kept earlier one).
/// </summary>
public sealed class CommitmentReports(DurableSpool spool, IReadOnlyList<Destination> destinations, TimeProvider? time = null, ILogger? logger = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Raised after a report was applied, with its Transaction UID.</summary>
    public event Action<string>? Applied;

    /// <summary>The destinations with Storage Commitment whose archive reports from <paramref name="callingAe"/>.</summary>
    public IReadOnlyList<Destination> ReportingAs(string callingAe) =>
        [.. destinations.Where(d => d.Commitment is { } c && (c.ReportAeTitle ?? d.Client.CalledAE) == callingAe)];

    /// <summary>Handles a report from an archive that may be any of <paramref name="candidates"/>; the reply to send.</summary>
    public DimseReply Apply(IReadOnlyList<Destination> candidates, DimseRequest request)
    {
        if (request.Command.EventTypeId is not (1 or 2))
            return new DimseReply(new DicomStatus(0x0113)); // no such event type
        var report = request.DataSet;
        var transaction = report?.TryGetString(DicomTags.TransactionUID);
        if (report is null || string.IsNullOrEmpty(transaction))
            return new DimseReply(new DicomStatus(0x0115)); // invalid argument value: no Transaction UID
        var committed = 0;
        var failed = 0;
        var unknown = 0;
        foreach (var item in Items(report, DicomTags.ReferencedSOPSequence))
        {
            if (Find(candidates, transaction, item) is { } hit)
            {
                spool.MarkDone(hit.Entry.Id, hit.Destination.Name);
                CommitmentLog.Committed(_logger, hit.Entry.SopInstanceUid, hit.Destination.Name, transaction);
                committed++;
            }
            else
                unknown++;
        }
        foreach (var item in Items(report, DicomTags.FailedSOPSequence))
        {
            if (Find(candidates, transaction, item) is not { } hit)
            {
                unknown++;
                continue;
            }
            var reason = FailureReason(item) is { } code ? $"{code:X4}H ({FailureMeaning(code)})" : "no reason given";
            Failed(hit.Destination, hit.Entry, $"the archive did not commit it (transaction {transaction}): failure reason {reason}");
            failed++;
        }
        CommitmentLog.Report(_logger, candidates.Count == 1 ? candidates[0].Name : string.Join(", ", candidates.Select(d => d.Name)),
            transaction, committed, failed, unknown);
        Applied?.Invoke(transaction);
        return DimseReply.Success;
    }

    /// <summary>Sends the object again, or dead-letters it once it was sent <see cref="CommitmentPolicy.MaxSends"/> times.</summary>
    internal void Failed(Destination destination, SpoolEntry entry, string reason)
    {
        var sends = entry.Deliveries[destination.Name].Stored;
        if (sends >= (destination.Commitment?.MaxSends ?? 1))
        {
            spool.MarkDead(entry.Id, destination.Name, reason + $"; sent {sends} times");
            CommitmentLog.DeadLettered(_logger, entry.SopInstanceUid, destination.Name, reason);
            return;
        }
        spool.MarkCommitFailed(entry.Id, destination.Name, reason, _time.GetUtcNow());
        CommitmentLog.SendingAgain(_logger, entry.SopInstanceUid, destination.Name, reason);
    }

    private (Destination Destination, SpoolEntry Entry)? Find(IReadOnlyList<Destination> candidates, string transaction, DicomDataset item)
    {
        if (item.TryGetString(DicomTags.ReferencedSOPInstanceUID) is not { Length: > 0 } instance)
            return null;
        foreach (var d in candidates)
        {
            if (spool.FindAwaiting(d.Name, transaction, instance) is { } entry
                && item.TryGetString(DicomTags.ReferencedSOPClassUID) is { } sopClass && sopClass == entry.SopClassUid)
                return (d, entry);
        }
        return null;
    }

    private static int? FailureReason(DicomDataset item)
    {
        try
        {
            return item.Contains(DicomTags.FailureReason) ? item.GetInt(DicomTags.FailureReason) : null;
        }
        catch (Exception e) when (e is DicomValueException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            return null; // a malformed reason is still a failure
        }
    }

    private static IEnumerable<DicomDataset> Items(DicomDataset report, DicomTag tag) =>
        report.Find(tag) is DicomSequence s ? s.Items : [];

    /// <summary>PS3.4 J.3.3.1.1 Failure Reason values.</summary>
    public static string FailureMeaning(int code) => code switch
    {
        0x0110 => "processing failure",
        0x0112 => "no such object instance",
        0x0213 => "resource limitation",
        0x0122 => "referenced SOP class not supported",
        0x0119 => "class / instance conflict",
        0x0131 => "duplicate transaction UID",
        _ => "unknown reason",
    };
}

/// <summary>
/// Asks one destination's archive to commit what it stored (N-ACTION, action type 1): every awaiting entry that was not
/// yet asked for, or whose request had no report within <see cref="CommitmentPolicy.Timeout"/>, in batches of at most
/// <see cref="CommitmentPolicy.BatchLimit"/>. The Transaction UID is written into each entry <b>before</b> the request
/// leaves, so a report arriving after a restart is still matched. After a start every awaiting entry is asked for
/// again at once (whether the last request left before the crash is unknown; the earlier transaction stays matchable).
/// A request left without report <see cref="CommitmentPolicy.MaxRequests"/> times sends the object again. The report
/// is taken on the requesting association for <see cref="CommitmentPolicy.SameAssociationWait"/>, later on our SCP.
/// Survives every exception: said at once (2012), a back-off, then on.
/// </summary>
public sealed class CommitmentRequester(DurableSpool spool, Destination destination, CommitmentReports reports, TimeProvider? time = null, ILogger? logger = null)
    : IDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CommitmentPolicy _policy = destination.Commitment ?? throw new ArgumentException("the destination has no commitment policy", nameof(destination));

    public Destination Destination => destination;

    /// <summary>Something awaits commitment (an object was just stored): ask soon.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
            _wake.Release();
    }

    public void Dispose() => _wake.Dispose();

    private void OnSpoolChanged(SpoolEvent e)
    {
        if (e.Kind == SpoolEvent.AwaitingCommitment && e.Destination == destination.Name)
            Wake();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        spool.Changed += OnSpoolChanged;
        try
        {
            await LoopAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            spool.Changed -= OnSpoolChanged;
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        // After a start every awaiting entry is asked for once, whatever its deadline; then only the due ones.
        var askedSinceStart = new HashSet<string>(StringComparer.Ordinal);
        var afterStart = true;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                IReadOnlyList<SpoolEntry> due = afterStart
                    ? [.. spool.CommitmentDue(destination.Name, DateTimeOffset.MaxValue, int.MaxValue).Where(e => !askedSinceStart.Contains(e.Id)).Take(_policy.BatchLimit)]
                    : spool.CommitmentDue(destination.Name, _time.GetUtcNow(), _policy.BatchLimit);
                if (due.Count == 0)
                {
                    if (afterStart)
                    {
                        afterStart = false;
                        askedSinceStart.Clear();
                        continue;
                    }
                    await WaitAsync(ct).ConfigureAwait(false);
                    continue;
                }
                if (afterStart)
                    askedSinceStart.UnionWith(due.Select(e => e.Id));
                await RequestAsync(due, ct).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                var delay = Forwarder.Backoff(destination, failures - 1, Random.Shared.NextDouble());
                CommitmentLog.RequestFailed(_logger, destination.Name, e.GetType().Name, e.Message, delay.TotalSeconds, e);
                try
                {
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task WaitAsync(CancellationToken ct)
    {
        var next = spool.NextCommitmentTime(destination.Name);
        var delay = next is { } n ? n - _time.GetUtcNow() : TimeSpan.FromSeconds(30);
        if (delay > TimeSpan.FromSeconds(30))
            delay = TimeSpan.FromSeconds(30);
        if (delay <= TimeSpan.Zero)
            return;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wake = _wake.WaitAsync(either.Token);
        var sleep = Task.Delay(delay, _time, either.Token);
        var first = await Task.WhenAny(wake, sleep).ConfigureAwait(false);
        await either.CancelAsync().ConfigureAwait(false);
        foreach (var t in new[] { wake, sleep })
        {
            try
            {
                await t.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        ct.ThrowIfCancellationRequested();
        if (first == wake)
            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, ct).ConfigureAwait(false); // let a burst of stores gather
    }

    private async Task RequestAsync(IReadOnlyList<SpoolEntry> due, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var transaction = DicomUidGenerator.Default.NewUid();
        var asked = new List<SpoolEntry>();
        foreach (var entry in due)
        {
            var delivery = entry.Deliveries[destination.Name];
            if (delivery.CommitRequests >= _policy.MaxRequests)
            {
                reports.Failed(destination, entry, $"no commitment report after {delivery.CommitRequests} requests");
                continue;
            }
            spool.MarkCommitRequested(entry.Id, destination.Name, transaction, now + _policy.Timeout);
            asked.Add(entry);
        }
        if (asked.Count == 0)
            return;
        var request = new DicomDataset();
        request.Set(DicomTags.TransactionUID, DicomVR.UI, transaction);
        request.AddOrUpdate(new DicomSequence(DicomTags.ReferencedSOPSequence, asked.Select(e =>
        {
            var item = new DicomDataset();
            item.Set(DicomTags.ReferencedSOPClassUID, DicomVR.UI, e.SopClassUid);
            item.Set(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, e.SopInstanceUid);
            return item;
        })));
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnApplied(string t)
        {
            if (t == transaction)
                reported.TrySetResult();
        }
        reports.Applied += OnApplied;
        try
        {
            var handlers = new DimseHandlers().On(CommandField.NEventReportRequest, DicomUids.StorageCommitmentPushModel,
                (r, _) => ValueTask.FromResult(reports.Apply([destination], r)));
            var options = destination.Client with { Handlers = handlers };
            await using var association = await DicomClient.OpenAsync(options,
                [new PresentationContextProposal(1, DicomUids.StorageCommitmentPushModel, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian])],
                ct).ConfigureAwait(false);
            if (!association.AcceptedContexts.Any(c => c.AbstractSyntax == DicomUids.StorageCommitmentPushModel))
            {
                var why = association.WhyNotAccepted(DicomUids.StorageCommitmentPushModel);
                // The archive does not offer commitment: it will never answer. Said once per request; the entries
                // are asked again after the time-out (and finally sent again), so nothing is forgotten uncommitted.
                CommitmentLog.Refused(_logger, destination.Name, transaction, asked.Count, why);
                await association.ReleaseAsync(ct).ConfigureAwait(false);
                return;
            }
            var response = await association.NActionAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, 1, request, ct)
                .ConfigureAwait(false);
            if (!response.Status.IsSuccess)
            {
                CommitmentLog.Refused(_logger, destination.Name, transaction, asked.Count, response.Status.ToString());
                await association.ReleaseAsync(ct).ConfigureAwait(false);
                return;
            }
            CommitmentLog.Requested(_logger, destination.Name, transaction, asked.Count);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            await Task.WhenAny(reported.Task, Task.Delay(_policy.SameAssociationWait, _time, wait.Token)).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
            await association.ReleaseAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            reports.Applied -= OnApplied;
        }
    }
}

/// <summary>Structured log events of Storage Commitment (stable ids; UIDs and destination names, never patient data).</summary>
internal static partial class CommitmentLog
{
    [LoggerMessage(2010, LogLevel.Information, "Asked {Destination} to commit {Count} instances (transaction {Transaction})")]
    public static partial void Requested(ILogger logger, string destination, string transaction, int count);

    [LoggerMessage(2011, LogLevel.Warning, "{Destination} refused the commitment request for {Count} instances (transaction {Transaction}): {Reason}; asked again after the time-out")]
    public static partial void Refused(ILogger logger, string destination, string transaction, int count, string reason);

    [LoggerMessage(2012, LogLevel.Error, "Storage commitment requests to {Destination} failed ({Kind}: {Reason}); the entries stay in the spool, next try in {DelaySeconds:0.0} s")]
    public static partial void RequestFailed(ILogger logger, string destination, string kind, string reason, double delaySeconds, Exception exception);

    [LoggerMessage(2013, LogLevel.Information, "Commitment report from {Destination} (transaction {Transaction}): {Committed} committed, {Failed} failed, {Unknown} not awaited here")]
    public static partial void Report(ILogger logger, string destination, string transaction, int committed, int failed, int unknown);

    [LoggerMessage(2014, LogLevel.Debug, "Committed {SopInstanceUid} by {Destination} (transaction {Transaction})")]
    public static partial void Committed(ILogger logger, string sopInstanceUid, string destination, string transaction);

    [LoggerMessage(2015, LogLevel.Warning, "{SopInstanceUid} is sent to {Destination} again: {Reason}")]
    public static partial void SendingAgain(ILogger logger, string sopInstanceUid, string destination, string reason);

    [LoggerMessage(2016, LogLevel.Error, "Dead letter: {SopInstanceUid} never committed by {Destination}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string sopInstanceUid, string destination, string reason);
}
