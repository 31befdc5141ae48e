using System.Globalization;
using Gateway.Dicom.Network;
using Gateway.Shared;
using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Worklist;

/// <summary>
/// The box's current worklist (issue #17): asks the RIS, keeps the last good answer in a <see cref="WorklistCache"/>,
/// and serves that file, marked stale, while the RIS is away — ridden out and said (events 7002 once when it goes,
/// 7005 when it is back), never a reason to stop. <see cref="RunAsync"/> refreshes every <see cref="Refresh"/>;
/// <see cref="Current"/> is the last list for readers (the web page); thread-safe.
/// </summary>
public sealed class WorklistSource(DicomClientOptions client, WorklistQuery query, WorklistCache cache, TimeSpan refresh, ILogger log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private volatile WorklistSnapshot? _current;
    private bool _down;
    private readonly Lock _gate = new();
    private Task<(WorklistSnapshot?, string?)>? _inFlight;

    public TimeSpan Refresh => refresh;

    /// <summary>The list as last fetched or read back; null before the first refresh, or when neither RIS nor file had one.</summary>
    public WorklistSnapshot? Current => _current;

    private string Peer => $"{client.Host}:{client.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Queries now. A good answer replaces the file (a failure to write it is logged, the fresh list still returned);
    /// otherwise the file's list is returned with the reason as <see cref="WorklistSnapshot.StaleBecause"/>, or null
    /// with <paramref name="problem"/> when there is none either. With <paramref name="save"/> false nothing is written
    /// (`gateway worklist` only reads, beside the running service).
    /// </summary>
    /// <remarks>
    /// One query at a time: a caller arriving while one runs (the page's "Refresh" tapped twice, or beside the timer)
    /// waits for that one and gets its answer, so the RIS sees one association and the file is written by one writer.
    /// </remarks>
    public async Task<(WorklistSnapshot? Snapshot, string? Problem)> RefreshAsync(bool save, CancellationToken ct)
    {
        Task<(WorklistSnapshot?, string?)> running;
        var mine = false;
        lock (_gate)
        {
            if (_inFlight is null || _inFlight.IsCompleted)
            {
                // The query itself is not cancelled by a waiter that gives up, only by the caller that started it.
                _inFlight = QueryAndKeepAsync(save, ct);
                mine = true;
            }
            running = _inFlight;
        }
        return mine ? await running.ConfigureAwait(false) : await running.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task<(WorklistSnapshot? Snapshot, string? Problem)> QueryAndKeepAsync(bool save, CancellationToken ct)
    {
        await Task.Yield(); // the caller leaves the lock before the query starts
        string reason;
        try
        {
            var fetch = await WorklistClient.QueryAsync(client, query, DateOnly.FromDateTime(_time.GetLocalNow().DateTime), ct).ConfigureAwait(false);
            if (fetch.Items is { } items)
            {
                var fresh = new WorklistSnapshot(items, _time.GetUtcNow());
                if (_down)
                    WorklistLog.Back(log, client.CalledAE, Peer);
                if (_down || _current is null || _current.IsStale || _current.Items.Count != items.Count)
                    WorklistLog.Fetched(log, client.CalledAE, Peer, items.Count, items.Count(i => !i.IsUsable));
                _down = false;
                if (save)
                {
                    try
                    {
                        cache.Save(fresh);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or Gateway.Dicom.DicomValueException or NotSupportedException)
                    {
                        WorklistLog.SaveFailed(log, cache.Path, LogText.Bounded(e.Message));
                    }
                }
                _current = fresh;
                return (fresh, null);
            }
            reason = fetch.Problem!;
        }
        catch (Exception e) when (e is DicomNetworkException or IOException or TimeoutException or System.Security.Authentication.AuthenticationException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            reason = e.Message;
        }
        reason = LogText.Bounded(reason); // a RIS's error comment is outside text
        var kept = cache.TryLoad(out var cacheProblem);
        if (!_down)
        {
            WorklistLog.Unavailable(log, client.CalledAE, Peer, reason, kept?.FetchedAt.ToString("u", CultureInfo.InvariantCulture) ?? "(none)");
            if (kept is null && cacheProblem != WorklistCache.NoneYet)
                WorklistLog.CacheUnusable(log, LogText.Bounded(cacheProblem));
            _down = true;
        }
        if (kept is null)
        {
            _current = null;
            return (null, $"{reason}; and no list is kept ({cacheProblem})");
        }
        var stale = kept with { StaleBecause = reason };
        _current = stale;
        return (stale, null);
    }

    /// <summary>Refreshes at once and then every <see cref="Refresh"/> until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(refresh, _time);
        do
        {
            await RefreshAsync(save: true, ct).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }
}
