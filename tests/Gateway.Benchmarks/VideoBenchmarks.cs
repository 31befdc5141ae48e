using System.Diagnostics;
using System.Globalization;
using Gateway.Dicom;
using Gateway.Dicom.Iod;
using Gateway.Hardware.Video;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #20: video capture. (1) Encode speed × real time of 720p30 and 1080p30 clips, `gateway capture --pace max`
/// (ffmpeg's test pattern → libx264 → our access-unit splitter → the DICOM file) beside the same ffmpeg command alone
/// writing a raw .h264 file. (2) CPU of the whole capture (gateway and its ffmpeg, from getrusage of the waited-for
/// tree) while recording at the grabber's pace, in % of one core. (3) The gateway process's own peak RSS during a
/// 10-minute clip (VmRSS sampled every 100 ms; ffmpeg's is separate and said beside it). (4) Still latency: trigger
/// → durable JPEG object, in process as the service does it, beside ffmpeg alone writing the JPEG.
/// </summary>
public static class VideoBenchmarks
{
    private const string Meta = """{"AnatomicRegionSequence": [{"CodeValue": "71854001", "CodingSchemeDesignator": "SCT", "CodeMeaning": "Colon"}]}""";

    public static IReadOnlyList<string> Run(bool quick)
    {
        using var work = new TempDirectory("bench-video");
        var meta = Path.Combine(work.Path, "meta.json");
        File.WriteAllText(meta, Meta);
        var seconds = quick ? 5 : 20;
        var rows = new List<string>();
        foreach (var (w, h) in new[] { (1280, 720), (1920, 1080) })
        {
            var size = $"{w}x{h}";
            var ours = Timed(GatewayExecutable.Path, ["capture", "--source", "test", "--size", size, "--fps", "30", "--clip", $"{seconds}", "--pace", "max",
                "--iod", "video-endo", "--meta", meta, "--out", Path.Combine(work.Path, $"max-{size}.dcm")]);
            var grabber = new VideoGrabber(new VideoSourceSettings { Width = w, Height = h, Fps = 30, Realtime = false });
            var args = grabber.ClipArguments(seconds).ToList();
            args[^1] = Path.Combine(work.Path, $"alone-{size}.h264");
            var alone = Timed("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", .. args]);
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {size}@30 encode speed, {seconds} s clip, libx264 veryfast | {seconds / ours.Wall:F2}× real time ({ours.Wall:F1} s) | ffmpeg alone: {seconds / alone.Wall:F2}× ({alone.Wall:F1} s) |"));
            var live = Timed(GatewayExecutable.Path, ["capture", "--source", "test", "--size", size, "--fps", "30", "--clip", $"{seconds}",
                "--iod", "video-endo", "--meta", meta, "--out", Path.Combine(work.Path, $"live-{size}.dcm")]);
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {size}@30 recording at the grabber's pace: CPU of gateway + ffmpeg | {100 * live.Cpu / live.Wall:F0} % of one core ({live.Cpu:F1} s CPU in {live.Wall:F1} s) | of {Environment.ProcessorCount} cores |"));
        }
        var longSeconds = quick ? 60 : 600;
        var (rss, fileBytes, wall) = PeakRss(["capture", "--source", "test", "--size", "640x360", "--fps", "30", "--clip", $"{longSeconds}", "--pace", "max",
            "--iod", "video-endo", "--meta", meta, "--out", Path.Combine(work.Path, "long.dcm")]);
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| {longSeconds / 60}-minute clip (640x360@30, {longSeconds * 30} pictures, encoded in {wall:F0} s): gateway's peak RSS | {rss / 1048576.0:F0} MB | the object: {fileBytes / 1048576.0:F0} MB |"));
        rows.AddRange(StillLatency(work.Path, quick ? 5 : 15));
        return rows;
    }

    private static (double Wall, double Cpu) Timed(string exe, IReadOnlyList<string> args)
    {
        var r = ProcessRunner.Run("/usr/bin/time", ["-f", "TIME %e %U %S", exe, .. args], TimeSpan.FromMinutes(30));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{exe} failed: {r.All}");
        var line = r.StdErr.Split('\n').Last(l => l.StartsWith("TIME ", StringComparison.Ordinal)).Split(' ');
        var v = line.Skip(1).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return (v[0], v[1] + v[2]);
    }

    private static (long Rss, long FileBytes, double Wall) PeakRss(IReadOnlyList<string> args)
    {
        var psi = ProcessRunner.StartInfo(GatewayExecutable.Path, args, null, null);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        long peak = 0;
        while (!p.WaitForExit(100))
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{p.Id}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                        peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024);
                }
            }
            catch (IOException)
            {
            }
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException("gateway capture failed");
        return (peak, new FileInfo(args[args.ToList().IndexOf("--out") + 1]).Length, clock.Elapsed.TotalSeconds);
    }

    private static IEnumerable<string> StillLatency(string dir, int count)
    {
        var grabber = new VideoGrabber(new VideoSourceSettings { Width = 1920, Height = 1080, Fps = 30 });
        var ours = new List<double>();
        var alone = new List<double>();
        var meta = new DicomDataset();
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            var jpeg = grabber.GrabStillAsync(StillEncoding.Jpeg).GetAwaiter().GetResult();
            var identity = new SeriesContext(DicomUidGenerator.Default).NextInstance();
            var ds = VideoObjects.JpegStill(IodKind.VlEndoscopic, 1920, 1080, jpeg, meta, identity);
            new DicomFile(ds, DicomTransferSyntax.JpegBaseline).Save(Path.Combine(dir, $"still-{i}.dcm"), durable: true);
            ours.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            var r = ProcessRunner.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-re", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
                "-frames:v", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj422p", "-q:v", "2", Path.Combine(dir, $"still-{i}.jpg")]);
            if (r.ExitCode != 0)
                throw new InvalidOperationException(r.All);
            alone.Add(clock.Elapsed.TotalMilliseconds);
        }
        var median = ours.Order().ElementAt(count / 2);
        yield return string.Create(CultureInfo.InvariantCulture,
            $"| still latency, 1920x1080 JPEG: trigger → durable VL Endoscopic object (median of {count}, in process as the service does it) | {median:F0} ms (max {ours.Max():F0}) | ffmpeg alone to a .jpg: {alone.Order().ElementAt(count / 2):F0} ms |");
    }
}
