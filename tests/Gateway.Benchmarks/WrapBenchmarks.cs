using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>Issue #3: `gateway wrap` against dcmtk's `img2dcm` on the same inputs, wall time and peak RSS (medians of 3).</summary>
public static class WrapBenchmarks
{
    private static string Bmp(string path, int w, int h, bool rgb, int seed)
    {
        if (File.Exists(path))
            return path;
        var bpp = rgb ? 3 : 1;
        var stride = (w * bpp + 3) & ~3;
        var palette = rgb ? 0 : 1024;
        var header = new byte[54 + palette];
        header[0] = (byte)'B';
        header[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(2), header.Length + stride * h);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(10), header.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(28), (short)(bpp * 8));
        for (var i = 0; i < palette / 4; i++)
            header[54 + i * 4] = header[55 + i * 4] = header[56 + i * 4] = (byte)i;
        var rows = new byte[stride * h];
        new Random(seed).NextBytes(rows);
        using var f = File.Create(path);
        f.Write(header);
        f.Write(rows);
        return path;
    }

    private static (double Seconds, long RssKb) Timed(string exe, IReadOnlyList<string> args)
    {
        var sw = Stopwatch.StartNew();
        var r = ProcessRunner.Run("/usr/bin/time", ["-f", "RSS=%M", exe, .. args], TimeSpan.FromMinutes(10));
        sw.Stop();
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{exe} failed: {r.All}");
        return (sw.Elapsed.TotalSeconds, long.Parse(r.StdErr.Split('\n').Last(l => l.StartsWith("RSS=", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture));
    }

    private static (double Seconds, long RssKb) Median(Func<(double, long)> run, int rounds = 3)
    {
        var results = Enumerable.Range(0, rounds).Select(_ => run()).OrderBy(r => r.Item1).ToList();
        return results[rounds / 2];
    }

    public static IReadOnlyList<string> Run()
    {
        var dir = Path.Combine(BenchmarkFiles.Folder, "wrap");
        Directory.CreateDirectory(dir);
        var gateway = GatewayExecutable.Path;
        var img2dcm = Peers.Require("img2dcm", "dcmtk");
        var rows = new List<string>();
        string Row(string scenario, string tool, (double Seconds, long RssKb) m) =>
            string.Create(CultureInfo.InvariantCulture, $"| {scenario} | {tool} | {m.Seconds * 1000:F0} ms | {m.RssKb / 1024} MB |");

        var big = Bmp(Path.Combine(dir, "grey-3000.bmp"), 3000, 3000, rgb: false, 1);
        var outFile = Path.Combine(dir, "out.dcm");
        rows.Add(Row("3000×3000 8-bit grey BMP → SC", "gateway wrap --iod sc", Median(() => Timed(gateway, ["wrap", big, "--iod", "sc", "--out", outFile]))));
        rows.Add(Row("3000×3000 8-bit grey BMP → SC", "img2dcm -i BMP", Median(() => Timed(img2dcm, ["-i", "BMP", big, outFile]))));

        var raw = Path.Combine(dir, "grey16-3000.raw");
        if (!File.Exists(raw))
        {
            var bytes = new byte[3000 * 3000 * 2];
            new Random(2).NextBytes(bytes);
            File.WriteAllBytes(raw, bytes);
        }
        rows.Add(Row("3000×3000 16-bit raw (18 MB) → SC", "gateway wrap --raw 3000x3000 --bits 16", Median(() => Timed(gateway, ["wrap", raw, "--raw", "3000x3000", "--bits", "16", "--iod", "sc", "--out", outFile]))));

        var frames = Enumerable.Range(0, 100).Select(i => Bmp(Path.Combine(dir, $"rgb-{i:D3}.bmp"), 1024, 768, rgb: true, 10 + i)).ToList();
        rows.Add(Row("100 × 1024×768 RGB BMP → one multi-frame SC (236 MB)", "gateway wrap --iod sc-mf-color", Median(() => Timed(gateway, ["wrap", .. frames, "--iod", "sc-mf-color", "--out", outFile]))));
        rows.Add(Row("100 × 1024×768 RGB BMP → 100 SC objects", "img2dcm ×100 (one object per frame; it cannot make a multi-frame)", Median(() =>
        {
            double total = 0;
            long rss = 0;
            foreach (var f in frames)
            {
                var (s, r) = Timed(img2dcm, ["-i", "BMP", f, outFile]);
                total += s;
                rss = Math.Max(rss, r);
            }
            return (total, rss);
        })));
        rows.Add(Row("one 1024×768 RGB BMP → SC", "gateway wrap --iod sc", Median(() => Timed(gateway, ["wrap", frames[0], "--iod", "sc", "--out", outFile]))));
        rows.Add(Row("one 1024×768 RGB BMP → SC", "img2dcm -i BMP", Median(() => Timed(img2dcm, ["-i", "BMP", frames[0], outFile]))));
        return rows;
    }
}
