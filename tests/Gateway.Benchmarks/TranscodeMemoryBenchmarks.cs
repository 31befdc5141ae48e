using System.Globalization;
using Gateway.Acquisition.Forwarding;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #19, memory proportional to one frame: the forwarder's transcode on the way of a 50-frame 1024×1024 16-bit
/// object (100 MB native; JPEG-LS lossless ~3.5× smaller), both ways — decompressed for a PACS that takes only Explicit
/// VR LE, compressed for one that takes only JPEG-LS — as the forwarder does it now (checksum pass, pixel data read
/// frame by frame from the spooled file, the result kept in a nameless scratch file, then written) and as it did before
/// (the file read whole into memory through its checksum, transcoded in memory, then written). Each run is a process of
/// its own (this benchmark started again with <c>transcode-child</c>), writing the result to a null stream as the
/// association would write it; its peak RSS (VmHWM) and wall time are reported, beside dcmtk's <c>dcmdjpls</c> /
/// <c>dcmcjpls</c> on the same file (which hold the object whole). Command: <c>scripts/bench.sh codecs --forward-memory</c>.
/// </summary>
public static class TranscodeMemoryBenchmarks
{
    private const int Frames = 50;
    private const int Side = 1024;

    public static IEnumerable<string> Run(bool quick)
    {
        var folder = Path.Combine(BenchmarkFiles.Folder, "transcode-memory");
        Directory.CreateDirectory(folder);
        var native = Path.Combine(folder, $"cine-{Frames}x{Side}x{Side}x16-explicit.dcm");
        var jpegLs = Path.Combine(folder, $"cine-{Frames}x{Side}x{Side}x16-jpegls.dcm");
        if (!File.Exists(native))
            new DicomFile(Cine(), DicomTransferSyntax.ExplicitVRLittleEndian).Save(native);
        if (!File.Exists(jpegLs))
            DicomFile.Open(native).Transcode(DicomTransferSyntax.JpegLsLossless, null, null).Save(jpegLs);
        var rounds = quick ? 1 : 3;
        yield return $"Files: {native} ({new FileInfo(native).Length / 1e6:F1} MB), {jpegLs} ({new FileInfo(jpegLs).Length / 1e6:F1} MB); {rounds} alternating rounds, medians.";
        yield return "";
        yield return "| step | frame by frame, scratch file (now) | whole object in memory (before) | dcmtk on the same file |";
        yield return "|---|---|---|---|";
        foreach (var (label, source, target, dcmtk) in new[]
        {
            ("JPEG-LS → Explicit VR LE (a PACS without JPEG-LS)", jpegLs, "explicit", new[] { "dcmdjpls", jpegLs, Path.Combine(folder, "dcmtk-out.dcm") }),
            ("Explicit VR LE → JPEG-LS (a PACS taking only JPEG-LS)", native, "jpeg-ls", new[] { "dcmcjpls", native, Path.Combine(folder, "dcmtk-out.dcm") }),
        })
        {
            var now = new List<(double Ms, long Kb)>();
            var before = new List<(double Ms, long Kb)>();
            var reference = new List<(double Ms, long Kb)>();
            for (var i = 0; i < rounds; i++)
            {
                now.Add(Child("scratch", source, target));
                before.Add(Child("memory", source, target));
                var (ms, kb) = CodecBenchmarks.Time(dcmtk[0], dcmtk[1..]);
                reference.Add((ms, kb));
            }
            yield return $"| {label} | {Show(now)} | {Show(before)} | {dcmtk[0]}: {Show(reference)} |";
        }
    }

    private static string Show(List<(double Ms, long Kb)> runs)
    {
        var ms = runs.Select(r => r.Ms).Order().ToList()[runs.Count / 2];
        var kb = runs.Select(r => r.Kb).Order().ToList()[runs.Count / 2];
        return $"peak RSS {kb / 1024} MB, {ms:F0} ms";
    }

    /// <summary>Runs this benchmark again as <c>transcode-child MODE SOURCE TARGET</c>; its last line is "ms kB".</summary>
    private static (double Ms, long Kb) Child(string mode, string source, string target)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        string[] args = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? [typeof(TranscodeMemoryBenchmarks).Assembly.Location, "transcode-child", mode, source, target]
            : ["transcode-child", mode, source, target];
        var r = ProcessRunner.Run(self, args, TimeSpan.FromMinutes(10));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"transcode-child {mode} failed: {r.All}");
        var last = r.StdOut.Trim().Split('\n')[^1].Split(' ');
        return (double.Parse(last[0], CultureInfo.InvariantCulture), long.Parse(last[1], CultureInfo.InvariantCulture));
    }

    /// <summary>The child: one transcode the way <paramref name="mode"/> says, written to a null stream; prints "ms peak-kB".</summary>
    public static int ChildMain(string mode, string source, string targetName)
    {
        if (!TransferSyntaxNames.TryParse(targetName, out var target))
            return 2;
        string sha;
        using (var whole = File.OpenRead(source))
            sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(whole));
        GC.Collect();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        if (mode == "scratch")
        {
            // As DicomObjectSender: one open of the spooled file, hashed, parsed and read frame by frame through it.
            using var open = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var original = TranscodingSender.OpenVerified(open, sha);
            using var scratch = new PixelScratchFile(Path.GetDirectoryName(source)!);
            TranscodingSender.Transcode(original, target, TranscodePolicy.Default, scratch).WriteTo(Stream.Null);
        }
        else
        {
            // Before: the whole file read through its checksum into memory, transcoded in memory.
            DicomFile original;
            using (var file = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                original = DicomFile.Read(file);
            TranscodingSender.Transcode(original, target, TranscodePolicy.Default).WriteTo(Stream.Null);
        }
        var ms = sw.Elapsed.TotalMilliseconds;
        var hwm = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kb = long.Parse(hwm[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        Console.WriteLine($"{ms.ToString("F1", CultureInfo.InvariantCulture)} {kb}");
        return 0;
    }

    private static DicomDataset Cine()
    {
        var frame = CodecBenchmarks.Smooth(Side, Side, 1, 12);
        var one = frame.GetBuffer(DicomTags.PixelData);
        frame.Set(DicomTags.SOPClassUID, DicomUids.MultiFrameGrayscaleWordSecondaryCaptureImageStorage);
        frame.Set(DicomTags.NumberOfFrames, Frames);
        frame.SetBytes(DicomTags.PixelData, DicomVR.OW, DicomBuffer.Concat(Enumerable.Repeat(one, Frames).ToList()));
        return frame;
    }
}
