using System.Device.Gpio;
using Gateway.Acquisition.Video;
using Gateway.Hardware.Framing;
using Gateway.Hardware.Gpio;
using Gateway.Hardware.Profiles;
using Gateway.Hardware.Serial;
using Gateway.Hardware.Text;
using Gateway.Hardware.WatchFolder;
using Microsoft.Extensions.Logging;

namespace Gateway.Acquisition.Sessions;

/// <summary>The seams of a device, replaceable in tests: the serial port and the GPIO driver.</summary>
public sealed record DeviceSeams
{
    public ISerialPortOpener? Serial { get; init; }
    /// <summary>null: the box's driver from the profile (libgpiod).</summary>
    public GpioDriver? Gpio { get; init; }
    public TimeProvider? Time { get; init; }
}

/// <summary>
/// One device at work, assembled from its profile: the serial link with its frame or text protocol, the watch folder,
/// the GPIO triggers and status lights, all feeding one <see cref="AcquisitionSession"/>. The lights show ready when
/// the device is reachable, busy from a capture request until the frame is stored, error while the device is
/// disconnected or the last frame could not be stored.
/// </summary>
public sealed class DeviceRuntime : IDisposable
{
    private readonly DeviceProfile _profile;
    private readonly AcquisitionSession _session;
    private readonly SerialLink? _link;
    private readonly ISerialProtocol? _protocol;
    private readonly FrameReceiver? _frames;
    private readonly WatchFolderSource? _folder;
    private readonly GpioPanel? _panel;
    private readonly VideoRuntime? _video;
    private readonly TimeProvider _time;

    public DeviceRuntime(DeviceProfile profile, AcquisitionSession session, ILoggerFactory loggers, DeviceSeams? seams = null)
    {
        seams ??= new DeviceSeams();
        _profile = profile;
        _session = session;
        _time = seams.Time ?? TimeProvider.System;
        var logger = loggers.CreateLogger("gateway.device");
        if (profile.Serial is { } serial)
        {
            _link = new SerialLink(seams.Serial ?? new SystemSerialPortOpener(serial), serial, logger);
            _link.StateChanged += state =>
            {
                LinkChanged?.Invoke(state);
                Show(state == LinkState.Connected ? PanelState.Ready : PanelState.Error);
            };
            if (profile.Frames is { } frames)
            {
                _frames = new FrameReceiver(new FrameFormat(frames), _link, session, logger, _time, session.FrameMemoryPath);
                _frames.Rejected += r => FrameRejected?.Invoke(r);
                _protocol = _frames;
            }
            else
            {
                var text = new TextReceiver(new TextReportParser(profile.Text!), serial.Device, logger);
                text.Received += session.OnDeviceValue;
                _protocol = text;
            }
        }
        if (profile.WatchFolder is { } folder)
            _folder = new WatchFolderSource(folder, session, logger, _time);
        if (profile.Video is { } video)
        {
            _video = new VideoRuntime(video, session, logger, _time);
            _video.StateChanged += state => Show(state switch
            {
                VideoState.Disconnected => PanelState.Error,
                VideoState.Ready => PanelState.Ready,
                _ => PanelState.Busy,
            });
        }
        if (profile.Gpio is { } gpio)
        {
            try
            {
                _panel = new GpioPanel(gpio, seams.Gpio ?? GpioPanel.OpenDriver(gpio), logger, _time);
                _panel.Triggered += OnTrigger;
                _panel.Released += input =>
                {
                    if (input.Action is "capture" or "clip")
                        _video?.Release(input);
                };
                Show(_link is null ? PanelState.Ready : PanelState.Error);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or PlatformNotSupportedException
                or InvalidOperationException or ArgumentException or EntryPointNotFoundException)
            {
                // The frames still come over the serial port: acquisition goes on without triggers and lights, and says so.
                GpioError = $"GPIO chip {gpio.Chip} ({gpio.Driver}) cannot be used: {e.Message}";
                AcquisitionLog.Failed(logger, GpioError);
            }
        }
        session.Happened += e =>
        {
            if (e.Kind == AcquisitionEvent.Acquired)
                Show(PanelState.Ready);
            else if (e.Kind == AcquisitionEvent.Failed)
                Show(PanelState.Error);
        };
    }

    /// <summary>The serial link came or went (on the link's thread).</summary>
    public event Action<LinkState>? LinkChanged;

    /// <summary>The profile's end-exam input acted (issue #17): the service ends the exam in progress (the argument says which input).</summary>
    public event Action<string>? EndExamRequested;

    public event Action<FrameRejected>? FrameRejected;

    public DeviceProfile Profile => _profile;
    public AcquisitionSession Session => _session;
    /// <summary>null when the profile has no serial port.</summary>
    public LinkState? Link => _link?.State;
    public string? LinkError => _link?.LastError;
    public FrameDecoderStats? FrameStats => _frames?.Stats;
    public PanelState? Panel { get; private set; }
    /// <summary>The profile's video grabber, or null.</summary>
    public VideoRuntime? Video => _video;
    /// <summary>Why the profile's GPIO lines are not in use (no chip, no permission), or null.</summary>
    public string? GpioError { get; }

    public Task RunAsync(CancellationToken ct)
    {
        var running = new List<Task>();
        if (_link is not null)
            running.Add(_link.RunAsync(_protocol!, ct));
        if (_folder is not null)
            running.Add(_folder.RunAsync(ct));
        if (_video is not null)
            running.Add(_video.RunAsync(ct));
        return Task.WhenAll(running);
    }

    /// <summary>Asks the device for a frame (a trigger input, or the web page's "test capture"); false when it cannot be asked.</summary>
    public bool RequestCapture()
    {
        if (_video is not null)
        {
            _video.TakeStill("request");
            return true;
        }
        if (_frames?.RequestFrame() != true)
            return false;
        Show(PanelState.Busy);
        return true;
    }

    private void OnTrigger(GpioInput input)
    {
        if (input.Action == "end-series")
            _session.EndSeries($"GPIO {input.Name}");
        else if (input.Action == "end-exam")
            EndExamRequested?.Invoke($"GPIO {input.Name}");
        else if (_video is not null && input.Action is "capture" or "clip")
            _video.Press(input);
        else if (!RequestCapture() && _frames is not null)
            Show(PanelState.Error);
    }

    private void Show(PanelState state)
    {
        Panel = state;
        _panel?.Show(state);
    }

    public void Dispose()
    {
        _panel?.Dispose();
        _video?.Dispose();
        _session.Dispose();
    }
}
