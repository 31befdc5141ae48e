using Gateway.Dicom.Imaging;

namespace Gateway.Hardware.Framing;

/// <summary>A value the device reported for the object (a keyword header field or a text report line), already scaled.</summary>
public sealed record DeviceValue(string Keyword, string Value);

/// <summary>A complete frame whose checksum matched: its layout, its pixels as DICOM stores them (little endian), its values.</summary>
public sealed record DecodedFrame(long? FrameNumber, ImageFormat Format, byte[] Pixels, IReadOnlyList<DeviceValue> Values);

public enum FrameFault
{
    /// <summary>The checksum did not match: the device must resend (NAK).</summary>
    Checksum,
    /// <summary>The header announced an impossible frame; rejected before anything was allocated.</summary>
    Header,
    /// <summary>The bytes stopped arriving in the middle of a frame (byte timeout, link lost).</summary>
    Abandoned,
}

/// <summary>What the decoder made of the bytes it was fed.</summary>
public abstract record FrameEvent;

public sealed record FrameReceived(DecodedFrame Frame) : FrameEvent;

public sealed record FrameRejected(FrameFault Fault, string Reason, long? FrameNumber) : FrameEvent;

/// <summary>Counters since the decoder was made.</summary>
public sealed class FrameDecoderStats
{
    public long Frames { get; internal set; }
    public long ChecksumFailures { get; internal set; }
    public long HeadersRejected { get; internal set; }
    public long Abandoned { get; internal set; }
    /// <summary>Bytes skipped while looking for the sync word (line noise, a device's chatter, a lost frame's tail).</summary>
    public long GarbageBytes { get; internal set; }
}
