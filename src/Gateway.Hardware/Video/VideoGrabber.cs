using System.Globalization;

namespace Gateway.Hardware.Video;

/// <summary>How a still leaves ffmpeg: raw RGB (for uncompressed objects) or a baseline JPEG of 4:2:2 YCbCr.</summary>
public enum StillEncoding
{
    Rgb,
    Jpeg,
}

/// <summary>
/// Opens a grabber through ffmpeg — the only place that does (DESIGN.md) — for one still or one clip. A still is the
/// first frame ffmpeg takes from the device after the trigger; a clip is the device's frames encoded as H.264 High
/// Profile / Level 4.1 in a byte stream (Annex B) on ffmpeg's standard output, for the caller to stream into a file.
/// Thread-safe; every process it starts is the caller's to dispose (which kills it).
/// </summary>
public sealed class VideoGrabber(VideoSourceSettings settings)
{
    /// <summary>The longest a still may take (open the device, first frame, encode) before the grabber counts as gone.</summary>
    public static readonly TimeSpan StillTimeout = TimeSpan.FromSeconds(15);

    public VideoSourceSettings Settings { get; } = settings;

    /// <summary>
    /// The frame at the moment of the call: <see cref="StillEncoding.Rgb"/> gives exactly width × height × 3 bytes,
    /// <see cref="StillEncoding.Jpeg"/> one baseline JPEG codestream. <see cref="VideoSourceException"/> when the device
    /// is missing, busy or sends nothing (the reason is ffmpeg's).
    /// </summary>
    public async Task<byte[]> GrabStillAsync(StillEncoding encoding, CancellationToken ct = default)
    {
        CheckDevice();
        var frameBytes = (long)Settings.Width * Settings.Height * 3;
        List<string> args = [.. Settings.InputArguments(), "-frames:v", "1", "-an", "-s", Size];
        args.AddRange(encoding == StillEncoding.Rgb
            ? ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
            // Baseline JPEG of 4:2:2 YCbCr (full range): Photometric Interpretation YBR_FULL_422 (PS3.5 §8.2.1).
            : ["-c:v", "mjpeg", "-pix_fmt", "yuvj422p", "-q:v", "2", "-f", "mjpeg", "pipe:1"]);
        using var ffmpeg = FfmpegProcess.Start(args);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StillTimeout);
        // A JPEG is never larger than the raw frame plus its headers; more is not a still we asked for.
        var limit = encoding == StillEncoding.Rgb ? frameBytes : frameBytes + 65536;
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        try
        {
            int n;
            while ((n = await ffmpeg.Output.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > limit)
                    throw new VideoSourceException($"ffmpeg sent more than {limit} bytes for one {Size} frame");
                buffer.Write(chunk, 0, n);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new VideoSourceException($"device disconnected: no frame from {Settings.Source} within {StillTimeout.TotalSeconds:0} s");
        }
        var exit = await ffmpeg.WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        if (exit != 0)
            throw new VideoSourceException($"device disconnected: ffmpeg on {Settings.Source} ended with {(exit is { } e ? "exit code " + e.ToString(CultureInfo.InvariantCulture) : "no exit")}: {ffmpeg.Stderr}");
        if (encoding == StillEncoding.Rgb && buffer.Length != frameBytes)
            throw new VideoSourceException($"device disconnected: {buffer.Length} bytes of a {frameBytes}-byte {Size} frame from {Settings.Source}");
        if (encoding == StillEncoding.Jpeg && (buffer.Length < 4 || buffer.GetBuffer()[0] != 0xFF || buffer.GetBuffer()[1] != 0xD8))
            throw new VideoSourceException($"device disconnected: no JPEG from {Settings.Source}: {ffmpeg.Stderr}");
        return buffer.ToArray();
    }

    /// <summary>
    /// Starts a clip of at most <paramref name="maxSeconds"/>: H.264 High Profile / Level 4.1, 4:2:0, constant
    /// frame rate, on the process's <see cref="FfmpegProcess.Output"/>. <see cref="FfmpegProcess.RequestStop"/> ends it
    /// early and cleanly; disposing it kills it (the stream then ends mid-picture).
    /// </summary>
    public FfmpegProcess StartClip(int maxSeconds)
    {
        CheckDevice();
        return FfmpegProcess.Start(ClipArguments(maxSeconds));
    }

    /// <summary>ffmpeg's arguments for a clip (public for the benchmark, which runs the same encoder alone beside us).</summary>
    public IReadOnlyList<string> ClipArguments(int maxSeconds)
    {
        var rate = Settings.Fps.ToString(CultureInfo.InvariantCulture);
        List<string> args = [.. Settings.InputArguments(), "-t", maxSeconds.ToString(CultureInfo.InvariantCulture), "-an",
            "-s", Size, "-r", rate, "-pix_fmt", "yuv420p", "-c:v", Settings.Encoder, "-profile:v", "high", "-level:v", "4.1"];
        if (Settings.Encoder == "libx264")
            // Level 4.1 High: at most 62.5 Mbit/s and a 78 Mbit buffer (H.264 Table A-1); a key frame every 2 s.
            args.AddRange(["-preset", "veryfast", "-crf", "20", "-maxrate", "40M", "-bufsize", "40M", "-g", (Settings.Fps * 2).ToString(CultureInfo.InvariantCulture)]);
        else
            args.AddRange(["-b:v", "12M", "-g", (Settings.Fps * 2).ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-f", "h264", "pipe:1"]);
        return args;
    }

    private string Size => string.Create(CultureInfo.InvariantCulture, $"{Settings.Width}x{Settings.Height}");

    private void CheckDevice()
    {
        if (Settings.DevicePath is { } path && !File.Exists(path))
            throw new VideoSourceException($"device disconnected: {path} does not exist (grabber unplugged, or another name: see hardware/udev)");
    }
}
