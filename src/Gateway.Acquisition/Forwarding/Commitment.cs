using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Shared;
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
/// sent again, or dead-lettered with the archive's reason once the archive stored it <see cref="CommitmentPolicy.MaxSends"/>
/// times. An instance matches only when the report's Transaction UID is one we asked it in (the newest or a kept earlier
/// one) and its SOP Class UID is the object's; every change is checked against the entry's state under the spool's lock,
/// so a report racing a resend or another report changes nothing it should not. An instance in both sequences counts
/// as failed. Items of other transactions or instances are ignored (counted as "not awaited here").
/// </summary>
public sealed class CommitmentReports(DurableSpool spool, IReadOnlyList<Destination> destinations, TimeProvider? time = null, ILogger? logger = null)
{
    /// <summary>More items than this in one report are not looked at (a broken or hostile archive): answered 0110.</summary>
    public const int MaxItems = 50_000;

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
        var committedItems = Items(report, DicomTags.ReferencedSOPSequence);
        var failedItems = Items(report, DicomTags.FailedSOPSequence);
        var name = candidates.Count == 1 ? candidates[0].Name : string.Join(", ", candidates.Select(d => d.Name));
        if (committedItems.Count + failedItems.Count > MaxItems)
        {
            CommitmentLog.ReportTooLarge(_logger, name, transaction, committedItems.Count + failedItems.Count, MaxItems);
            return new DimseReply(DicomStatus.ProcessingFailure with { ErrorComment = $"more than {MaxItems} items" });
        }
        // One scan of the spool per candidate, then look-ups by SOP Instance UID.
        var awaiting = candidates.Select(d => (Destination: d, Entries: spool.AwaitingIn(d.Name, transaction))).ToList();
        int committed = 0, failed = 0, unknown = 0, problems = 0;
        // Failures first: an instance in both sequences is not committed.
        foreach (var item in failedItems)
        {
            if (Find(awaiting, item) is not { } hit)
            {
                unknown++;
                continue;
            }
            var reason = FailureText(item);
            if (Try(() => Failed(hit.Destination, hit.Entry, $"the archive did not commit it (transaction {transaction}): failure reason {reason}", transaction), hit.Entry, name, ref problems))
                failed++;
            else
                unknown++;
        }
        foreach (var item in committedItems)
        {
            if (Find(awaiting, item) is { } hit && Try(() => spool.TryCommit(hit.Entry.Id, hit.Destination.Name, transaction), hit.Entry, name, ref problems))
            {
                CommitmentLog.Committed(_logger, hit.Entry.SopInstanceUid, hit.Destination.Name, transaction);
                committed++;
            }
            else
                unknown++;
        }
        CommitmentLog.Report(_logger, name, transaction, committed, failed, unknown);
        Applied?.Invoke(transaction);
        // A state that could not be written (a full disk): the archive is told, and may report again; what was not
        // written still awaits and is asked for again after the time-out.
        return problems == 0 ? DimseReply.Success : new DimseReply(DicomStatus.ProcessingFailure with { ErrorComment = "the report could not be recorded in full" });
    }

    private bool Try(Func<bool> change, SpoolEntry entry, string destination, ref int problems)
    {
        try
        {
            return change();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyNotFoundException)
        {
            problems++;
            CommitmentLog.ApplyFailed(_logger, entry.SopInstanceUid, destination, e.GetType().Name, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Sends the object again, or dead-letters it once the archive stored it <see cref="CommitmentPolicy.MaxSends"/> times.
    /// With <paramref name="transaction"/> only if the delivery still awaits that transaction. False when nothing changed.
    /// </summary>
    internal bool Failed(Destination destination, SpoolEntry entry, string reason, string? transaction = null)
    {
        bool Awaits(Delivery d) => transaction is null ? d.State == DeliveryState.AwaitingCommitment : d.InTransaction(transaction);
        var sends = entry.Deliveries[destination.Name].Stored;
        if (sends >= (destination.Commitment?.MaxSends ?? 1))
        {
            if (!spool.MarkDead(entry.Id, destination.Name, reason + $"; stored {sends} times", Awaits))
                return false;
            CommitmentLog.DeadLettered(_logger, entry.SopInstanceUid, destination.Name, reason);
            return true;
        }
        if (!spool.MarkCommitFailed(entry.Id, destination.Name, reason, _time.GetUtcNow(), transaction))
            return false;
        CommitmentLog.SendingAgain(_logger, entry.SopInstanceUid, destination.Name, reason);
        return true;
    }

    private static (Destination Destination, SpoolEntry Entry)? Find(List<(Destination Destination, IReadOnlyDictionary<string, SpoolEntry> Entries)> awaiting, DicomDataset item)
    {
        if (item.TryGetString(DicomTags.ReferencedSOPInstanceUID) is not { Length: > 0 } instance)
            return null;
        foreach (var (d, entries) in awaiting)
        {
            if (entries.TryGetValue(instance, out var entry) && item.TryGetString(DicomTags.ReferencedSOPClassUID) == entry.SopClassUid)
                return (d, entry);
        }
        return null;
    }

    /// <summary>The N-ACTION's data set (PS3.4 J.3.2): the Transaction UID and a Referenced SOP Sequence item per instance.</summary>
    public static DicomDataset Request(string transaction, IEnumerable<(string SopClass, string SopInstance)> instances)
    {
        var request = new DicomDataset();
        request.Set(DicomTags.TransactionUID, DicomVR.UI, transaction);
        request.AddOrUpdate(new DicomSequence(DicomTags.ReferencedSOPSequence, instances.Select(i =>
        {
            var item = new DicomDataset();
            item.Set(DicomTags.ReferencedSOPClassUID, DicomVR.UI, i.SopClass);
            item.Set(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, i.SopInstance);
            return item;
        })));
        return request;
    }

    /// <summary>A Failed SOP Sequence item's reason in words, e.g. "0112H (no such object instance)".</summary>
    public static string FailureText(DicomDataset item) =>
        FailureReason(item) is { } code ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{code:X4}H ({FailureMeaning(code)})") : "no reason given";

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

    private static IReadOnlyList<DicomDataset> Items(DicomDataset report, DicomTag tag) =>
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
/// leaves, so a report arriving after a restart is still matched. When the process starts (<c>afterStart</c>) every
/// awaiting entry is asked for again at once, not counted (whether the last request left before a crash is unknown;
/// the earlier transaction stays matchable); a reload of the configuration does not do that. A request answered with
/// no report <see cref="CommitmentPolicy.MaxRequests"/> times sends the object again. A request that never reached the
/// archive (no connection, an abort) is asked again after the destination's back-off and does not count; one refused
/// (failure status, context not accepted) is asked again after the back-off and counts. The report is taken on the
/// requesting association for <see cref="CommitmentPolicy.SameAssociationWait"/> — by a waiter of its own, at most
/// four at a time, so the next batch does not wait — and later on our SCP. Survives every exception: said at once
/// (2012), a back-off, then on.
/// </summary>
public sealed class CommitmentRequester(DurableSpool spool, Destination destination, CommitmentReports reports, bool afterStart, TimeProvider? time = null, ILogger? logger = null)
    : IDisposable
{
    private const int MaxHeld = 4;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _held = new(MaxHeld);
    private readonly List<Task> _holding = [];
    private readonly CommitmentPolicy _policy = destination.Commitment ?? throw new ArgumentException("the destination has no commitment policy", nameof(destination));
    private int _failures;

    public Destination Destination => destination;

    /// <summary>Something awaits commitment (an object was just stored): ask soon.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
            _wake.Release();
    }

    public void Dispose()
    {
        _wake.Dispose();
        _held.Dispose();
    }

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
            Task[] holding;
            lock (_holding)
                holding = [.. _holding];
            await Task.WhenAll(holding).ConfigureAwait(false); // they end with ct and never throw
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var askedSinceStart = new HashSet<string>(StringComparer.Ordinal);
        var firstPass = afterStart;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                IReadOnlyList<SpoolEntry> due = firstPass
                    ? [.. spool.CommitmentDue(destination.Name, DateTimeOffset.MaxValue, int.MaxValue).Where(e => !askedSinceStart.Contains(e.Id)).Take(_policy.BatchLimit)]
                    : spool.CommitmentDue(destination.Name, _time.GetUtcNow(), _policy.BatchLimit);
                if (due.Count == 0)
                {
                    if (firstPass)
                    {
                        firstPass = false;
                        askedSinceStart.Clear();
                        continue;
                    }
                    await WaitAsync(ct).ConfigureAwait(false);
                    continue;
                }
                if (firstPass)
                    askedSinceStart.UnionWith(due.Select(e => e.Id));
                await RequestAsync(due, firstPass, ct).ConfigureAwait(false);
                _failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                var delay = Forwarder.Backoff(destination, _failures++, Random.Shared.NextDouble());
                // The archive away or aborting is expected and said in one line; a stack trace only for what is not.
                var expected = e is DicomNetworkException or IOException or TimeoutException or System.Security.Authentication.AuthenticationException;
                CommitmentLog.RequestFailed(_logger, destination.Name, e.GetType().Name, LogText.Bounded(e.Message), delay.TotalSeconds, expected ? null : e);
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

    private async Task RequestAsync(IReadOnlyList<SpoolEntry> due, bool againAfterStart, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var transaction = DicomUidGenerator.Default.NewUid();
        var asked = new List<SpoolEntry>();
        foreach (var entry in due)
        {
            var delivery = entry.Deliveries[destination.Name];
            // Due by its deadline (not merely asked again after a start) with every request left without a report.
            if (!againAfterStart && delivery.Transaction is not null && delivery.CommitRequests >= _policy.MaxRequests)
            {
                reports.Failed(destination, entry, $"no commitment report after {delivery.CommitRequests} requests");
                continue;
            }
            if (spool.MarkCommitRequested(entry.Id, destination.Name, transaction, now + _policy.Timeout, count: !againAfterStart || delivery.Transaction is null))
                asked.Add(entry);
        }
        if (asked.Count == 0)
            return;
        // The instance the archive stored: a lossy transcode on the way gave it its own SOP Instance UID (issue #19).
        var request = CommitmentReports.Request(transaction, asked.Select(e => (e.SopClassUid, e.Deliveries[destination.Name].SentSopInstanceUid ?? e.SopInstanceUid)));
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnApplied(string t)
        {
            if (t == transaction)
                reported.TrySetResult();
        }
        void Reschedule(bool reached)
        {
            var next = _time.GetUtcNow() + Forwarder.Backoff(destination, _failures, Random.Shared.NextDouble());
            foreach (var e in asked)
                spool.RescheduleCommitRequest(e.Id, destination.Name, transaction, next, uncount: !reached);
        }
        await _held.WaitAsync(ct).ConfigureAwait(false);
        DicomClientAssociation? association = null;
        var handedOver = false;
        reports.Applied += OnApplied;
        try
        {
            var handlers = new DimseHandlers().On(CommandField.NEventReportRequest, DicomUids.StorageCommitmentPushModel,
                (r, _) => ValueTask.FromResult(reports.Apply([destination], r)));
            DimseResponse response;
            try
            {
                association = await DicomClient.OpenAsync(destination.Client with { Handlers = handlers },
                    [new PresentationContextProposal(1, DicomUids.StorageCommitmentPushModel, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian])],
                    ct).ConfigureAwait(false);
                if (!association.AcceptedContexts.Any(c => c.AbstractSyntax == DicomUids.StorageCommitmentPushModel))
                {
                    // The archive does not offer commitment: refused, counted (it ends in a resend, then a dead letter).
                    CommitmentLog.Refused(_logger, destination.Name, transaction, asked.Count, association.WhyNotAccepted(DicomUids.StorageCommitmentPushModel));
                    Reschedule(reached: true);
                    await association.ReleaseAsync(ct).ConfigureAwait(false);
                    return;
                }
                response = await association.NActionAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, 1, request, ct)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Reschedule(reached: false); // never reached the archive (or no answer): not counted
                throw;
            }
            if (!response.Status.IsSuccess)
            {
                CommitmentLog.Refused(_logger, destination.Name, transaction, asked.Count, response.Status.ToString());
                Reschedule(reached: true);
                await association.ReleaseAsync(ct).ConfigureAwait(false);
                return;
            }
            CommitmentLog.Requested(_logger, destination.Name, transaction, asked.Count);
            if (_policy.SameAssociationWait > TimeSpan.Zero && !reported.Task.IsCompleted)
            {
                var hold = HoldAsync(association, reported.Task, OnApplied, ct);
                handedOver = true;
                lock (_holding)
                {
                    _holding.RemoveAll(t => t.IsCompleted);
                    _holding.Add(hold);
                }
                return;
            }
            await association.ReleaseAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (!handedOver)
            {
                reports.Applied -= OnApplied;
                if (association is not null)
                    await association.DisposeAsync().ConfigureAwait(false);
                _held.Release();
            }
        }
    }

    /// <summary>Keeps the requesting association open for a report on it, then releases it; never throws.</summary>
    private async Task HoldAsync(DicomClientAssociation association, Task reported, Action<string> onApplied, CancellationToken ct)
    {
        try
        {
            await Task.WhenAny(reported, Task.Delay(_policy.SameAssociationWait, _time, ct)).ConfigureAwait(false);
            await association.ReleaseAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DicomNetworkException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The archive went away meanwhile: its report, if any, comes on a new association or the request is made again.
        }
        finally
        {
            reports.Applied -= onApplied;
            await association.DisposeAsync().ConfigureAwait(false);
            _held.Release();
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
    public static partial void RequestFailed(ILogger logger, string destination, string kind, string reason, double delaySeconds, Exception? exception);

    [LoggerMessage(2013, LogLevel.Information, "Commitment report from {Destination} (transaction {Transaction}): {Committed} committed, {Failed} failed, {Unknown} not awaited here")]
    public static partial void Report(ILogger logger, string destination, string transaction, int committed, int failed, int unknown);

    [LoggerMessage(2014, LogLevel.Debug, "Committed {SopInstanceUid} by {Destination} (transaction {Transaction})")]
    public static partial void Committed(ILogger logger, string sopInstanceUid, string destination, string transaction);

    [LoggerMessage(2015, LogLevel.Warning, "{SopInstanceUid} is sent to {Destination} again: {Reason}")]
    public static partial void SendingAgain(ILogger logger, string sopInstanceUid, string destination, string reason);

    [LoggerMessage(2016, LogLevel.Error, "Dead letter: {SopInstanceUid} never committed by {Destination}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string sopInstanceUid, string destination, string reason);

    [LoggerMessage(2017, LogLevel.Error, "A commitment report from {Destination} about {SopInstanceUid} could not be recorded ({Kind}: {Reason}); it still awaits commitment and is asked for again")]
    public static partial void ApplyFailed(ILogger logger, string sopInstanceUid, string destination, string kind, string reason);

    [LoggerMessage(2018, LogLevel.Warning, "A commitment report from {Destination} (transaction {Transaction}) has {Count} items, more than {Max}: not looked at, answered 0110")]
    public static partial void ReportTooLarge(ILogger logger, string destination, string transaction, int count, int max);
}
