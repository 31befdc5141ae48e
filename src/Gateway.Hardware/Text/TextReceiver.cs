using Gateway.Hardware.Framing;
using Gateway.Hardware.Serial;
using Microsoft.Extensions.Logging;

namespace Gateway.Hardware.Text;

/// <summary>The gateway's side of a text report protocol on a serial link: values and record ends go to the handler.</summary>
public sealed class TextReceiver(TextReportParser parser, string port, ILogger logger) : ISerialProtocol
{
    private readonly List<TextEvent> _events = [];

    /// <summary>A value (or, with null, the end of a report); called on the link's reader thread.</summary>
    public event Action<DeviceValue?>? Received;

    public void OnData(ReadOnlySpan<byte> data)
    {
        parser.Feed(data, _events);
        foreach (var e in _events)
        {
            switch (e)
            {
                case TextValue v:
                    Received?.Invoke(v.Value);
                    break;
                case TextRecordEnd:
                    Received?.Invoke(null);
                    break;
                case TextLineIgnored ignored:
                    HardwareLog.LineIgnored(logger, port, ignored.Reason);
                    break;
            }
        }
        _events.Clear();
    }

    public void OnIdle()
    {
    }

    public void OnLinkLost() => parser.Reset();
}
