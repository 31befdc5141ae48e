using System.Globalization;
using System.Text;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #19: our JPEG baseline codec against libjpeg-turbo on 1920×1080 RGB (4:2:2) and 8-bit grey, quality 90, in
/// the same run. libjpeg-turbo's figure is `tjbench` (compress and decompress from memory, its SIMD code, megapixels
/// per second); ours is the codec alone in-process (one frame's Encode and Decode, JIT warmed, median of the rounds),
/// the same work. Also whole processes (not with `--in-process`): `gateway convert --ts jpeg-baseline` against dcmtk's `dcmcjpeg +eb`.
/// </summary>
public static class JpegBaselineBenchmarks
{
    public static IEnumerable<string> Run(bool quick, bool inProcessOnly = false)
    {
        // Enough rounds that the JIT has tiered the once-per-frame loops up (a service encodes frame after frame).
        var rounds = quick ? 5 : 41;
        var dir = Path.Combine(BenchmarkFiles.Folder, "codecs");
        var images = Images();
        var rows = new List<string>
        {
            "| image (quality 90) | step | gateway codec in-process | libjpeg-turbo `tjbench` | ours ÷ libjpeg-turbo | compressed ratio ours / libjpeg-turbo |",
            "|---|---|---|---|---|---|",
        };
        var processRows = new List<string>
        {
            "| image (quality 90) | step | `gateway convert` (process) | dcmtk `dcmcjpeg +eb` / `dcmdjpeg` (process) |",
            "|---|---|---|---|",
        };
        var codec = new JpegBaselineCodec();
        var options = new CodecOptions { Quality = 90 };
        foreach (var (label, path, subsampling) in images)
        {
            var file = DicomFile.Open(path);
            var d = PixelDescription.FromDataset(file.Dataset);
            var pixels = file.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
            var megapixels = d.Pixels / 1e6;
            var encoded = codec.Encode(pixels, d, options);
            var back = new byte[pixels.Length];
            var encodeMs = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() => codec.Encode(pixels, d, options)));
            var encodedDescription = d.SamplesPerPixel == 3 ? d with { Photometric = "YBR_FULL_422" } : d;
            var decodeMs = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() => codec.Decode(encoded, encodedDescription, back)));

            var pnm = Path.Combine(dir, d.SamplesPerPixel == 3 ? "rgb.ppm" : "grey8.pgm");
            using (var f = File.Create(pnm))
            {
                f.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{(d.SamplesPerPixel == 3 ? "P6" : "P5")}\n{d.Columns} {d.Rows}\n255\n")));
                f.Write(pixels);
            }
            var (turboEncode, turboRatio, turboDecode) = Tjbench(pnm, subsampling, quick);
            // tjbench's ratio is against its RGB buffer (3 bytes a pixel) even for a grey JPEG.
            if (d.SamplesPerPixel == 1)
                turboRatio /= 3;
            var ourRatio = pixels.Length / (double)encoded.Length;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | encode | {encodeMs:F1} ms ({megapixels / encodeMs * 1000:F0} Mpixel/s) | {megapixels / turboEncode * 1000:F1} ms ({turboEncode:F0} Mpixel/s) | {megapixels / encodeMs * 1000 / turboEncode:F2}× | {ourRatio:F2} / {turboRatio:F2} |"));
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | decode | {decodeMs:F1} ms ({megapixels / decodeMs * 1000:F0} Mpixel/s) | {megapixels / turboDecode * 1000:F1} ms ({turboDecode:F0} Mpixel/s) | {megapixels / decodeMs * 1000 / turboDecode:F2}× | |"));

            if (inProcessOnly)
                continue;
            var ours = Path.Combine(dir, "ours-jpeg-baseline.dcm");
            var theirs = Path.Combine(dir, "dcmtk-jpeg-baseline.dcm");
            var native = Path.Combine(dir, "back.dcm");
            var processRounds = quick ? 3 : 7;
            var enc = CodecBenchmarks.Alternate(processRounds, () => CodecBenchmarks.Time(GatewayExecutable.Path, ["convert", path, ours, "--ts", "jpeg-baseline", "--quality", "90"]),
                () => CodecBenchmarks.Time(Peers.Require("dcmcjpeg", "dcmtk"), ["+eb", "+q", "90", "-ho", path, theirs]));
            var dec = CodecBenchmarks.Alternate(processRounds, () => CodecBenchmarks.Time(GatewayExecutable.Path, ["convert", ours, native, "--ts", "explicit"]),
                () => CodecBenchmarks.Time(Peers.Require("dcmdjpeg", "dcmtk"), [theirs, native]));
            processRows.Add(string.Create(CultureInfo.InvariantCulture, $"| {label} | encode | {enc.Ours.Item1:F0} ms | {enc.Theirs.Item1:F0} ms |"));
            processRows.Add(string.Create(CultureInfo.InvariantCulture, $"| {label} | decode | {dec.Ours.Item1:F0} ms | {dec.Theirs.Item1:F0} ms |"));
        }
        if (!inProcessOnly)
        {
            rows.Add("");
            rows.AddRange(processRows);
        }
        return rows;
    }

    /// <summary>The benchmark frames (made once, kept in the benchmark folder): label, file, tjbench's subsampling.</summary>
    internal static (string Label, string Path, string Subsampling)[] Images()
    {
        var dir = Path.Combine(BenchmarkFiles.Folder, "codecs");
        Directory.CreateDirectory(dir);
        return
        [
            ("1920×1080 RGB (4:2:2)", CodecBenchmarks.Ensure(Path.Combine(dir, "rgb.dcm"), () => CodecBenchmarks.Smooth(1920, 1080, 3, 8)), "422"),
            ("1920×1080 grey 8-bit", CodecBenchmarks.Ensure(Path.Combine(dir, "grey8.dcm"), () => CodecBenchmarks.Smooth(1920, 1080, 1, 8)), "GRAY"),
        ];
    }

    /// <summary>tjbench's compress and decompress throughput (Mpixel/s) and compression ratio, quality 90, from memory.</summary>
    private static (double Encode, double Ratio, double Decode) Tjbench(string pnm, string subsampling, bool quick)
    {
        var tjbench = Peers.Require("tjbench", "libjpeg-turbo-progs");
        var r = ProcessRunner.Run(tjbench, [pnm, "90", "-rgb", "-subsamp", subsampling, "-quiet", "-nowrite", "-benchtime", quick ? "1" : "3", "-warmup", "1"], TimeSpan.FromMinutes(5));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"tjbench failed: {r.All}");
        // The result line: format, subsampling, quality, width, height, comp perf, comp ratio, decomp perf.
        var line = r.StdOut.Split('\n').Last(l => l.Contains(" 90 ", StringComparison.Ordinal) && l.Contains("1920", StringComparison.Ordinal));
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double F(int fromEnd) => double.Parse(fields[^fromEnd], CultureInfo.InvariantCulture);
        return (F(3), F(2), F(1));
    }
}
