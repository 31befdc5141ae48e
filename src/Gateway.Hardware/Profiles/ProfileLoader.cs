using System.Text.RegularExpressions;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Framing;
using Gateway.Shared;

namespace Gateway.Hardware.Profiles;

/// <summary>A profile that cannot be used; every problem names its field (e.g. "frames.header.fields[2].type").</summary>
public sealed class ProfileException(string file, IReadOnlyList<string> problems)
    : Exception($"{file}: {problems.Count} problem(s):\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Reads and validates device profiles: all problems at once, each naming the field at fault.</summary>
public static class ProfileLoader
{
    public const int MaxBaud = 12_000_000;
    private static readonly string[] FieldTypes = ["u8", "u16", "u32", "i16", "i32", "f32"];
    private static readonly string[] Endians = ["little", "big"];

    public static DeviceProfile Load(string path)
    {
        if (!File.Exists(path))
            throw new ProfileException(path, ["the file does not exist"]);
        return Parse(File.ReadAllText(path), path);
    }

    public static DeviceProfile Parse(string json, string source)
    {
        // Every problem at once: unknown keys and values of the wrong kind, and what Validate finds when only keys were wrong.
        var profile = StrictJson.Read<DeviceProfile>(json, Validate, out var problems);
        if (problems.Count > 0)
            throw new ProfileException(source, problems);
        return profile!;
    }

    public static List<string> Validate(DeviceProfile p)
    {
        var problems = new List<string>();
        problems.Check(p.Schema == 1, $"schema: {p.Schema} is not a profile version this gateway reads (1)");
        problems.Check(p.Name.Length > 0, "name: is empty");
        problems.Check(p.Serial is not null || p.WatchFolder is not null || p.Video is not null, "serial, watchFolder, video: a profile needs at least one source of images or metadata");
        if (p.Video is { } v)
            ValidateVideo(v, p, problems);
        if (p.Serial is { } s)
        {
            problems.Check(s.Device.Length > 0, "serial.device: is empty (a path such as /dev/ttyUSB0, better a udev symlink such as /dev/gateway-detector)");
            problems.Check(s.Baud is > 0 and <= MaxBaud, $"serial.baud: {s.Baud} is not between 1 and {MaxBaud}");
            problems.Check(s.DataBits is >= 5 and <= 8, $"serial.dataBits: {s.DataBits} is not 5, 6, 7 or 8");
            problems.Check(s.Parity is "none" or "odd" or "even" or "mark" or "space", $"serial.parity: '{s.Parity}' is not none, odd, even, mark or space");
            problems.Check(s.StopBits is "1" or "1.5" or "2", $"serial.stopBits: '{s.StopBits}' is not 1, 1.5 or 2");
            problems.Check(s.Handshake is "none" or "rts-cts" or "xon-xoff", $"serial.handshake: '{s.Handshake}' is not none, rts-cts or xon-xoff");
            problems.Check(s.ReopenMs is >= 50 and <= 60_000, $"serial.reopenMs: {s.ReopenMs} is not between 50 and 60000");
            problems.Check(!(s.Handshake == "xon-xoff" && p.Frames is not null), "serial.handshake: xon-xoff cannot carry binary frames (0x11 and 0x13 occur in pixel data); use rts-cts or none");
            problems.Check((p.Frames is null) != (p.Text is null), "frames, text: a serial port carries either binary frames or text reports; declare exactly one");
        }
        else
        {
            problems.Check(p.Frames is null, "frames: binary frames need a serial port (serial)");
            problems.Check(p.Text is null, "text: text reports need a serial port (serial)");
        }
        if (p.Frames is { } f)
            ValidateFrames(f, problems);
        if (p.Text is { } t)
            ValidateText(t, problems);
        if (p.WatchFolder is { } w)
        {
            problems.Check(w.Path.Length > 0, "watchFolder.path: is empty");
            problems.Check(w.StableMs is >= 0 and <= 600_000, $"watchFolder.stableMs: {w.StableMs} is not between 0 and 600000");
            problems.Check(w.PollMs is >= 10 and <= 60_000, $"watchFolder.pollMs: {w.PollMs} is not between 10 and 60000");
            ValidateFixed(w.Raw, "watchFolder.raw", problems);
        }
        if (p.Gpio is { } g)
            ValidateGpio(g, problems);
        ValidateOutput(p, problems);
        problems.Check(p.Simulator.Width is > 0 and <= ushort.MaxValue && p.Simulator.Height is > 0 and <= ushort.MaxValue,
            $"simulator.width, simulator.height: {p.Simulator.Width}×{p.Simulator.Height} is not an image size");
        ValidateFixed(new FixedImageSettings { BitsStored = p.Simulator.BitsStored, Samples = p.Simulator.Samples }, "simulator", problems);
        problems.Check(p.Simulator.IntervalMs is >= 0 and <= 3_600_000, $"simulator.intervalMs: {p.Simulator.IntervalMs} is not between 0 and 3600000");
        return problems;
    }

    private static void ValidateVideo(VideoProfileSettings v, DeviceProfile p, List<string> problems)
    {
        if (!Video.VideoSourceSettings.TryParseSize(v.Size, out _, out _))
        {
            problems.Add($"video.size: '{v.Size}' is not WIDTHxHEIGHT (e.g. 1920x1080)");
            return;
        }
        problems.Check(v.InputFormat is "mjpeg" or "yuyv", $"video.inputFormat: '{v.InputFormat}' is not mjpeg or yuyv");
        var source = v.ToSourceSettings();
        problems.AddRange(source.Validate("video."));
        problems.Check(Dicom.Iod.IodInfo.FindStill(v.Still.Iod) is not null,
            $"video.still.iod: '{v.Still.Iod}' is not one of {string.Join(", ", Dicom.Iod.IodInfo.Stills.Select(i => i.Name))}");
        problems.Check(v.Still.TransferSyntax is "jpeg" or "native", $"video.still.transferSyntax: '{v.Still.TransferSyntax}' is not jpeg or native");
        problems.Check(Dicom.Iod.IodInfo.FindClip(v.Clip.Iod) is not null,
            $"video.clip.iod: '{v.Clip.Iod}' is not one of {string.Join(", ", Dicom.Iod.IodInfo.Clips.Select(i => i.Name))}");
        problems.Check(v.Clip.TransferSyntax == "h264", $"video.clip.transferSyntax: '{v.Clip.TransferSyntax}' is not h264 (MPEG-4 AVC/H.264 High Profile / Level 4.1)");
        problems.Check(v.Clip.MaxSeconds is >= 1 and <= 3600, $"video.clip.maxSeconds: {v.Clip.MaxSeconds} is not between 1 and 3600");
        problems.Check(v.Clip.Mode is "hold" or "start-stop", $"video.clip.mode: '{v.Clip.Mode}' is not hold or start-stop");
        problems.Check(v.Clip.HoldMs is >= 200 and <= 10_000, $"video.clip.holdMs: {v.Clip.HoldMs} is not between 200 and 10000");
        problems.Check(v.ReopenMs is >= 50 and <= 60_000, $"video.reopenMs: {v.ReopenMs} is not between 50 and 60000");
        if (source.Validate().Count == 0 && Dicom.Video.H264Constraints.Check(source.Width, source.Height, source.Fps) is { } h264)
            problems.Add($"video.size, video.fps: {h264}");
        if (v.Clip.Mode == "start-stop" && p.Gpio is { } gpio)
            problems.Check(gpio.Inputs.Any(i => i.Action == "clip"), "video.clip.mode: start-stop needs a gpio input with action clip (the press that starts and stops)");
        if (v.Clip.Iod is "video-endo" or "video-photo")
            problems.Check(p.Output.Attributes is { } a && a.ValueKind == System.Text.Json.JsonValueKind.Object && a.TryGetProperty("AnatomicRegionSequence", out _),
                $"output.attributes: {v.Clip.Iod} clips need AnatomicRegionSequence (the anatomy filmed, e.g. SCT 71854001 Colon)");
    }

    private static void ValidateFrames(FrameProtocolSettings f, List<string> problems)
    {
        problems.Check(Hex.TryParse(f.Sync, out var sync) && sync.Length is >= 1 and <= 16, $"frames.sync: '{f.Sync}' is not 1 to 16 bytes of hex (e.g. \"A5 5A 5A A5\")");
        problems.Check(f.Header.Length is >= 0 and <= 4096, $"frames.header.length: {f.Header.Length} is not between 0 and 4096");
        problems.Check(Endians.Contains(f.Header.Endian), $"frames.header.endian: '{f.Header.Endian}' is not little or big");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < f.Header.Fields.Count; i++)
        {
            var field = f.Header.Fields[i];
            var at = $"frames.header.fields[{i}]";
            problems.Check(names.Add(field.Name), $"{at}.name: '{field.Name}' is declared twice");
            problems.Check(field.Name.Length > 0, $"{at}.name: is empty");
            var size = FieldTypes.Contains(field.Type) ? HeaderLayout.SizeOf(field.Type) : 0;
            problems.Check(size > 0, $"{at}.type: '{field.Type}' is not one of {string.Join(", ", FieldTypes)}");
            problems.Check(field.Offset >= 0 && field.Offset + size <= f.Header.Length,
                $"{at}.offset: {field.Offset} + {size} byte(s) does not fit in the {f.Header.Length}-byte header");
            problems.Check(field.Endian is null || Endians.Contains(field.Endian), $"{at}.endian: '{field.Endian}' is not little or big");
            if (HeaderLayout.KnownNames.Contains(field.Name))
                problems.Check(field.Keyword is null, $"{at}.keyword: {field.Name} describes the frame itself; it cannot also be {field.Keyword}");
            else if (field.Keyword is null)
                problems.Add($"{at}.name: '{field.Name}' is not one of {string.Join(", ", HeaderLayout.KnownNames)}; give a DICOM keyword to carry it into the object");
            else
                ValidateKeyword(field.Keyword, $"{at}.keyword", problems);
            problems.Check(double.IsFinite(field.Scale) && field.Scale != 0, $"{at}.scale: {field.Scale} is not a usable factor");
        }
        foreach (var (name, value) in new (string, int?)[] { ("width", f.Image.Width), ("height", f.Image.Height), ("bitsStored", f.Image.BitsStored), ("samples", f.Image.Samples) })
            problems.Check(names.Contains(name) || value is not null, $"frames.image.{name}: the header has no '{name}' field, so the profile must give it");
        ValidateFixed(f.Image, "frames.image", problems);
        problems.Check(Endians.Contains(f.PixelEndian), $"frames.pixelEndian: '{f.PixelEndian}' is not little or big");
        problems.Check(f.MaxWidth is > 0 and <= ushort.MaxValue, $"frames.maxWidth: {f.MaxWidth} is not between 1 and 65535");
        problems.Check(f.MaxHeight is > 0 and <= ushort.MaxValue, $"frames.maxHeight: {f.MaxHeight} is not between 1 and 65535");
        problems.Check(f.MaxPayloadBytes is > 0 and <= int.MaxValue - 64, $"frames.maxPayloadBytes: {f.MaxPayloadBytes} is not between 1 and {int.MaxValue - 64}");
        problems.Check(ChecksumKinds.TryParse(f.Checksum.Type, out _), $"frames.checksum.type: '{f.Checksum.Type}' is not none, sum8, crc16-ccitt or crc32");
        problems.Check(f.Checksum.Covers is "payload" or "header+payload" or "sync+header+payload", $"frames.checksum.covers: '{f.Checksum.Covers}' is not payload, header+payload or sync+header+payload");
        problems.Check(Endians.Contains(f.Checksum.Endian), $"frames.checksum.endian: '{f.Checksum.Endian}' is not little or big");
        problems.Check(Hex.TryParse(f.Ack, out _), $"frames.ack: '{f.Ack}' is not hex");
        problems.Check(Hex.TryParse(f.Nak, out _), $"frames.nak: '{f.Nak}' is not hex");
        problems.Check(Hex.TryParse(f.Request, out _), $"frames.request: '{f.Request}' is not hex");
        problems.Check(f.ByteTimeoutMs is >= 10 and <= 600_000, $"frames.byteTimeoutMs: {f.ByteTimeoutMs} is not between 10 and 600000");
        problems.Check(f.AckTimeoutMs is >= 10 and <= 600_000, $"frames.ackTimeoutMs: {f.AckTimeoutMs} is not between 10 and 600000");
    }

    private static void ValidateFixed(FixedImageSettings image, string at, List<string> problems)
    {
        if (image.Width is { } w && w is < 1 or > ushort.MaxValue)
            problems.Add($"{at}.width: {w} is not between 1 and 65535");
        if (image.Height is { } h && h is < 1 or > ushort.MaxValue)
            problems.Add($"{at}.height: {h} is not between 1 and 65535");
        if (image.BitsStored is { } b && b is < 1 or > 16)
            problems.Add($"{at}.bitsStored: {b} is not between 1 and 16");
        if (image.Samples is { } s && s is not (1 or 3))
            problems.Add($"{at}.samples: {s} is not 1 (grey) or 3 (RGB)");
    }

    private static void ValidateText(TextProtocolSettings t, List<string> problems)
    {
        if (t.Encoding is not ("latin1" or "ascii" or "utf-8"))
            problems.Add($"text.encoding: '{t.Encoding}' is not latin1, ascii or utf-8");
        if (t.EndOfRecord is { } end)
            ValidatePattern(end, "text.endOfRecord", false, problems);
        if (t.MaxLineLength is < 16 or > 65536)
            problems.Add($"text.maxLineLength: {t.MaxLineLength} is not between 16 and 65536");
        if (t.Fields.Count == 0)
            problems.Add("text.fields: no patterns: nothing would be read from the reports");
        for (var i = 0; i < t.Fields.Count; i++)
        {
            ValidatePattern(t.Fields[i].Pattern, $"text.fields[{i}].pattern", true, problems);
            ValidateKeyword(t.Fields[i].Keyword, $"text.fields[{i}].keyword", problems);
            if (t.Fields[i].Scale is { } scale && (!double.IsFinite(scale) || scale == 0))
                problems.Add($"text.fields[{i}].scale: {scale} is not a usable factor");
        }
    }

    private static void ValidatePattern(string pattern, string at, bool needsGroup, List<string> problems)
    {
        try
        {
            var regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            if (needsGroup && regex.GetGroupNumbers().Length < 2)
                problems.Add($"{at}: '{pattern}' has no group ( ) around the value");
        }
        catch (ArgumentException e)
        {
            problems.Add($"{at}: '{pattern}' is not a regular expression: {e.Message}");
        }
    }

    private static void ValidateKeyword(string keyword, string at, List<string> problems)
    {
        var entry = DicomDictionary.Find(keyword);
        if (entry is null)
            problems.Add($"{at}: '{keyword}' is not a DICOM keyword (they are case-sensitive, e.g. KVP, PatientID)");
        else if (IodBuilder.Derived.Contains(entry.Tag))
            problems.Add($"{at}: {keyword} is derived from the image; it cannot come from the device");
        else if (entry.VR == DicomVR.SQ || entry.VR.Kind == DicomVRKind.Bulk)
            problems.Add($"{at}: {keyword} is a {entry.VR.Code} element; a device value cannot fill it");
    }

    private static void ValidateGpio(GpioSettings g, List<string> problems)
    {
        if (g.Driver is not ("libgpiod" or "sysfs"))
            problems.Add($"gpio.driver: '{g.Driver}' is not libgpiod or sysfs");
        if (g.Chip is < 0 or > 63)
            problems.Add($"gpio.chip: {g.Chip} is not between 0 and 63");
        var lines = new HashSet<int>();
        void Line(int line, string at)
        {
            if (line is < 0 or > 1023)
                problems.Add($"{at}.line: {line} is not between 0 and 1023");
            else if (!lines.Add(line))
                problems.Add($"{at}.line: line {line} is used twice");
        }
        for (var i = 0; i < g.Inputs.Count; i++)
        {
            var input = g.Inputs[i];
            var at = $"gpio.inputs[{i}]";
            if (input.Name.Length == 0)
                problems.Add($"{at}.name: is empty");
            Line(input.Line, at);
            if (input.Edge is not ("rising" or "falling"))
                problems.Add($"{at}.edge: '{input.Edge}' is not rising or falling");
            if (input.DebounceMs is < 0 or > 10_000)
                problems.Add($"{at}.debounceMs: {input.DebounceMs} is not between 0 and 10000");
            if (input.Bias is not ("pull-up" or "pull-down" or "none"))
                problems.Add($"{at}.bias: '{input.Bias}' is not pull-up, pull-down or none");
            if (input.Action is not ("capture" or "clip" or "end-series" or "end-exam"))
                problems.Add($"{at}.action: '{input.Action}' is not capture, clip, end-series or end-exam");
        }
        foreach (var (name, output) in new[] { ("ready", g.Outputs.Ready), ("busy", g.Outputs.Busy), ("error", g.Outputs.Error) })
        {
            if (output is not null)
                Line(output.Line, $"gpio.outputs.{name}");
        }
    }

    private static void ValidateOutput(DeviceProfile p, List<string> problems)
    {
        var o = p.Output;
        var info = IodInfo.Find(o.Iod);
        if (info is null)
            problems.Add($"output.iod: '{o.Iod}' is not one of {string.Join(", ", IodInfo.All.Select(i => i.Name))}");
        if (o.Photometric is not ("MONOCHROME2" or "MONOCHROME1"))
            problems.Add($"output.photometric: '{o.Photometric}' is not MONOCHROME2 or MONOCHROME1");
        else if (o.Photometric == "MONOCHROME1" && info is { AllowsMonochrome1: false })
            problems.Add($"output.photometric: {info.Name} does not allow MONOCHROME1 (sc, dx and dx-proc do)");
        if (o.Grouping is not ("object-per-frame" or "multi-frame"))
            problems.Add($"output.grouping: '{o.Grouping}' is not object-per-frame or multi-frame");
        else if (info is not null && (o.Grouping == "multi-frame") != info.MultiFrame)
            problems.Add($"output.grouping: {o.Grouping} does not fit output.iod {info.Name} ({(info.MultiFrame ? "a multi-frame IOD" : "a single-frame IOD")})");
        if (o.FramesPerObject < 0 || (o.FramesPerObject > 0 && o.Grouping != "multi-frame"))
            problems.Add($"output.framesPerObject: {o.FramesPerObject} applies only to multi-frame grouping, and cannot be negative");
        if (o.SeriesIdleSeconds is < 1 or > 86_400)
            problems.Add($"output.seriesIdleSeconds: {o.SeriesIdleSeconds} is not between 1 and 86400");
        if (o.ExamIdleSeconds is < 0 or > 86400)
            problems.Add($"output.examIdleSeconds: {o.ExamIdleSeconds} is not between 0 (none) and 86400");
        ValidateTransferSyntax(p, info, problems);
        if (o.Attributes is { } attributes)
        {
            try
            {
                var metadata = MetadataJson.Parse(attributes.GetRawText(), "output.attributes");
                if (info is not null && p.Frames is not null)
                    CheckIodNeeds(info, metadata, p, problems);
            }
            catch (DicomValueException e)
            {
                problems.Add(e.Message);
            }
        }
        else if (info is { Kind: IodKind.DxForPresentation or IodKind.DxForProcessing } && p.Frames is not null)
            problems.Add("output.attributes: DX needs ImagerPixelSpacing and PatientOrientation from the profile");
    }

    /// <summary>
    /// Issue #19: output.transferSyntax is a syntax the codecs write, with its parameters in range, and one that can take
    /// the bit depth the profile fixes (frames.image, watchFolder.raw, or what the IOD allows).
    /// </summary>
    private static void ValidateTransferSyntax(DeviceProfile p, IodInfo? info, List<string> problems)
    {
        var o = p.Output;
        if (o.JpegQuality is < 1 or > 100)
            problems.Add($"output.jpegQuality: {o.JpegQuality} is not between 1 and 100");
        if (o.JpegLsNear is < 0 or > 255)
            problems.Add($"output.jpegLsNear: {o.JpegLsNear} is not between 0 and 255");
        if (!TransferSyntaxNames.TryParse(o.TransferSyntax, out var ts))
        {
            problems.Add($"output.transferSyntax: '{o.TransferSyntax}' is not one of {string.Join(", ", TransferSyntaxNames.Names)}");
            return;
        }
        // The depth the objects have: what the frame protocol or the watch folder fixes, else any the IOD allows.
        var fixedBits = p.Frames?.Image.BitsStored ?? p.WatchFolder?.Raw.BitsStored;
        if (fixedBits is { } bits)
        {
            if (TransferSyntaxNames.CannotEncode(ts, bits > 8 ? 16 : 8, bits) is { } why)
                problems.Add($"output.transferSyntax: {o.TransferSyntax} cannot hold this profile's {bits}-bit images: {why}");
        }
        else if (ts.Equals(DicomTransferSyntax.JpegBaseline) && info is not null && info.Formats.Any(f => f.BitsAllocated != 8))
            problems.Add($"output.transferSyntax: jpeg-baseline holds 8-bit images only, and {info.Name} images from this device may have more bits: fix frames.image.bitsStored (or watchFolder.raw.bitsStored) at 8, or choose a lossless syntax");
    }

    /// <summary>Adds <paramref name="message"/> unless <paramref name="ok"/>.</summary>
    private static void Check(this List<string> problems, bool ok, string message)
    {
        if (!ok)
            problems.Add(message);
    }

    private static void CheckIodNeeds(IodInfo info, DicomDataset metadata, DeviceProfile p, List<string> problems)
    {
        if (info.Kind is not (IodKind.DxForPresentation or IodKind.DxForProcessing))
            return;
        if (!metadata.Contains(DicomTags.ImagerPixelSpacing) && !FromDevice(p, "ImagerPixelSpacing"))
            problems.Add("output.attributes: DX needs ImagerPixelSpacing (the detector's pixel pitch in mm) from the profile");
        if (!metadata.Contains(DicomTags.PatientOrientation) && !FromDevice(p, "PatientOrientation"))
            problems.Add("output.attributes: DX needs PatientOrientation (e.g. [\"L\", \"F\"]) from the profile");
    }

    private static bool FromDevice(DeviceProfile p, string keyword) =>
        p.Frames?.Header.Fields.Any(f => f.Keyword == keyword) == true || p.Text?.Fields.Any(f => f.Keyword == keyword) == true;
}
