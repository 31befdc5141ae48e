using System.Collections.Concurrent;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Spool;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Acquisition.Commitment;

/// <summary>How the gateway answers modalities' Storage Commitment requests (`localScp.commitment`).</summary>
public sealed record ModalityCommitmentPolicy
{
    public CommitWhen AnswerWhen { get; init; } = CommitWhen.Delivered;
    /// <summary>An instance not committed this long after the request is reported failed (0110).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromHours(24);
    /// <summary>Attempts to deliver a report before it is given up (event 2033).</summary>
    public int ReportAttempts { get; init; } = 10;
    public TimeSpan RetryMin { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Where each modality (by AE title) takes reports on a new association: host, port, its AE title as called AE, ours as calling AE, TLS.</summary>
    public IReadOnlyDictionary<string, DicomClientOptions> Modalities { get; init; } = new Dictionary<string, DicomClientOptions>(StringComparer.Ordinal);
}

/// <summary>
/// The gateway as Storage Commitment SCP for the modalities that send to its storage SCP (issue #18; PS3.4 Annex J, Push
/// Model). <see cref="OnRequest"/> performs N-ACTION (action type 1): it checks the request, makes it durable in the
/// <see cref="CommitmentRequestQueue"/> and only then answers success. <see cref="RunAsync"/> decides each pending request
/// (<see cref="CommitmentVerdict.Of"/>, woken by the spool's changes, looked at least every 5 s) and delivers its
/// N-EVENT-REPORT — on the requesting association while it is open (after the N-ACTION response), otherwise on a new
/// association to the modality's configured address, proposing SCP/SCU role selection with us as SCP (PS3.7 D.3.3.4)
/// — one report at a time. A report that cannot be delivered is tried again after a back-off (retryMin doubling up to
/// retryMax) and given up after <see cref="ModalityCommitmentPolicy.ReportAttempts"/> attempts. Survives every exception:
/// said at once (2036), a back-off, then on.
/// </summary>
public sealed class ModalityCommitment(DurableSpool spool, CommitmentRequestQueue queue, ModalityCommitmentPolicy policy, TimeProvider? time = null, ILogger? logger = null)
    : IDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _wake = new(0);
    // The association each request came on, while this process runs (after a restart: none, so a new association).
    private readonly ConcurrentDictionary<string, (DimseAssociation Association, Task Responded)> _live = new(StringComparer.Ordinal);
    private int _failures;

    /// <summary>Raised after a report was delivered ("reported") or given up ("given-up"), with a short detail (no patient data).</summary>
    public event Action<string, string>? Happened;

    public ModalityCommitmentPolicy Policy => policy;
    public CommitmentRequestQueue Queue => queue;

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
            _wake.Release();
    }

    public void Dispose() => _wake.Dispose();

    /// <summary>Logs what was wrong with the queue's or the outcome ledger's files at start (2037).</summary>
    public void SayUnusable(IEnumerable<string> problems)
    {
        foreach (var p in problems)
            ModalityCommitmentLog.Unusable(_logger, p);
    }

    /// <summary>N-ACTION of the Storage Commitment Push Model SOP class (PS3.4 J.3.2), on the SCP's reader thread: checked, made durable, answered.</summary>
    public ValueTask<DimseReply> OnRequest(DimseRequest request, CancellationToken ct) => ValueTask.FromResult(Perform(request));

    private DimseReply Perform(DimseRequest request)
    {
        var calling = request.CallingAE;
        DimseReply Refuse(ushort status, string why)
        {
            ModalityCommitmentLog.Refused(_logger, Gateway.Shared.LogText.Bounded(calling), $"{status:X4}H", why);
            return new DimseReply(new DicomStatus(status, why));
        }
        if (request.Command.ActionTypeId != 1)
            return Refuse(0x0123, "no such action type (1 requests storage commitment)");
        if (request.SopInstanceUid != DicomUids.StorageCommitmentPushModelInstance)
            return Refuse(0x0117, $"the requested SOP instance must be {DicomUids.StorageCommitmentPushModelInstance}");
        if (!policy.Modalities.ContainsKey(calling))
            return Refuse(0x0124, "this AE title has no address for reports in localScp.commitment.modalities");
        var data = request.DataSet;
        var transaction = data?.TryGetString(DicomTags.TransactionUID);
        if (data is null || !OutcomeLedger.IsUid(transaction))
            return Refuse(0x0115, "Transaction UID (0008,1195) is missing or not a UID");
        if (data.Find(DicomTags.ReferencedSOPSequence) is not DicomSequence { Items.Count: > 0 } sequence)
            return Refuse(0x0115, "Referenced SOP Sequence (0008,1199) is missing or empty");
        if (sequence.Items.Count > CommitmentRequestQueue.MaxInstances)
            return Refuse(0x0213, $"more than {CommitmentRequestQueue.MaxInstances} instances in one request");
        var instances = new List<RequestedInstance>(sequence.Items.Count);
        for (var n = 0; n < sequence.Items.Count; n++)
        {
            var item = sequence.Items[n];
            var sopClass = item.TryGetString(DicomTags.ReferencedSOPClassUID);
            var sopInstance = item.TryGetString(DicomTags.ReferencedSOPInstanceUID);
            if (!OutcomeLedger.IsUid(sopClass) || !OutcomeLedger.IsUid(sopInstance))
                return Refuse(0x0115, $"item {n + 1} of Referenced SOP Sequence lacks a valid SOP Class or SOP Instance UID");
            instances.Add(new RequestedInstance(sopClass!, sopInstance!));
        }
        var pending = queue.Pending;
        var duplicate = pending.FirstOrDefault(p => p.TransactionUid == transaction && p.CallingAE == calling);
        if (duplicate is not null && duplicate.Instances.SequenceEqual(instances) && !duplicate.DuplicateOf)
        {
            // The same request again (its response was lost): one request, its report goes on the newest association.
            Remember(duplicate.Id, request);
            Wake();
            return DimseReply.Success;
        }
        if (pending.Count >= CommitmentRequestQueue.MaxPending)
            return Refuse(0x0213, $"{CommitmentRequestQueue.MaxPending} requests are pending already");
        var now = _time.GetUtcNow();
        var record = new CommitmentRequest(queue.NewId(now), transaction!, calling, now, instances, NextAttempt: now, DuplicateOf: duplicate is not null);
        try
        {
            queue.Put(record);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refuse(0x0110, "the request could not be recorded: " + Gateway.Shared.LogText.Bounded(e.Message));
        }
        Remember(record.Id, request);
        ModalityCommitmentLog.Received(_logger, Gateway.Shared.LogText.Bounded(calling), record.TransactionUid, instances.Count, record.Id);
        Wake();
        return DimseReply.Success;
    }

    private void Remember(string id, DimseRequest request)
    {
        if (request.Association is not { } association)
            return;
        _live[id] = (association, request.Responded);
        // A report ready at once waits for the N-ACTION response to be on the wire: looked at again right after it.
        request.Responded.ContinueWith(_ => Wake(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnSpoolChanged(SpoolEvent e)
    {
        if (e.Kind is SpoolEvent.Sent or SpoolEvent.DeadLettered or SpoolEvent.Quarantined or SpoolEvent.Stored)
            Wake();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        spool.Changed += OnSpoolChanged;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await PassAsync(ct).ConfigureAwait(false);
                    _failures = 0;
                    await WaitAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    var delay = Backoff(_failures++);
                    ModalityCommitmentLog.LoopFailed(_logger, e.GetType().Name, e.Message, delay.TotalSeconds, e);
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
        finally
        {
            spool.Changed -= OnSpoolChanged;
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var seconds = policy.RetryMin.TotalSeconds * Math.Pow(2, Math.Min(failures, 20));
        return TimeSpan.FromSeconds(Math.Min(seconds, policy.RetryMax.TotalSeconds));
    }

    private async Task WaitAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var next = queue.Pending.Select(r => r.NextAttempt).DefaultIfEmpty(now + TimeSpan.FromSeconds(5)).Min();
        var delay = next - now;
        if (delay > TimeSpan.FromSeconds(5))
            delay = TimeSpan.FromSeconds(5); // an instance waiting for its delivery has no due time of its own (maxWait, retention)
        if (delay <= TimeSpan.Zero)
            delay = TimeSpan.FromMilliseconds(50);
        await _wake.WaitAsync(delay, ct).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromMilliseconds(50), _time, ct).ConfigureAwait(false); // a burst of spool events is one pass
    }

    /// <summary>One look at every due request: reported when its verdict is in.</summary>
    private async Task PassAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var due = queue.Pending.Where(r => r.NextAttempt <= now).ToList();
        if (due.Count == 0)
            return;
        var uids = due.SelectMany(r => r.Instances).Select(i => i.SopInstanceUid).ToHashSet(StringComparer.Ordinal);
        var inSpool = spool.FindBySopInstance(uids);
        foreach (var request in due)
        {
            ct.ThrowIfCancellationRequested();
            if (CommitmentVerdict.Of(request, inSpool, spool.Outcomes, policy.AnswerWhen, now, policy.MaxWait) is not { } verdict)
                continue;
            if (_live.TryGetValue(request.Id, out var live) && live.Association.IsOpen && !live.Responded.IsCompleted)
                continue; // its N-ACTION response is not yet out: the report must follow it (woken when it is)
            await ReportAsync(request, verdict, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The report's data set (PS3.4 Table J.3-2): Transaction UID, the committed instances, the failed ones with their reason.</summary>
    public static DicomDataset ReportDataset(string transaction, CommitmentVerdict verdict)
    {
        var report = new DicomDataset();
        report.Set(DicomTags.TransactionUID, DicomVR.UI, transaction);
        DicomDataset Item(RequestedInstance i)
        {
            var item = new DicomDataset();
            item.Set(DicomTags.ReferencedSOPClassUID, DicomVR.UI, i.SopClassUid);
            item.Set(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, i.SopInstanceUid);
            return item;
        }
        if (verdict.Committed.Count > 0)
            report.AddOrUpdate(new DicomSequence(DicomTags.ReferencedSOPSequence, verdict.Committed.Select(Item)));
        if (verdict.Failed.Count > 0)
        {
            report.AddOrUpdate(new DicomSequence(DicomTags.FailedSOPSequence, verdict.Failed.Select(f =>
            {
                var item = Item(f.Instance);
                item.Set(DicomTags.FailureReason, f.Reason);
                return item;
            })));
        }
        return report;
    }

    private async Task ReportAsync(CommitmentRequest request, CommitmentVerdict verdict, CancellationToken ct)
    {
        foreach (var f in verdict.Failed.Take(20))
            ModalityCommitmentLog.InstanceFailed(_logger, f.Instance.SopInstanceUid, request.TransactionUid, $"{f.Reason:X4}H", f.Why);
        var data = ReportDataset(request.TransactionUid, verdict);
        string? error = null;
        string? via = null;
        if (_live.TryGetValue(request.Id, out var live) && live.Association.IsOpen)
        {
            (via, error) = await SameAssociationAsync(live.Association, verdict.EventType, data, ct).ConfigureAwait(false);
        }
        if (via is null)
        {
            var (newVia, newError) = await NewAssociationAsync(request.CallingAE, verdict.EventType, data, ct).ConfigureAwait(false);
            via = newVia;
            error = error is null ? newError : newError is null ? null : $"{error}; {newError}";
        }
        if (via is not null)
        {
            queue.Remove(request.Id);
            _live.TryRemove(request.Id, out _);
            ModalityCommitmentLog.Reported(_logger, Gateway.Shared.LogText.Bounded(request.CallingAE), request.TransactionUid, verdict.Committed.Count, verdict.Failed.Count, via,
                (int)(_time.GetUtcNow() - request.Received).TotalMilliseconds);
            Happened?.Invoke("reported", $"{request.CallingAE} transaction {request.TransactionUid}: {verdict.Committed.Count} committed, {verdict.Failed.Count} failed");
            return;
        }
        var attempts = request.Attempts + 1;
        if (attempts >= policy.ReportAttempts)
        {
            queue.Remove(request.Id);
            _live.TryRemove(request.Id, out _);
            ModalityCommitmentLog.GaveUp(_logger, Gateway.Shared.LogText.Bounded(request.CallingAE), request.TransactionUid, attempts, error ?? "unknown");
            Happened?.Invoke("given-up", $"{request.CallingAE} transaction {request.TransactionUid}: report not delivered after {attempts} attempts ({error})");
            return;
        }
        var next = _time.GetUtcNow() + Backoff(attempts - 1);
        queue.Put(request with { Attempts = attempts, NextAttempt = next, LastError = error });
        ModalityCommitmentLog.ReportFailed(_logger, Gateway.Shared.LogText.Bounded(request.CallingAE), request.TransactionUid, attempts, error ?? "unknown", (next - _time.GetUtcNow()).TotalSeconds);
    }

    /// <summary>The report on the requesting association: ("same", null) when the modality answered success, else (null, why).</summary>
    private static async Task<(string?, string?)> SameAssociationAsync(DimseAssociation association, ushort eventType, DicomDataset data, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            var response = await association.NEventReportAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, eventType, data, timeout.Token)
                .ConfigureAwait(false);
            return response.Status.IsSuccess ? ("same", null) : (null, $"the modality answered the report on its association with {response.Status}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, "no response to the report on the requesting association within 60 s");
        }
        catch (DicomNetworkException e)
        {
            return (null, "the requesting association: " + e.Message);
        }
    }

    /// <summary>The report on a new association to the modality's address: ("new", null) on success, else (null, why).</summary>
    private async Task<(string?, string?)> NewAssociationAsync(string callingAE, ushort eventType, DicomDataset data, CancellationToken ct)
    {
        if (!policy.Modalities.TryGetValue(callingAE, out var address))
            return (null, "no address for this AE title in localScp.commitment.modalities");
        try
        {
            // PS3.4 J.3.3 and PS3.7 D.3.3.4: on an association we request, we are the SOP class's SCP — proposed as such.
            var options = address with { Roles = [new RoleSelection(DicomUids.StorageCommitmentPushModel, ScuRole: false, ScpRole: true)] };
            await using var association = await DicomClient.OpenAsync(options,
                [new PresentationContextProposal(1, DicomUids.StorageCommitmentPushModel, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian])],
                ct).ConfigureAwait(false);
            if (!association.AcceptedContexts.Any(c => c.AbstractSyntax == DicomUids.StorageCommitmentPushModel))
                return (null, $"{address.Host}:{address.Port}: {association.WhyNotAccepted(DicomUids.StorageCommitmentPushModel)}");
            if (association.AcceptedRole(DicomUids.StorageCommitmentPushModel) is not { ScpRole: true })
                return (null, $"{address.Host}:{address.Port} did not accept us in the SCP role of Storage Commitment (role selection), so it cannot take reports from us");
            var response = await association.NEventReportAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, eventType, data, ct)
                .ConfigureAwait(false);
            await association.ReleaseAsync(ct).ConfigureAwait(false);
            return response.Status.IsSuccess ? ("new", null) : (null, $"{address.Host}:{address.Port} answered the report with {response.Status}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return (null, $"{address.Host}:{address.Port}: {e.GetType().Name}: {e.Message}");
        }
    }
}
