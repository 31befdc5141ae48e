using System.Text.Json;

namespace Gateway.Hardware.Profiles;

/// <summary>
/// One device model, declared rather than coded (hardware/profiles/*.json, documented in hardware/README.md): how to
/// reach it (serial port, watch folder), how its binary frames and its text reports look, which GPIO lines trigger and
/// signal, and which DICOM object its images become. <see cref="ProfileLoader"/> validates it and names the field at fault.
/// </summary>
public sealed record DeviceProfile
{
    /// <summary>The profile format's version; 1 today.</summary>
    public int Schema { get; init; } = 1;
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public SerialSettings? Serial { get; init; }
    public FrameProtocolSettings? Frames { get; init; }
    public TextProtocolSettings? Text { get; init; }
    public WatchFolderSettings? WatchFolder { get; init; }
    public GpioSettings? Gpio { get; init; }
    /// <summary>A video grabber: stills and clips (issue #20).</summary>
    public VideoProfileSettings? Video { get; init; }
    public OutputSettings Output { get; init; } = new();
    public SimulatorSettings Simulator { get; init; } = new();
}

/// <summary>A serial port (RS-232 or USB-serial): its path (better a udev symlink, see hardware/udev) and line settings.</summary>
public sealed record SerialSettings
{
    public string Device { get; init; } = "";
    /// <summary>Up to 12,000,000 for USB-serial bridges.</summary>
    public int Baud { get; init; } = 9600;
    public int DataBits { get; init; } = 8;
    /// <summary>none, odd, even, mark, space.</summary>
    public string Parity { get; init; } = "none";
    /// <summary>1, 1.5 or 2.</summary>
    public string StopBits { get; init; } = "1";
    /// <summary>none, rts-cts, xon-xoff.</summary>
    public string Handshake { get; init; } = "none";
    /// <summary>How often a lost port is looked for again.</summary>
    public int ReopenMs { get; init; } = 1000;
}

/// <summary>
/// Binary image transfer: sync word, fixed-length header with typed fields, payload of width × height × samples ×
/// bytes per sample, checksum, then ACK or NAK from the gateway. Stop-and-wait: the device sends the next frame after ACK.
/// </summary>
public sealed record FrameProtocolSettings
{
    /// <summary>The bytes that start every frame, in hex ("A5 5A 5A A5").</summary>
    public string Sync { get; init; } = "";
    public HeaderSettings Header { get; init; } = new();
    /// <summary>Image properties the header does not carry (a field of the same name wins).</summary>
    public FixedImageSettings Image { get; init; } = new();
    /// <summary>Byte order of 16-bit samples in the payload: little or big.</summary>
    public string PixelEndian { get; init; } = "little";
    public int MaxWidth { get; init; } = 4096;
    public int MaxHeight { get; init; } = 4096;
    /// <summary>A header that announces more is rejected before anything is allocated.</summary>
    public long MaxPayloadBytes { get; init; } = 64L << 20;
    public ChecksumSettings Checksum { get; init; } = new();
    /// <summary>Sent (hex) once the frame is durable in the spool; empty for devices that expect no answer.</summary>
    public string Ack { get; init; } = "06";
    /// <summary>Sent (hex) when a frame is corrupt, abandoned or could not be stored: the device resends it.</summary>
    public string Nak { get; init; } = "15";
    /// <summary>Sent (hex) to ask the device for a frame (trigger input or "test capture"); empty when it streams on its own.</summary>
    public string Request { get; init; } = "";
    /// <summary>A frame whose bytes stop arriving for this long is abandoned (NAK'd).</summary>
    public int ByteTimeoutMs { get; init; } = 2000;
    /// <summary>How long the device waits for ACK/NAK before it resends (the simulator plays this).</summary>
    public int AckTimeoutMs { get; init; } = 10000;
}

public sealed record HeaderSettings
{
    /// <summary>Header bytes after the sync word.</summary>
    public int Length { get; init; }
    /// <summary>Default byte order of the fields: little or big.</summary>
    public string Endian { get; init; } = "little";
    public IReadOnlyList<HeaderField> Fields { get; init; } = [];
}

/// <summary>
/// One header field. Names with a meaning: width, height, bitsStored, samples, frameNumber, payloadLength. Any other
/// name must carry a DICOM keyword: its value (× scale) goes into the object (e.g. "kvp" → KVP).
/// </summary>
public sealed record HeaderField
{
    public string Name { get; init; } = "";
    public int Offset { get; init; }
    /// <summary>u8, u16, u32, i16, i32, f32.</summary>
    public string Type { get; init; } = "";
    /// <summary>Overrides the header's byte order for this field.</summary>
    public string? Endian { get; init; }
    public string? Keyword { get; init; }
    public double Scale { get; init; } = 1;
}

public sealed record FixedImageSettings
{
    public int? Width { get; init; }
    public int? Height { get; init; }
    public int? BitsStored { get; init; }
    public int? Samples { get; init; }
}

public sealed record ChecksumSettings
{
    /// <summary>none, sum8, crc16-ccitt (poly 0x1021, init 0xFFFF), crc32 (IEEE 802.3).</summary>
    public string Type { get; init; } = "none";
    /// <summary>payload, header+payload, sync+header+payload.</summary>
    public string Covers { get; init; } = "header+payload";
    /// <summary>Byte order of the checksum after the payload.</summary>
    public string Endian { get; init; } = "little";
}

/// <summary>Exam data printed as text lines (e.g. "PID=123", "KV 70", "MAS 12.5"), mapped to DICOM keywords.</summary>
public sealed record TextProtocolSettings
{
    /// <summary>latin1, ascii or utf-8.</summary>
    public string Encoding { get; init; } = "latin1";
    /// <summary>A line matching this ends one report; without it every line updates the next object's metadata.</summary>
    public string? EndOfRecord { get; init; }
    public int MaxLineLength { get; init; } = 1024;
    public IReadOnlyList<TextField> Fields { get; init; } = [];
}

/// <summary>A line pattern whose first group is the value of <see cref="Keyword"/>; numbers are multiplied by <see cref="Scale"/>.</summary>
public sealed record TextField
{
    public string Pattern { get; init; } = "";
    public string Keyword { get; init; } = "";
    public double? Scale { get; init; }
}

/// <summary>A folder the device (or a USB-stick export, or a share) drops images into.</summary>
public sealed record WatchFolderSettings
{
    public string Path { get; init; } = "";
    /// <summary>A file is taken only once its size and time stayed the same this long.</summary>
    public int StableMs { get; init; } = 2000;
    public int PollMs { get; init; } = 500;
    /// <summary>For *.raw files: the layout (a "name.json" sidecar with DICOM keywords may come with any image).</summary>
    public FixedImageSettings Raw { get; init; } = new();
}

public sealed record GpioSettings
{
    /// <summary>libgpiod (the box) or sysfs.</summary>
    public string Driver { get; init; } = "libgpiod";
    public int Chip { get; init; }
    public IReadOnlyList<GpioInput> Inputs { get; init; } = [];
    public GpioOutputs Outputs { get; init; } = new();
}

public sealed record GpioInput
{
    public string Name { get; init; } = "";
    public int Line { get; init; }
    /// <summary>rising or falling: the edge that acts.</summary>
    public string Edge { get; init; } = "falling";
    /// <summary>The line must hold its new level this long to count (contact bounce).</summary>
    public int DebounceMs { get; init; } = 30;
    /// <summary>pull-up, pull-down or none.</summary>
    public string Bias { get; init; } = "pull-up";
    /// <summary>capture (ask the device for a frame; with a video section: a still, held past video.clip.holdMs a clip too), clip (video, start-stop mode: start or stop a clip), end-series (close the series: a multi-frame object is written) or end-exam (the technician's "exam done": MPPS COMPLETED).</summary>
    public string Action { get; init; } = "capture";
}

public sealed record GpioOutputs
{
    public GpioOutput? Ready { get; init; }
    public GpioOutput? Busy { get; init; }
    public GpioOutput? Error { get; init; }
}

public sealed record GpioOutput
{
    public int Line { get; init; }
    public bool ActiveLow { get; init; }
}

/// <summary>What the frames become.</summary>
public sealed record OutputSettings
{
    /// <summary>An IOD name of `gateway wrap --iod` (sc, sc-mf-gray16, dx, us, vl-endo …).</summary>
    public string Iod { get; init; } = "sc";
    /// <summary>MONOCHROME2 (black is the minimum) or MONOCHROME1 (white is, as many CR/DR detectors deliver); grey images only.</summary>
    public string Photometric { get; init; } = "MONOCHROME2";
    /// <summary>object-per-frame (every frame an object, one series per session) or multi-frame (one object per series).</summary>
    public string Grouping { get; init; } = "object-per-frame";
    /// <summary>multi-frame: the object is written after this many frames (0: at end-series or idle).</summary>
    public int FramesPerObject { get; init; }
    /// <summary>A series (session) ends after this long without a frame.</summary>
    public int SeriesIdleSeconds { get; init; } = 600;
    /// <summary>The exam in progress ends (MPPS COMPLETED) after this long without an image; 0: only by the technician (issue #17).</summary>
    public int ExamIdleSeconds { get; init; }
    /// <summary>DICOM keywords → values for every object (Manufacturer, ImagerPixelSpacing, PatientOrientation …).</summary>
    public JsonElement? Attributes { get; init; }
    /// <summary>
    /// Issue #19: the transfer syntax the objects are spooled in (explicit, implicit, rle, jpeg-lossless, jpeg-ls,
    /// jpeg-ls-near, jpeg-baseline): compressed when they are built, before the spool, so that the spool holds the
    /// compressed bytes. A lossy one (jpeg-baseline, jpeg-ls-near with NEAR above 0) sets Lossy Image Compression 01.
    /// </summary>
    public string TransferSyntax { get; init; } = "explicit";
    /// <summary>jpeg-baseline: the quality, 1 … 100.</summary>
    public int JpegQuality { get; init; } = 90;
    /// <summary>jpeg-ls-near: NEAR, the largest error per sample, 0 … 255 (0 is lossless).</summary>
    public int JpegLsNear { get; init; } = 2;
}

/// <summary>What `gateway simulate` plays for this profile.</summary>
public sealed record SimulatorSettings
{
    public int Width { get; init; } = 256;
    public int Height { get; init; } = 256;
    /// <summary>Used when the frame protocol does not fix it.</summary>
    public int BitsStored { get; init; } = 12;
    /// <summary>Used when the frame protocol does not fix it: 1 (grey) or 3 (RGB).</summary>
    public int Samples { get; init; } = 1;
    /// <summary>Pause between frames or reports.</summary>
    public int IntervalMs { get; init; }
    /// <summary>Values of the keyword header fields, by field name.</summary>
    public Dictionary<string, double> HeaderValues { get; init; } = [];
    /// <summary>The text report the device prints, line by line.</summary>
    public IReadOnlyList<string> Report { get; init; } = [];
}
