using Gateway.Hardware.Video;

namespace Gateway.Hardware.Profiles;

/// <summary>
/// A video grabber (issue #20, hardware/README.md "Video section"): where frames come from, what a still and a clip
/// become, and how the foot switch makes them. Validated by <see cref="ProfileLoader"/>, every problem named by its field.
/// </summary>
public sealed record VideoProfileSettings
{
    /// <summary><c>test</c> (ffmpeg's testsrc2) or <c>v4l2:/dev/videoN</c> (better a udev name, hardware/udev).</summary>
    public string Source { get; init; } = "";
    /// <summary>WIDTHxHEIGHT the grabber delivers and the objects have.</summary>
    public string Size { get; init; } = "1280x720";
    public int Fps { get; init; } = 30;
    /// <summary>mjpeg or yuyv (V4L2 only).</summary>
    public string InputFormat { get; init; } = "mjpeg";
    /// <summary>libx264 (software) or h264_v4l2m2m (the box's hardware encoder).</summary>
    public string Encoder { get; init; } = "libx264";
    public VideoStillSettings Still { get; init; } = new();
    public VideoClipSettings Clip { get; init; } = new();
    /// <summary>How often a lost grabber is looked for again, first; doubled up to 30 s.</summary>
    public int ReopenMs { get; init; } = 1000;

    /// <summary>The settings of the ffmpeg source (after validation).</summary>
    public VideoSourceSettings ToSourceSettings()
    {
        if (!VideoSourceSettings.TryParseSize(Size, out var w, out var h))
            throw new InvalidOperationException($"video.size '{Size}' is not WIDTHxHEIGHT (the profile was not validated)");
        return new VideoSourceSettings
        {
            Source = Source, Width = w, Height = h, Fps = Fps, Encoder = Encoder,
            InputFormat = InputFormat == "yuyv" ? VideoInputFormat.Yuyv : VideoInputFormat.Mjpeg,
        };
    }
}

public sealed record VideoStillSettings
{
    /// <summary>vl-endo, vl-photo, us or sc.</summary>
    public string Iod { get; init; } = "vl-endo";
    /// <summary>jpeg (JPEG Baseline, YBR_FULL_422, lossy) or native (uncompressed RGB).</summary>
    public string TransferSyntax { get; init; } = "jpeg";
}

public sealed record VideoClipSettings
{
    /// <summary>video-endo, video-photo or us-mf (H.264 High Profile / Level 4.1).</summary>
    public string Iod { get; init; } = "video-endo";
    /// <summary>h264: MPEG-4 AVC/H.264 High Profile / Level 4.1 (1.2.840.10008.1.2.4.102), the only one today.</summary>
    public string TransferSyntax { get; init; } = "h264";
    /// <summary>A clip ends by itself after this long.</summary>
    public int MaxSeconds { get; init; } = 600;
    /// <summary>hold (the capture input held past holdMs records until released) or start-stop (a clip input: one press starts, the next stops).</summary>
    public string Mode { get; init; } = "hold";
    /// <summary>hold mode: how long the capture input must stay pressed before a clip starts (a shorter press is a still only).</summary>
    public int HoldMs { get; init; } = 1000;
}
