using System.Diagnostics;
using System.Globalization;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #19: our codecs against dcmtk's command-line codecs on the same files in the same run, alternating rounds,
/// medians. Two views: whole processes (`gateway convert` vs `dcmcrle` etc., start-up included, each side's start-up
/// measured apart), and our codec in-process (Transcode only, JIT warmed) against the dcmtk tool's time minus its
/// start-up (its parse and write are still inside, so that view flatters dcmtk a little).
/// </summary>
public static class CodecBenchmarks
{
    private sealed record Codec(string Name, string GatewayTs, DicomTransferSyntax Ts, string Encoder, string[] EncoderArgs, string Decoder);

    private static readonly Codec[] Codecs =
    [
        new("RLE", "rle", DicomTransferSyntax.RleLossless, "dcmcrle", [], "dcmdrle"),
        new("JPEG lossless SV1", "jpeg-lossless", DicomTransferSyntax.JpegLosslessSV1, "dcmcjpeg", ["+e1"], "dcmdjpeg"),
        new("JPEG-LS lossless", "jpeg-ls", DicomTransferSyntax.JpegLsLossless, "dcmcjpls", [], "dcmdjpls"),
        new("JPEG-LS near (NEAR 2)", "jpeg-ls-near", DicomTransferSyntax.JpegLsNearLossless, "dcmcjpls", ["+en", "+md", "2"], "dcmdjpls"),
    ];

    /// <summary>
    /// <paramref name="inProcessOnly"/>: only our in-process codec times (a quick check while tuning a codec);
    /// <paramref name="only"/>: only the lossless codec of that `--ts` name (rle, jpeg-lossless, jpeg-ls, jpeg-ls-near),
    /// and no JPEG baseline part.
    /// </summary>
    public static IReadOnlyList<string> Run(bool quick, bool inProcessOnly = false, bool jpegBaselineOnly = false, string? only = null)
    {
        var rows = jpegBaselineOnly ? [] : RunLossless(quick, inProcessOnly, only);
        if (only is not null)
            return rows;
        rows.Add("");
        rows.AddRange(JpegBaselineBenchmarks.Run(quick, inProcessOnly));
        return rows;
    }

    private static List<string> RunLossless(bool quick, bool inProcessOnly, string? only)
    {
        var rounds = quick ? 3 : 9;
        var dir = Path.Combine(BenchmarkFiles.Folder, "codecs");
        Directory.CreateDirectory(dir);
        var images = new[]
        {
            ("3000×3000 16-bit (12 stored) DX-like, 18 MB", Ensure(Path.Combine(dir, "dx.dcm"), () => Smooth(3000, 3000, 1, 12))),
            ("1920×1080 RGB, 6 MB", Ensure(Path.Combine(dir, "rgb.dcm"), () => Smooth(1920, 1080, 3, 8))),
        };
        var rows = new List<string>();
        string gateway = "";
        double gatewayStart = 0, dcmtkStart = 0;
        if (!inProcessOnly)
        {
            gateway = GatewayExecutable.Path;
            rows.Add("| image | codec | step | gateway (process) | dcmtk (process) | dcmtk ÷ gateway, after start-up | gateway codec in-process | ratio ours / dcmtk | peak RSS ours / dcmtk |");
            rows.Add("|---|---|---|---|---|---|---|---|---|");
            gatewayStart = Median(rounds, () => Time(gateway, ["--version"]).Ms);
            dcmtkStart = Median(rounds, () => Time(Peers.Require("dcmcrle", "dcmtk"), ["--version"]).Ms);
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"| start-up (`--version`) | | | {gatewayStart:F0} ms | {dcmtkStart:F0} ms | | | | |"));
        }
        foreach (var (label, native) in images)
        {
            var nativeFile = DicomFile.Open(native);
            var nativeBytes = nativeFile.Dataset.GetBuffer(DicomTags.PixelData).Length;
            foreach (var c in Codecs.Where(c => only is null || c.GatewayTs == only))
            {
                var ours = Path.Combine(dir, $"ours-{c.GatewayTs}.dcm");
                var theirs = Path.Combine(dir, $"dcmtk-{c.GatewayTs}.dcm");
                var back = Path.Combine(dir, "back.dcm");
                var encoder = Peers.Require(c.Encoder, "dcmtk");
                var decoder = Peers.Require(c.Decoder, "dcmtk");
                string[] ourEncode = ["convert", native, ours, "--ts", c.GatewayTs, .. c.GatewayTs == "jpeg-ls-near" ? new[] { "--near", "2" } : []];
                string[] theirEncode = [.. c.EncoderArgs, native, theirs];
                var options = new CodecOptions { NearLossless = 2 };
                if (inProcessOnly)
                {
                    var file = nativeFile.Transcode(c.Ts, options);
                    rows.Add(string.Create(CultureInfo.InvariantCulture,
                        $"| {label} | {c.Name} | encode {Median(rounds, () => Stopwatch(() => nativeFile.Transcode(c.Ts, options))):F0} ms | decode {Median(rounds, () => Stopwatch(() => file.Transcode(DicomTransferSyntax.ExplicitVRLittleEndian))):F0} ms |"));
                    continue;
                }
                var enc = Alternate(rounds, () => Time(gateway, ourEncode), () => Time(encoder, theirEncode));
                var dec = Alternate(rounds, () => Time(gateway, ["convert", ours, back, "--ts", "explicit"]), () => Time(decoder, [theirs, back]));
                var inEncode = Median(rounds, () => Stopwatch(() => nativeFile.Transcode(c.Ts, options)));
                var encoded = DicomFile.Open(ours);
                var inDecode = Median(rounds, () => Stopwatch(() => encoded.Transcode(DicomTransferSyntax.ExplicitVRLittleEndian)));
                var ourRatio = nativeBytes / (double)Compressed(ours);
                var theirRatio = nativeBytes / (double)Compressed(theirs);
                rows.Add(Row(label, c.Name, "encode", enc, gatewayStart, dcmtkStart, inEncode, $"{ourRatio:F2} / {theirRatio:F2}"));
                rows.Add(Row(label, c.Name, "decode", dec, gatewayStart, dcmtkStart, inDecode, ""));
            }
        }
        return rows;
    }

    private static string Row(string image, string codec, string step, ((double Ms, long Rss) Ours, (double Ms, long Rss) Theirs) m,
        double gatewayStart, double dcmtkStart, double inProcess, string ratio) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {image} | {codec} | {step} | {m.Ours.Ms:F0} ms | {m.Theirs.Ms:F0} ms | {(m.Theirs.Ms - dcmtkStart) / Math.Max(1, m.Ours.Ms - gatewayStart):F2}× | {inProcess:F0} ms ({(m.Theirs.Ms - dcmtkStart) / Math.Max(1, inProcess):F2}× dcmtk) | {ratio} | {m.Ours.Rss / 1024} / {m.Theirs.Rss / 1024} MB |");

    private static long Compressed(string path) =>
        DicomFile.Open(path).Dataset.Find(DicomTags.PixelData) is DicomFragmentSequence f ? f.Fragments.Sum(x => x.Length) : 0;

    internal static ((double, long) Ours, (double, long) Theirs) Alternate(int rounds, Func<(double Ms, long Rss)> ours, Func<(double Ms, long Rss)> theirs)
    {
        ours();
        theirs();
        var a = new List<(double Ms, long Rss)>();
        var b = new List<(double Ms, long Rss)>();
        for (var i = 0; i < rounds; i++)
        {
            a.Add(ours());
            b.Add(theirs());
        }
        return (MedianOf(a), MedianOf(b));
    }

    private static (double Ms, long Rss) MedianOf(List<(double Ms, long Rss)> runs)
    {
        var sorted = runs.OrderBy(r => r.Ms).ToList();
        return (sorted[sorted.Count / 2].Ms, runs.Max(r => r.Rss));
    }

    internal static double Median(int rounds, Func<double> run)
    {
        run();
        var times = Enumerable.Range(0, rounds).Select(_ => run()).Order().ToList();
        return times[times.Count / 2];
    }

    internal static double Stopwatch(Action action)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }

    internal static (double Ms, long Rss) Time(string exe, IReadOnlyList<string> args)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = ProcessRunner.Run("/usr/bin/time", ["-f", "RSS=%M", exe, .. args], TimeSpan.FromMinutes(5));
        sw.Stop();
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed: {r.All}");
        var rss = long.Parse(r.StdErr.Split('\n').Last(l => l.StartsWith("RSS=", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture);
        return (sw.Elapsed.TotalMilliseconds, rss);
    }

    internal static string Ensure(string path, Func<DicomDataset> build)
    {
        if (!File.Exists(path))
            new DicomFile(build(), DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        return path;
    }

    /// <summary>A smooth image with seeded noise (a detector's flat field, a video frame's gradients), not random bytes.</summary>
    internal static DicomDataset Smooth(int columns, int rows, int samples, int bits)
    {
        var ds = BenchmarkFiles.Image(8, 8, 1);
        var bytesPerSample = bits > 8 ? 2 : 1;
        var pixels = new byte[columns * rows * samples * bytesPerSample];
        var random = new Random(19);
        var max = (1 << bits) - 1;
        var i = 0;
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                for (var c = 0; c < samples; c++)
                {
                    var v = (int)(max * (0.5 + 0.4 * Math.Sin((x + c * 300) / 170.0) * Math.Cos(y / 230.0))) + random.Next(-6, 7);
                    v = Math.Clamp(v, 0, max);
                    pixels[i++] = (byte)v;
                    if (bytesPerSample == 2)
                        pixels[i++] = (byte)(v >> 8);
                }
            }
        }
        ds.Set(DicomTags.Rows, (ushort)rows);
        ds.Set(DicomTags.Columns, (ushort)columns);
        ds.Set(DicomTags.SamplesPerPixel, (ushort)samples);
        ds.Set(DicomTags.PhotometricInterpretation, samples == 3 ? "RGB" : "MONOCHROME2");
        if (samples == 3)
            ds.Set(DicomTags.PlanarConfiguration, (ushort)0);
        ds.Set(DicomTags.BitsAllocated, (ushort)(8 * bytesPerSample));
        ds.Set(DicomTags.BitsStored, (ushort)bits);
        ds.Set(DicomTags.HighBit, (ushort)(bits - 1));
        ds.SetBytes(DicomTags.PixelData, bytesPerSample == 2 ? DicomVR.OW : DicomVR.OB, DicomBuffer.From(pixels));
        return ds;
    }
}
