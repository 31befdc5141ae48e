using System.Diagnostics;
using Gateway.Acquisition.Sessions;
using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Video;
using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Video;

/// <summary>What the grabber is doing, for the page and MQTT.</summary>
public enum VideoState
{
    Disconnected,
    Ready,
    Still,
    Recording,
}

/// <summary>
/// A profile's video grabber at work (issue #20): stills and clips into the session's series, exam and spool, from
/// the foot switch (press: a still of that moment; hold mode: held past holdMs, a clip until it is let go; start-stop
/// mode: the clip input starts and stops) or from the page. The device is opened by one ffmpeg at a time: a clip asked
/// for while a still is taken starts after it; a still asked for during a clip is refused and said (V4L2 devices
/// have one reader). A grabber that goes away is said once ("device disconnected"), looked for again after reopenMs
/// doubling to 30 s, and said again when it is back; a clip it cuts short is kept as the whole pictures so far. No
/// failure here stops the service. Thread-safe: GPIO timer threads, the page and the reconnect loop call in.
/// </summary>
public sealed class VideoRuntime : IDisposable
{
    private static readonly TimeSpan MaxReopen = TimeSpan.FromSeconds(30);
    private readonly VideoProfileSettings _settings;
    private readonly AcquisitionSession _session;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly VideoGrabber _grabber;
    private readonly IodInfo _stillIod;
    private readonly IodInfo _clipIod;
    private readonly SemaphoreSlim _device = new(1, 1);
    private readonly SemaphoreSlim _lost = new(0, 1);
    private readonly Lock _lock = new();
    private readonly ITimer _hold;
    private readonly List<Task> _work = [];
    private CancellationTokenSource? _clipStop;
    private bool _pressed;
    private bool _disposed;
    private int _stillsRunning;

    public VideoRuntime(VideoProfileSettings settings, AcquisitionSession session, ILogger logger, TimeProvider? time = null)
    {
        _settings = settings;
        _session = session;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _grabber = new VideoGrabber(settings.ToSourceSettings());
        _stillIod = IodInfo.FindStill(settings.Still.Iod) ?? throw new ArgumentException($"video.still.iod '{settings.Still.Iod}' is unknown", nameof(settings));
        _clipIod = IodInfo.FindClip(settings.Clip.Iod) ?? throw new ArgumentException($"video.clip.iod '{settings.Clip.Iod}' is unknown", nameof(settings));
        _hold = _time.CreateTimer(_ => HoldReached(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public VideoState State { get; private set; } = VideoState.Ready;
    public string? LastError { get; private set; }
    /// <summary>Trigger → durable object, of the last still (the "still latency").</summary>
    public TimeSpan? LastStillLatency { get; private set; }
    public long Stills { get; private set; }
    public long Clips { get; private set; }
    /// <summary>Pictures of the clip being recorded so far.</summary>
    public long RecordingFrames { get; private set; }

    /// <summary>Whether the foot switch is held, as the debounced input last said (the page shows it; tests wait on it).</summary>
    public bool Pressed
    {
        get
        {
            lock (_lock)
                return _pressed;
        }
    }
    public VideoSourceSettings Source => _grabber.Settings;

    /// <summary>Raised when <see cref="State"/> changes (on the caller's thread).</summary>
    public event Action<VideoState>? StateChanged;

    /// <summary>The foot switch (or another capture input) was pressed.</summary>
    public void Press(GpioInput input)
    {
        if (input.Action == "clip")
        {
            ToggleClip($"GPIO {input.Name}");
            return;
        }
        lock (_lock)
        {
            _pressed = true;
            if (_settings.Clip.Mode == "hold")
                _hold.Change(TimeSpan.FromMilliseconds(_settings.Clip.HoldMs), Timeout.InfiniteTimeSpan);
        }
        TakeStill($"GPIO {input.Name}");
    }

    /// <summary>The input was let go: in hold mode the clip it started ends.</summary>
    public void Release(GpioInput input)
    {
        if (input.Action == "clip")
            return;
        lock (_lock)
        {
            _pressed = false;
            _hold.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (_settings.Clip.Mode == "hold")
                _clipStop?.Cancel();
        }
    }

    /// <summary>A still now (page button, serial request, foot switch); runs in the background.</summary>
    public void TakeStill(string why)
    {
        lock (_lock)
        {
            // Refused only while a clip really records; a clip still waiting for the device (a hold let go under load)
            // does not swallow the next press's still.
            if (_clipStop is not null && State == VideoState.Recording)
            {
                AcquisitionLog.VideoIgnored(_logger, "still", "a clip is being recorded and the grabber has one reader");
                return;
            }
            Interlocked.Increment(ref _stillsRunning);
            Track(Task.Run(() => StillAsync(why, Stopwatch.GetTimestamp())));
        }
    }

    /// <summary>Starts a clip, or stops the one being recorded (start-stop mode; the page's button).</summary>
    public void ToggleClip(string why)
    {
        lock (_lock)
        {
            if (_clipStop is { } stop)
            {
                stop.Cancel();
                return;
            }
            StartClipLocked(why);
        }
    }

    private void HoldReached()
    {
        lock (_lock)
        {
            if (_pressed && _clipStop is null)
                StartClipLocked("held");
        }
    }

    private void StartClipLocked(string why)
    {
        var stop = new CancellationTokenSource();
        _clipStop = stop;
        Track(Task.Run(() => ClipAsync(why, stop)));
    }

    private void Track(Task task)
    {
        _work.RemoveAll(t => t.IsCompleted);
        _work.Add(task);
    }

    private async Task StillAsync(string why, long triggered)
    {
        try
        {
            await _device.WaitAsync().ConfigureAwait(false);
            try
            {
                // Disconnected is left only by a frame (Connected): a still in flight does not hide a lost grabber.
                if (State != VideoState.Disconnected)
                    SetState(VideoState.Still);
                if (_session.BeginVideoObject(_stillIod, out _) is not { } ticket)
                    return;
                byte[] pixels;
                var jpeg = _settings.Still.TransferSyntax == "jpeg";
                try
                {
                    pixels = await _grabber.GrabStillAsync(jpeg ? StillEncoding.Jpeg : StillEncoding.Rgb).ConfigureAwait(false);
                }
                catch (VideoSourceException e)
                {
                    _session.AbandonVideoObject(ticket, e.Message);
                    Lost(e.Message);
                    return;
                }
                var s = _grabber.Settings;
                try
                {
                    var ds = jpeg
                        ? VideoObjects.JpegStill(_stillIod.Kind, s.Width, s.Height, pixels, ticket.Metadata, ticket.Identity, _time)
                        : VideoObjects.RgbStill(_stillIod.Kind, s.Width, s.Height, DicomBuffer.From(pixels), ticket.Metadata, ticket.Identity, _time);
                    new DicomFile(ds, jpeg ? DicomTransferSyntax.JpegBaseline : DicomTransferSyntax.ExplicitVRLittleEndian).Save(ticket.Path, durable: true);
                }
                catch (Exception e) when (e is DicomValueException or IOException)
                {
                    _session.AbandonVideoObject(ticket, e.Message);
                    return;
                }
                if (_session.CommitVideoObject(ticket, Modality(ticket, _stillIod), $"{s.Width}x{s.Height} still ({why})") is null)
                {
                    LastStillLatency = Stopwatch.GetElapsedTime(triggered);
                    Stills++;
                    AcquisitionLog.StillStored(_logger, ticket.Identity.SopInstanceUid, (long)LastStillLatency.Value.TotalMilliseconds);
                }
                Connected();
            }
            finally
            {
                Interlocked.Decrement(ref _stillsRunning);
                _device.Release();
                if (State == VideoState.Still)
                    SetState(VideoState.Ready);
            }
        }
        catch (Exception e)
        {
            // Nothing here may stop the service: said with its cause, and the grabber is looked for again.
            AcquisitionLog.VideoFault(_logger, e.ToString());
            Lost(e.Message);
        }
    }

    private async Task ClipAsync(string why, CancellationTokenSource stop)
    {
        try
        {
            // Stills asked for before the clip go first (the press's still is of the moment of the press): the
            // semaphore alone does not keep that order when the thread pool is busy.
            while (Volatile.Read(ref _stillsRunning) > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(10), _time).ConfigureAwait(false);
            await _device.WaitAsync().ConfigureAwait(false);
            try
            {
                if (stop.IsCancellationRequested && why == "held")
                    return; // let go while the still was being taken: a still only
                if (State != VideoState.Disconnected)
                    SetState(VideoState.Recording);
                if (_session.BeginVideoObject(_clipIod, out _) is not { } ticket)
                    return;
                AcquisitionLog.ClipStarted(_logger, ticket.Identity.SopInstanceUid, why);
                var s = _grabber.Settings;
                try
                {
                    var ds = VideoObjects.Clip(_clipIod.Kind, s.Width, s.Height, s.Fps, ticket.Metadata, ticket.Identity, _time);
                    RecordingFrames = 0;
                    var result = await ClipRecorder.RecordAsync(_grabber, _settings.Clip.MaxSeconds, ds, ticket.Path,
                        picture: n => RecordingFrames = n, stop: stop.Token).ConfigureAwait(false);
                    var note = result.Interrupted ? $"; cut short: {result.Reason}" : "";
                    if (_session.CommitVideoObject(ticket, Modality(ticket, _clipIod), $"{s.Width}x{s.Height}@{s.Fps} clip of {result.Frames} pictures") is null)
                    {
                        Clips++;
                        AcquisitionLog.ClipEnded(_logger, ticket.Identity.SopInstanceUid, result.Frames, result.StreamBytes, note);
                    }
                    if (result.Interrupted)
                        Lost(result.Reason!);
                    else
                        Connected();
                }
                catch (Exception e) when (e is VideoSourceException or DicomValueException or IOException)
                {
                    _session.AbandonVideoObject(ticket, e.Message);
                    if (e is VideoSourceException)
                        Lost(e.Message);
                }
            }
            finally
            {
                lock (_lock)
                    _clipStop = null;
                stop.Dispose();
                _device.Release();
                if (State == VideoState.Recording)
                    SetState(VideoState.Ready);
            }
        }
        catch (Exception e)
        {
            AcquisitionLog.VideoFault(_logger, e.ToString());
            Lost(e.Message);
        }
    }

    private static string Modality(VideoObjectTicket ticket, IodInfo iod) => ticket.Metadata.TryGetString(DicomTags.Modality) is { Length: > 0 } m ? m : iod.Modality;

    /// <summary>
    /// Looks for a lost grabber again, after reopenMs doubling to 30 s, until it gives a frame; said once when lost and
    /// once when back. Runs until <paramref name="ct"/>; survives every exception.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _lost.WaitAsync(ct).ConfigureAwait(false);
                var wait = TimeSpan.FromMilliseconds(_settings.ReopenMs);
                while (!ct.IsCancellationRequested && State == VideoState.Disconnected)
                {
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                    if (await ProbeAsync(ct).ConfigureAwait(false))
                        break;
                    wait = TimeSpan.FromTicks(Math.Min(MaxReopen.Ticks, wait.Ticks * 2));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                AcquisitionLog.VideoFault(_logger, e.ToString());
                await Task.Delay(TimeSpan.FromSeconds(1), _time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> ProbeAsync(CancellationToken ct)
    {
        if (!await _device.WaitAsync(0, ct).ConfigureAwait(false))
            return false;
        try
        {
            await _grabber.GrabStillAsync(StillEncoding.Jpeg, ct).ConfigureAwait(false);
            Connected();
            return true;
        }
        catch (VideoSourceException e)
        {
            LastError = e.Message;
            return false;
        }
        finally
        {
            _device.Release();
        }
    }

    private void Lost(string reason)
    {
        LastError = reason;
        if (State == VideoState.Disconnected)
            return;
        SetState(VideoState.Disconnected);
        AcquisitionLog.VideoDisconnected(_logger, _grabber.Settings.Source, reason, _settings.ReopenMs);
        if (_lost.CurrentCount == 0)
            _lost.Release();
    }

    private void Connected()
    {
        if (State != VideoState.Disconnected)
            return;
        LastError = null;
        SetState(VideoState.Ready);
        AcquisitionLog.VideoConnected(_logger, _grabber.Settings.Source);
    }

    private void SetState(VideoState state)
    {
        if (State == state)
            return;
        State = state;
        StateChanged?.Invoke(state);
    }

    private (byte[] Jpeg, long At)? _snapshot;

    /// <summary>
    /// The grabber's picture now as a JPEG, for the page's preview: at most one new frame every 2 s whoever asks (older
    /// ones are served from memory), and none while a still or clip has the device (the last one is served, or null).
    /// </summary>
    public async Task<byte[]?> SnapshotAsync(CancellationToken ct)
    {
        if (_snapshot is { } cached && Stopwatch.GetElapsedTime(cached.At) < TimeSpan.FromSeconds(2))
            return cached.Jpeg;
        if (!await _device.WaitAsync(0, ct).ConfigureAwait(false))
            return _snapshot?.Jpeg;
        try
        {
            var jpeg = await _grabber.GrabStillAsync(StillEncoding.Jpeg, ct).ConfigureAwait(false);
            _snapshot = (jpeg, Stopwatch.GetTimestamp());
            Connected();
            return jpeg;
        }
        catch (VideoSourceException e)
        {
            Lost(e.Message);
            return null;
        }
        finally
        {
            _device.Release();
        }
    }

    /// <summary>Waits for the stills and the clip in flight (a clip is asked to stop first).</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Task[] work;
        lock (_lock)
        {
            _clipStop?.Cancel();
            work = [.. _work];
        }
        await Task.WhenAny(Task.WhenAll(work), Task.Delay(timeout)).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        DrainAsync(TimeSpan.FromSeconds(15)).GetAwaiter().GetResult();
        _hold.Dispose();
    }
}
