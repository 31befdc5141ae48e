using System.Globalization;

namespace Gateway.Hardware.Video;

/// <summary>The grabber's input format on V4L2: what most UVC grabbers offer (MJPEG for full HD at 30 fps over USB 2, YUYV raw).</summary>
public enum VideoInputFormat
{
    Mjpeg,
    Yuyv,
}

/// <summary>
/// Where frames come from and how clips are encoded: a V4L2 device (<c>v4l2:/dev/videoN</c>, or a stable udev name such
/// as <c>v4l2:/dev/grabber-endoscope</c>) or ffmpeg's test pattern (<c>test</c>, <c>testsrc2</c>, which stands in for
/// a grabber in tests and the demo). Immutable; <see cref="Parse"/> and <see cref="Validate"/> name every problem.
/// </summary>
public sealed record VideoSourceSettings
{
    public const string TestSource = "test";
    public const string V4l2Prefix = "v4l2:";

    /// <summary>Encoders the gateway knows how to drive: libx264 (software, the default) and the V4L2 memory-to-memory
    /// encoder of boxes that have one (Raspberry Pi 4: <c>h264_v4l2m2m</c>).</summary>
    public static readonly IReadOnlyList<string> Encoders = ["libx264", "h264_v4l2m2m"];

    /// <summary><c>test</c> or <c>v4l2:PATH</c>.</summary>
    public string Source { get; init; } = TestSource;
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public int Fps { get; init; } = 30;
    public VideoInputFormat InputFormat { get; init; } = VideoInputFormat.Mjpeg;
    public string Encoder { get; init; } = "libx264";

    /// <summary>The test pattern comes at its frame rate, as a grabber's frames do (ffmpeg -re); false lets it run as
    /// fast as the encoder can (the benchmark's encode speed).</summary>
    public bool Realtime { get; init; } = true;

    public bool IsTest => Source == TestSource;

    /// <summary>The device path of a V4L2 source (null for the test source).</summary>
    public string? DevicePath => Source.StartsWith(V4l2Prefix, StringComparison.Ordinal) ? Source[V4l2Prefix.Length..] : null;

    /// <summary>Problems with the settings, each naming its field (empty when they can be honoured as far as can be told without the device).</summary>
    public IReadOnlyList<string> Validate(string prefix = "")
    {
        var problems = new List<string>();
        if (!IsTest && DevicePath is not { Length: > 0 } path)
            problems.Add($"{prefix}source: '{Source}' is not 'test' or 'v4l2:/dev/videoN'");
        else if (DevicePath is { } p && (!p.StartsWith("/dev/", StringComparison.Ordinal) || p.Contains("/../", StringComparison.Ordinal) || p.Any(char.IsControl)))
            problems.Add($"{prefix}source: '{Source}' is not a device under /dev");
        if (Width is < 16 or > 4096 || Height is < 16 or > 4096)
            problems.Add($"{prefix}size: {Width}x{Height} is outside 16x16 to 4096x4096");
        else if (Width % 2 != 0 || Height % 2 != 0)
            problems.Add($"{prefix}size: {Width}x{Height} must be even in both sides");
        if (Fps is < 1 or > 60)
            problems.Add($"{prefix}fps: {Fps} is not 1 to 60");
        if (!Encoders.Contains(Encoder))
            problems.Add($"{prefix}encoder: '{Encoder}' is not one of {string.Join(", ", Encoders)}");
        return problems;
    }

    /// <summary>WIDTHxHEIGHT, e.g. 1920x1080.</summary>
    public static bool TryParseSize(string text, out int width, out int height)
    {
        width = height = 0;
        var parts = text.Split('x', 'X');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out width)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out height);
    }

    /// <summary>ffmpeg's input arguments for this source (an argument list: no shell ever sees them).</summary>
    public IReadOnlyList<string> InputArguments()
    {
        var size = string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}");
        var rate = Fps.ToString(CultureInfo.InvariantCulture);
        if (IsTest)
            return Realtime ? ["-re", "-f", "lavfi", "-i", $"testsrc2=size={size}:rate={rate}"] : ["-f", "lavfi", "-i", $"testsrc2=size={size}:rate={rate}"];
        return ["-f", "v4l2", "-input_format", InputFormat == VideoInputFormat.Mjpeg ? "mjpeg" : "yuyv422",
            "-video_size", size, "-framerate", rate, "-i", DevicePath!];
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Source} {Width}x{Height}@{Fps}");
}
