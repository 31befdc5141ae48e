using Gateway.Hardware.Serial;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Framing;

/// <summary>Where received frames go. Called on the link's reader thread; the device waits for the answer.</summary>
public interface IFrameSink
{
    /// <summary>
    /// Stores the frame durably; null when stored (the device hears ACK), else why not (it hears NAK and resends). The
    /// sink commits <paramref name="key"/> with the object, atomically (see <see cref="FrameMemory"/>).
    /// </summary>
    string? Store(DecodedFrame frame, string key);

    /// <summary>The newest frame key committed in the spool by this device when the service started, before any delivery.</summary>
    string? KeyAtStart { get; }
}

/// <summary>
/// The gateway's side of a frame protocol on a serial link: decodes, hands complete frames to the sink and answers
/// ACK only once the sink has them durably, NAK for a corrupt, impossible or stalled frame (the device resends).
/// A frame identical to the last one stored (same number, same content: see <see cref="FrameMemory"/>) is a resend after
/// a lost ACK: acknowledged again, stored once. A repeated number with other content is a new exposure, and is stored.
/// </summary>
public sealed class FrameReceiver : ISerialProtocol
{
    private readonly FrameFormat _format;
    private readonly SerialLink _link;
    private readonly IFrameSink _sink;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly FrameDecoder _decoder;
    private readonly List<FrameEvent> _events = [];
    private readonly TimeSpan _byteTimeout;
    private readonly FrameMemory _memory;
    private long _lastByte;

    /// <param name="memoryPath">Where the last stored frame's fingerprint is kept across restarts (null: in memory only).</param>
    public FrameReceiver(FrameFormat format, SerialLink link, IFrameSink sink, ILogger logger, TimeProvider? time = null, string? memoryPath = null)
    {
        _memory = new FrameMemory(memoryPath, sink.KeyAtStart);
        _format = format;
        _link = link;
        _sink = sink;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _decoder = new FrameDecoder(format);
        _byteTimeout = TimeSpan.FromMilliseconds(format.Settings.ByteTimeoutMs);
    }

    public FrameDecoderStats Stats => _decoder.Stats;
    public long Duplicates { get; private set; }

    /// <summary>Raised on the reader thread for every frame that was NAK'd.</summary>
    public event Action<FrameRejected>? Rejected;

    /// <summary>Asks the device for a frame (its request command); false when the link is down or the device streams on its own.</summary>
    public bool RequestFrame() => _format.Request.Length > 0 && _link.TryWrite(_format.Request);

    public void OnData(ReadOnlySpan<byte> data)
    {
        _lastByte = _time.GetTimestamp();
        _decoder.Feed(data, _events);
        Handle(answer: true);
    }

    public void OnIdle()
    {
        if (_decoder.InFrame && _time.GetElapsedTime(_lastByte) >= _byteTimeout)
        {
            _decoder.Abandon(_events);
            Handle(answer: true);
        }
    }

    public void OnLinkLost()
    {
        _decoder.Abandon(_events);
        Handle(answer: false);
    }

    private void Handle(bool answer)
    {
        foreach (var e in _events)
        {
            switch (e)
            {
                case FrameReceived { Frame: var frame }:
                    var fingerprint = FrameFingerprint.Of(frame);
                    if (_memory.IsRepeat(fingerprint))
                    {
                        Duplicates++;
                        HardwareLog.Duplicate(_logger, frame.FrameNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(unnumbered)");
                        _link.TryWrite(_format.Ack);
                        break;
                    }
                    var key = _memory.NextKey(fingerprint);
                    var problem = _sink.Store(frame, key);
                    if (problem is null)
                    {
                        try
                        {
                            _memory.Remember(key);
                        }
                        catch (Exception io) when (io is IOException or UnauthorizedAccessException)
                        {
                            // The object is durable: ACK it. Only a resend after a crash in this window could be stored twice.
                            HardwareLog.MemoryNotKept(_logger, io.Message);
                        }
                        _link.TryWrite(_format.Ack);
                    }
                    else
                    {
                        HardwareLog.NotStored(_logger, problem);
                        _link.TryWrite(_format.Nak);
                    }
                    break;
                case FrameRejected rejected:
                    HardwareLog.FrameRejected(_logger, rejected.Fault.ToString(), _link.Name, rejected.Reason);
                    if (answer)
                        _link.TryWrite(_format.Nak);
                    Rejected?.Invoke(rejected);
                    break;
            }
        }
        _events.Clear();
    }
}
