using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Spool;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Acquisition.Forwarding;

/// <summary>
/// Forwards spooled objects to their destinations (issue #5): per destination a FIFO queue served by
/// <see cref="Destination.Associations"/> workers, each keeping its association open between objects. Delivered →
/// done; transient failure → retry with capped exponential back-off and jitter (forever); permanent → dead letter with
/// the reason. An object leaves the spool when every destination it was routed to has it (the spool decides).
/// Acquisition never waits for this: it only enqueues.
/// </summary>
public sealed class Forwarder : IDisposable
{
    private readonly DurableSpool _spool;
    private readonly IReadOnlyList<Destination> _destinations;
    private readonly Func<Destination, IObjectSender> _senders;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, HashSet<string>> _busy;
    // Per destination (guarded by its busy set): entries whose attempt threw, kept back for their own back-off so that
    // one entry that always fails (a bad sector under its payload) cannot block the ones behind it (FIFO).
    private readonly Dictionary<string, Dictionary<string, (DateTimeOffset NotBefore, int Failures)>> _deferred;
    // Per destination (guarded by its busy set): while it cannot be reached at all, no worker tries any of its entries
    // before Until; Failures counts the unreachable attempts in a row (the destination's own back-off). The entry that
    // met the outage stays due (only this gate holds it back), so when the destination answers again — or after a
    // retry, a restart, a reload — the queue drains oldest first (issue #22: no newer object overtakes an older one).
    private readonly Dictionary<string, (DateTimeOffset Until, int Failures)> _gate;
    private readonly string?[] _attempting;
    private readonly Dictionary<string, SemaphoreSlim> _wake;
    private readonly long[] _beats;
    // Per worker: 1 while it waits out the back-off after a failure (issue #15: the watchdog is not fed meanwhile).
    private readonly int[] _failing;
    private readonly string[] _slotDestination;

    /// <summary>An idle worker wakes at least this often, so that its heartbeat shows it is alive.</summary>
    private readonly TimeSpan _heartbeat;

    /// <param name="heartbeat">How often an idle worker shows it is alive (default 5 s); keep it well below any stall threshold.</param>
    public Forwarder(DurableSpool spool, IReadOnlyList<Destination> destinations, Func<Destination, IObjectSender>? senders = null,
        TimeProvider? time = null, ILogger? logger = null, TimeSpan? heartbeat = null)
    {
        _heartbeat = heartbeat ?? TimeSpan.FromSeconds(5);
        _spool = spool;
        _destinations = destinations;
        _senders = senders ?? (d => new DicomObjectSender(d.Client, d.Transcoding, spool.TempDir, spool.MinFreeBytes));
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _busy = destinations.ToDictionary(d => d.Name, _ => new HashSet<string>(StringComparer.Ordinal));
        _deferred = destinations.ToDictionary(d => d.Name, _ => new Dictionary<string, (DateTimeOffset, int)>(StringComparer.Ordinal));
        _gate = destinations.ToDictionary(d => d.Name, _ => (DateTimeOffset.MinValue, 0));
        _wake = destinations.ToDictionary(d => d.Name, _ => new SemaphoreSlim(0));
        _beats = new long[destinations.Sum(d => Math.Max(1, d.Associations))];
        _attempting = new string?[_beats.Length];
        _failing = new int[_beats.Length];
        _slotDestination = [.. destinations.SelectMany(d => Enumerable.Repeat(d.Name, Math.Max(1, d.Associations)))];
        Array.Fill(_beats, _time.GetUtcNow().UtcTicks);
        spool.Changed += OnSpoolChanged;
    }

    private void OnSpoolChanged(SpoolEvent e)
    {
        // A new object, or one the archive did not commit (issue #18: it is due again at once, not at the next heartbeat).
        if (e.Kind == SpoolEvent.Stored || e.Kind == SpoolEvent.CommitmentFailed)
            WakeAll();
    }

    /// <summary>Lets go of the spool (a replaced forwarder must not stay subscribed: issue #15 item 2). Call after RunAsync ended.</summary>
    public void Dispose()
    {
        _spool.Changed -= OnSpoolChanged;
        foreach (var w in _wake.Values)
            w.Dispose();
    }

    /// <summary>
    /// The oldest of the workers' last signs of life (an attempt finished, bytes sent, an idle heartbeat): when it is
    /// old, some worker is wedged, and the service watchdog must stop being fed.
    /// </summary>
    /// With no destination (a box being commissioned) there is no worker to wedge: progress is now.
    public DateTimeOffset LastProgress => _beats.Length == 0 ? _time.GetUtcNow() : new(_beats.Min(b => Interlocked.Read(ref b)), TimeSpan.Zero);

    /// <summary>
    /// The destinations with a worker that failed and waits out its back-off before it goes on (2005 said why): such a
    /// worker is alive and retrying, not wedged; the service says so in its status.
    /// </summary>
    public IReadOnlyList<string> Failing =>
        [.. Enumerable.Range(0, _failing.Length).Where(i => Volatile.Read(ref _failing[i]) != 0).Select(i => _slotDestination[i]).Distinct(StringComparer.Ordinal)];

    /// <summary>The destinations an object is routed to.</summary>
    public IReadOnlyList<string> Route(SpoolObjectInfo info) =>
        [.. _destinations.Where(d => d.Route.Accepts(info)).Select(d => d.Name)];

    /// <summary>
    /// An operator's retry (`gateway spool retry`, the page): the destinations' gates open now (their failure counts stay,
    /// so a destination still down is given the next, longer back-off) and the workers wake.
    /// </summary>
    public void RetryNow()
    {
        foreach (var d in _destinations)
        {
            lock (_busy[d.Name])
                _gate[d.Name] = (DateTimeOffset.MinValue, _gate[d.Name].Failures);
        }
        WakeAll();
    }

    /// <summary>Wakes idle workers (a new object, an operator's retry).</summary>
    public void WakeAll()
    {
        foreach (var w in _wake.Values)
        {
            if (w.CurrentCount == 0)
                w.Release();
        }
    }

    /// <summary>The back-off before attempt <paramref name="attempts"/> + 1: RetryMin · 2^attempts, capped, ±20 % jitter.</summary>
    public static TimeSpan Backoff(Destination d, int attempts, double jitter)
    {
        var doubled = d.RetryMin.TotalSeconds * Math.Pow(2, Math.Min(attempts, 30));
        var capped = Math.Min(doubled, d.RetryMax.TotalSeconds);
        return TimeSpan.FromSeconds(capped * (0.8 + 0.4 * jitter));
    }

    public Task RunAsync(CancellationToken ct)
    {
        var workers = new List<Task>();
        var slot = 0;
        foreach (var d in _destinations)
        {
            for (var i = 0; i < Math.Max(1, d.Associations); i++)
                workers.Add(WorkerAsync(d, slot++, ct));
        }
        return Task.WhenAll(workers);
    }

    private void Beat(int slot) => Interlocked.Exchange(ref _beats[slot], _time.GetUtcNow().UtcTicks);

    private async Task WorkerAsync(Destination destination, int slot, CancellationToken ct)
    {
        var sender = _senders(destination);
        await using var _ = sender.ConfigureAwait(false);
        var busy = _busy[destination.Name];
        var lastSend = _time.GetUtcNow();
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                lastSend = await ServeOneAsync(destination, sender, busy, slot, lastSend, ct).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Issue #13 item 5: a worker survives every error (a full disk that refuses the state write, an I/O
                // error reading the payload, a bug): said at once, then a back-off, then on. The entry stays as it was
                // on disk, so nothing is lost; a delivery whose "done" could not be recorded is sent again, identically.
                failures++;
                var delay = Backoff(destination, failures - 1, Random.Shared.NextDouble());
                if (Interlocked.Exchange(ref _attempting[slot], null) is { } failed)
                {
                    // The entry that failed waits out its own back-off; the worker goes on with the others soon.
                    lock (busy)
                    {
                        var deferred = _deferred[destination.Name];
                        var count = deferred.GetValueOrDefault(failed).Failures + 1;
                        deferred[failed] = (_time.GetUtcNow() + Backoff(destination, count - 1, Random.Shared.NextDouble()), count);
                    }
                    if (delay > destination.RetryMin)
                        delay = destination.RetryMin;
                }
                Volatile.Write(ref _failing[slot], 1);
                ForwarderLog.WorkerFailed(_logger, destination.Name, e.GetType().Name, e.Message, delay.TotalSeconds, e);
                Beat(slot);
                try
                {
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                finally
                {
                    Volatile.Write(ref _failing[slot], 0);
                    Beat(slot);
                }
            }
        }
        await sender.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>One turn of a worker: the next due entry is attempted, or the worker waits for one. Returns when it last sent.</summary>
    private async Task<DateTimeOffset> ServeOneAsync(Destination destination, IObjectSender sender, HashSet<string> busy, int slot, DateTimeOffset lastSend, CancellationToken ct)
    {
        SpoolEntry? entry = null;
        DateTimeOffset? deferredUntil;
        lock (busy)
        {
            var now = _time.GetUtcNow();
            if (_gate[destination.Name].Until > now)
            {
                // Unreachable a moment ago: nothing is tried before the gate opens (a new object does not make it sooner).
                deferredUntil = _gate[destination.Name].Until;
            }
            else
            {
                // A kept-back entry whose time has come is simply no longer excluded (its failure count stays, so its next
                // back-off is longer); it leaves the table once an attempt of it completes.
                var deferred = _deferred[destination.Name];
                var exclude = deferred.Count == 0 ? busy : [.. busy, .. deferred.Where(kv => kv.Value.NotBefore > now).Select(kv => kv.Key)];
                entry = _spool.NextDue(destination.Name, now, exclude);
                if (entry is not null)
                    busy.Add(entry.Id);
                deferredUntil = deferred.Values.Where(v => v.NotBefore > now).Select(v => (DateTimeOffset?)v.NotBefore).Min();
            }
        }
        Beat(slot);
        if (entry is null)
        {
            if (_time.GetUtcNow() - lastSend > destination.IdleRelease)
                await sender.CloseAsync().ConfigureAwait(false);
            await WaitAsync(destination, deferredUntil, ct).ConfigureAwait(false);
            return lastSend;
        }
        try
        {
            _attempting[slot] = entry.Id;
            await AttemptAsync(destination, sender, entry, () => Beat(slot), ct).ConfigureAwait(false);
            _attempting[slot] = null;
            lock (busy)
                _deferred[destination.Name].Remove(entry.Id);
            return _time.GetUtcNow();
        }
        finally
        {
            lock (busy)
                busy.Remove(entry.Id);
        }
    }

    /// <summary>When the next attempt to <paramref name="destination"/> may be made: its next due entry, but not before its gate opens.</summary>
    private DateTimeOffset? NextAttemptTime(Destination destination)
    {
        DateTimeOffset gate;
        lock (_busy[destination.Name])
            gate = _gate[destination.Name].Until;
        var next = _spool.NextAttemptTime(destination.Name);
        return gate > _time.GetUtcNow() && (next is null || next < gate) ? gate : next;
    }

    private async Task WaitAsync(Destination destination, DateTimeOffset? deferredUntil, CancellationToken ct)
    {
        var start = _time.GetUtcNow();
        var next = NextAttemptTime(destination);
        var delay = next is { } n ? n - _time.GetUtcNow() : destination.IdleRelease;
        if (delay <= TimeSpan.Zero)
        {
            // Due, but claimed by a sibling worker or kept back after a failure: look again soon, or when the
            // kept-back entry may be tried again.
            delay = TimeSpan.FromMilliseconds(50);
            if (deferredUntil is { } d && d - _time.GetUtcNow() > delay)
                delay = d - _time.GetUtcNow();
        }
        if (delay > destination.IdleRelease)
            delay = destination.IdleRelease;
        if (delay > _heartbeat)
            delay = _heartbeat;
        // Sleep until the next attempt is due (on the injected clock) or a new object wakes us, whichever comes first.
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var wake = _wake[destination.Name].WaitAsync(either.Token);
        var sleep = Task.Delay(delay, _time, either.Token);
        // The clock may have moved between reading it above and starting the timer: if something fell due in that
        // window, don't sleep past it (the timer was set from the stale reading).
        // Only then: when the first reading was due already (claimed by a sibling, kept back) the short delay is waited
        // out, or the worker would spin.
        var fellDue = next is { } first && first > start && NextAttemptTime(destination) is { } due && due <= _time.GetUtcNow();
        if (!fellDue)
            await Task.WhenAny(wake, sleep).ConfigureAwait(false);
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
    }

    private async Task AttemptAsync(Destination destination, IObjectSender sender, SpoolEntry entry, Action progress, CancellationToken ct)
    {
        var path = _spool.PayloadPath(entry.Id);
        SendOutcome outcome;
        try
        {
            // The checksum is checked on the way out, not in a pass of its own (issue #22): a payload that is not what
            // was stored is aborted before its last fragment, so the PACS never completes it, and quarantined.
            outcome = await sender.SendAsync(path, entry.SopClassUid, entry.Sha256, progress, ct).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            _spool.Quarantine(entry, "payload is missing");
            ForwarderLog.Quarantined(_logger, entry.Id, entry.SopInstanceUid);
            return;
        }
        catch (PayloadMismatchException e)
        {
            _spool.Quarantine(entry, e.Message);
            ForwarderLog.Quarantined(_logger, entry.Id, entry.SopInstanceUid);
            return;
        }
        catch (DicomFormatException e)
        {
            outcome = new SendOutcome(OutcomeKind.Permanent, "the spooled file is not valid DICOM: " + e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return; // stopping: the entry stays pending, nothing is lost
        }
        var attempts = entry.Deliveries[destination.Name].Attempts;
        if (outcome is { Kind: OutcomeKind.Transient, Unreachable: true })
        {
            // The destination's back-off, not the entry's: every entry waits for the same gate, so the oldest goes first
            // when it opens. Several workers failing at once count as one failure (the gate is already closed).
            DateTimeOffset until;
            lock (_busy[destination.Name])
            {
                var (gateUntil, failures) = _gate[destination.Name];
                var now = _time.GetUtcNow();
                if (gateUntil <= now)
                    _gate[destination.Name] = (now + Backoff(destination, failures, Random.Shared.NextDouble()), failures + 1);
                until = _gate[destination.Name].Until;
            }
            // The entry itself is due now: only the gate (in memory) holds it back, so an operator's retry, a restart or a
            // reload of the destinations finds the queue in its order, oldest first.
            _spool.MarkRetry(entry.Id, destination.Name, outcome.Detail, _time.GetUtcNow());
            ForwarderLog.Retrying(_logger, entry.SopInstanceUid, destination.Name, attempts + 1, until, outcome.Detail);
            return;
        }
        if (outcome.Kind != OutcomeKind.Transient)
        {
            // It answered (stored or refused): the next outage starts again from RetryMin. A transient failure on an
            // association that stood (an abort as the PACS went down) leaves the destination's count as it is.
            lock (_busy[destination.Name])
                _gate[destination.Name] = (DateTimeOffset.MinValue, 0);
        }
        switch (outcome.Kind)
        {
            case OutcomeKind.Delivered when destination.Commitment is not null:
                // Stored, not yet the archive's responsibility: kept until its commitment report (issue #18).
                _spool.MarkAwaitingCommitment(entry.Id, destination.Name, outcome.SentSopInstanceUid);
                ForwarderLog.Sent(_logger, entry.SopInstanceUid, destination.Name, outcome.Detail + ", awaiting commitment");
                break;
            case OutcomeKind.Delivered:
                _spool.MarkDone(entry.Id, destination.Name);
                ForwarderLog.Sent(_logger, entry.SopInstanceUid, destination.Name, outcome.Detail);
                break;
            case OutcomeKind.Transient:
                var next = _time.GetUtcNow() + Backoff(destination, attempts, Random.Shared.NextDouble());
                _spool.MarkRetry(entry.Id, destination.Name, outcome.Detail, next);
                ForwarderLog.Retrying(_logger, entry.SopInstanceUid, destination.Name, attempts + 1, next, outcome.Detail);
                break;
            default:
                _spool.MarkDead(entry.Id, destination.Name, outcome.Detail);
                ForwarderLog.DeadLettered(_logger, entry.SopInstanceUid, destination.Name, outcome.Detail);
                break;
        }
    }
}

/// <summary>Structured log events of the forwarder (stable ids; UIDs and destination names, never patient data).</summary>
internal static partial class ForwarderLog
{
    [LoggerMessage(2001, LogLevel.Information, "Sent {SopInstanceUid} to {Destination}: {Status}")]
    public static partial void Sent(ILogger logger, string sopInstanceUid, string destination, string status);

    [LoggerMessage(2002, LogLevel.Warning, "Sending {SopInstanceUid} to {Destination} failed (attempt {Attempt}); next attempt {Next}: {Reason}")]
    public static partial void Retrying(ILogger logger, string sopInstanceUid, string destination, int attempt, DateTimeOffset next, string reason);

    [LoggerMessage(2003, LogLevel.Error, "Dead letter: {SopInstanceUid} refused by {Destination}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string sopInstanceUid, string destination, string reason);

    [LoggerMessage(2005, LogLevel.Error, "Forwarder worker for {Destination} failed ({Kind}: {Reason}); the entry stays in the spool, next try in {DelaySeconds:0.0} s")]
    public static partial void WorkerFailed(ILogger logger, string destination, string kind, string reason, double delaySeconds, Exception exception);

    [LoggerMessage(2004, LogLevel.Error, "Spool entry {EntryId} ({SopInstanceUid}) failed its checksum and was quarantined")]
    public static partial void Quarantined(ILogger logger, string entryId, string sopInstanceUid);
}
