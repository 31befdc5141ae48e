using System.Globalization;
using Gateway.Acquisition.Video;
using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Video;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway capture --source test|v4l2:/dev/videoN [--size WxH] [--fps N] (--still | --clip SECONDS) --iod KIND
/// [--meta META.json] --out OUT.dcm` (issue #20): one still or one clip from a grabber or ffmpeg's test pattern,
/// outside the service, for commissioning and tests. Exit 2 with the reason when the source or the parameters cannot
/// be honoured; 1 when a clip was cut short by the grabber (the shorter object is kept and said).
/// </summary>
internal static class CaptureCommand
{
    public const string Usage =
        "gateway capture --source test|v4l2:/dev/videoN [--size WxH] [--fps N] [--input-format mjpeg|yuyv] (--still [--ts native|jpeg] | --clip SECONDS [--encoder libx264|h264_v4l2m2m]) [--pace realtime|max] --iod KIND [--meta META.json] --out OUT.dcm   (still: vl-endo|vl-photo|us|sc; clip: video-endo|video-photo|us-mf)";

    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var source = args.Required("source");
        var size = args.Option("size") ?? "1280x720";
        if (!VideoSourceSettings.TryParseSize(size, out var width, out var height))
            throw new UsageException($"--size '{size}' is not WIDTHxHEIGHT");
        var fpsText = args.Option("fps") ?? "30";
        if (!int.TryParse(fpsText, NumberStyles.None, CultureInfo.InvariantCulture, out var fps))
            throw new UsageException($"--fps '{fpsText}' is not a whole number of frames a second");
        var inputFormat = args.Option("input-format") switch
        {
            null or "mjpeg" => VideoInputFormat.Mjpeg,
            "yuyv" => VideoInputFormat.Yuyv,
            var f => throw new UsageException($"--input-format '{f}' is not mjpeg or yuyv"),
        };
        var still = args.Flag("still");
        var clipText = args.Option("clip");
        var iodName = args.Required("iod");
        var output = args.Required("out");
        var metaPath = args.Option("meta");
        var ts = args.Option("ts");
        var encoder = args.Option("encoder") ?? "libx264";
        var pace = args.Option("pace") ?? "realtime";
        args.RejectUnknown();
        if (args.Positional.Count > 0)
            throw new UsageException($"unexpected argument '{args.Positional[0]}'");
        if (still == (clipText is not null))
            throw new UsageException("give one of --still and --clip SECONDS");
        if (pace is not ("realtime" or "max") || (pace == "max" && source != VideoSourceSettings.TestSource))
            throw new UsageException($"--pace '{pace}': realtime, or max (as fast as the encoder can, test source only: the benchmark)");
        var settings = new VideoSourceSettings
        {
            Source = source, Width = width, Height = height, Fps = fps, InputFormat = inputFormat, Encoder = encoder, Realtime = pace == "realtime",
        };
        if (settings.Validate("--") is [var problem, ..])
            throw new UsageException(problem);
        var metadata = metaPath is null ? new DicomDataset()
            : File.Exists(metaPath) ? MetadataJson.Parse(File.ReadAllText(metaPath), metaPath)
            : throw new UsageException($"--meta {metaPath}: no such file");
        var study = metadata.TryGetString(DicomTags.StudyInstanceUID);
        var identity = new SeriesContext(DicomUidGenerator.Default, study is { Length: > 0 } ? study : null).NextInstance();
        var grabber = new VideoGrabber(settings);
        try
        {
            return still
                ? Still(grabber, iodName, ts, metadata, identity, output, stdout)
                : Clip(grabber, iodName, clipText!, ts, encoder, metadata, identity, output, stdout, stderr);
        }
        catch (VideoSourceException e)
        {
            stderr.WriteLine($"gateway capture: {e.Message}; nothing was written");
            return Cli.BadInput;
        }
    }

    private static int Still(VideoGrabber grabber, string iodName, string? ts, DicomDataset metadata, InstanceIdentity identity, string output, TextWriter stdout)
    {
        var info = IodInfo.FindStill(iodName) ?? throw new UsageException(
            $"--iod '{iodName}' is not a still's IOD ({string.Join(", ", IodInfo.Stills.Select(i => i.Name))})");
        var jpeg = ts switch
        {
            null or "native" => false,
            "jpeg" => true,
            _ => throw new UsageException($"--ts '{ts}' is not native or jpeg"),
        };
        var s = grabber.Settings;
        var pixels = grabber.GrabStillAsync(jpeg ? StillEncoding.Jpeg : StillEncoding.Rgb).GetAwaiter().GetResult();
        var dataset = jpeg
            ? VideoObjects.JpegStill(info.Kind, s.Width, s.Height, pixels, metadata, identity)
            : VideoObjects.RgbStill(info.Kind, s.Width, s.Height, DicomBuffer.From(pixels), metadata, identity);
        var syntax = jpeg ? DicomTransferSyntax.JpegBaseline : DicomTransferSyntax.ExplicitVRLittleEndian;
        new DicomFile(dataset, syntax).Save(output, durable: true);
        stdout.WriteLine($"{output}: {DicomUid.NameOf(info.SopClassUid)}, {s.Width}x{s.Height} {(jpeg ? "JPEG Baseline" : "RGB")}, SOP Instance UID {identity.SopInstanceUid}");
        return Cli.Ok;
    }

    private static int Clip(VideoGrabber grabber, string iodName, string secondsText, string? ts, string encoder, DicomDataset metadata,
        InstanceIdentity identity, string output, TextWriter stdout, TextWriter stderr)
    {
        var info = IodInfo.FindClip(iodName) ?? throw new UsageException(
            $"--iod '{iodName}' is not a clip's IOD ({string.Join(", ", IodInfo.Clips.Select(i => i.Name))})");
        if (ts is not (null or "h264"))
            throw new UsageException($"--ts '{ts}': a clip is MPEG-4 AVC/H.264 High Profile / Level 4.1 (h264)");
        if (!int.TryParse(secondsText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            throw new UsageException($"--clip '{secondsText}' is not a whole number of seconds");
        var s = grabber.Settings;
        if (ClipRecorder.Check(s, seconds) is { } problem)
            throw new UsageException(problem);
        var dataset = VideoObjects.Clip(info.Kind, s.Width, s.Height, s.Fps, metadata, identity);
        var result = ClipRecorder.RecordAsync(grabber, seconds, dataset, output).GetAwaiter().GetResult();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output}: {DicomUid.NameOf(info.SopClassUid)}, H.264 High Profile / Level 4.1 ({encoder}), {s.Width}x{s.Height} at {s.Fps} fps, {result.Frames} frames, {result.StreamBytes} bytes, SOP Instance UID {identity.SopInstanceUid}"));
        if (!result.Interrupted)
            return Cli.Ok;
        stderr.WriteLine($"gateway capture: {result.Reason}: the clip is shorter than asked");
        return Cli.Failed;
    }
}
