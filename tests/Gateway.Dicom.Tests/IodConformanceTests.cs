using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;
using Gateway.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Dicom.Tests;

/// <summary>
/// Issue #3 acceptance: every IOD × every pixel format it allows × sizes 1×1, 3×5, 4097×3 (and 3000×3000 for the
/// large-image IODs) × accented names in Latin-1 and UTF-8. Judged by dciodvfy (zero errors), dcmdump (no warnings)
/// and pydicom (pixel_array equals the input bytes; the name comes back character for character).
/// </summary>
public sealed class IodConformanceTests(ITestOutputHelper output)
{
    /// <summary>
    /// dciodvfy warnings that remain, and why they are acceptable: the gateway does not know the Patient ID or Study
    /// ID of a test object (a worklist or the technician fills them), and an empty Laterality means "unknown", which
    /// is the truth for a wrapped image.
    /// </summary>
    private static readonly string[] AcceptedWarnings =
    [
        "Missing attribute or value that would be needed to build DICOMDIR - Patient ID",
        "Missing attribute or value that would be needed to build DICOMDIR - Study ID",
        "is only permitted to be empty when actually unknown",
    ];

    private static readonly (string Name, string Charset)[] Names = [("Dupré^Hélène", "ISO_IR 100"), ("Müller^Jürgen=山田^太郎", "ISO_IR 192")];

    private static byte[] Pixels(ImageFormat f, int frames, int seed)
    {
        var bytes = new byte[f.FrameLength * frames];
        new Random(seed).NextBytes(bytes);
        if (f.BitsAllocated == 16)
        {
            var mask = (1 << (f.BitsStored - 8)) - 1;
            for (var i = 1; i < bytes.Length; i += 2)
                bytes[i] &= (byte)mask; // values within Bits Stored
        }
        return bytes;
    }

    [Fact]
    public void Every_IOD_and_pixel_format_passes_dciodvfy_dcmdump_and_pydicom()
    {
        var dciodvfy = Peers.Require("dciodvfy", "dicom3tools");
        var dcmdump = Peers.Require("dcmdump", "dcmtk");
        var python = Peers.RequirePydicom();
        using var temp = new TempDirectory("iods");
        var builder = new IodBuilder();
        var expected = new Dictionary<string, (string Sha, string Name)>();
        var seed = 0;
        foreach (var info in IodInfo.All)
        {
            foreach (var (samples, bits) in info.Formats)
            {
                foreach (var storedBits in bits == 16 ? new[] { 12, 16 } : [8])
                {
                    if (storedBits < info.MinBitsStored)
                        continue;
                    var sizes = new List<(int W, int H)> { (1, 1), (3, 5), (4097, 3) };
                    if (info.Kind is IodKind.SecondaryCapture or IodKind.DxForPresentation && samples == 1)
                        sizes.Add((3000, 3000));
                    foreach (var (w, h) in sizes)
                    {
                        var (name, charset) = Names[seed % 2];
                        var format = new ImageFormat(w, h, samples, bits, storedBits);
                        var frameCount = info.MultiFrame ? 3 : 1;
                        var pixels = Pixels(format, frameCount, seed++);
                        var frames = Enumerable.Range(0, frameCount).Select(i => new Frame(format, DicomBuffer.From(pixels.AsMemory((int)(i * format.FrameLength), (int)format.FrameLength)))).ToList();
                        var meta = new DicomDataset();
                        meta.Set(DicomTags.PatientName, name);
                        if (info.Kind is IodKind.DxForPresentation or IodKind.DxForProcessing)
                        {
                            meta.Set(DicomTags.ImagerPixelSpacing, 0.139, 0.139);
                            meta.Set(DicomTags.PatientOrientation, "L", "F");
                        }
                        var ds = builder.Build(info.Kind, frames, meta, new SeriesContext(DicomUidGenerator.Default).NextInstance());
                        Assert.Equal(charset, ds.GetString(DicomTags.SpecificCharacterSet));
                        var path = temp.File($"{info.Name}-{samples}x{bits}-{storedBits}-{w}x{h}.dcm");
                        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
                        expected[path] = (Convert.ToHexStringLower(SHA256.HashData(pixels)), name);
                    }
                }
            }
        }
        output.WriteLine($"{expected.Count} objects");

        var failures = new List<string>();
        foreach (var path in expected.Keys)
        {
            var v = ProcessRunner.Run(dciodvfy, [path]);
            var lines = v.All.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Warning", StringComparison.Ordinal));
            foreach (var line in lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || !AcceptedWarnings.Any(a => l.Contains(a, StringComparison.Ordinal))))
                failures.Add($"{Path.GetFileName(path)}: dciodvfy: {line}");
            var d = ProcessRunner.Run(dcmdump, ["-q", path]);
            if (d.ExitCode != 0 || d.All.Contains("W: ", StringComparison.Ordinal) || d.All.Contains("E: ", StringComparison.Ordinal))
                failures.Add($"{Path.GetFileName(path)}: dcmdump: {d.All[..Math.Min(300, d.All.Length)]}");
        }
        var script = Path.Combine(AppContext.BaseDirectory, "Scripts", "check_objects.py");
        var py = ProcessRunner.Run(python, [script, .. expected.Keys], TimeSpan.FromMinutes(5));
        foreach (var line in py.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var path = r.GetProperty("path").GetString()!;
            if (!r.GetProperty("ok").GetBoolean())
            {
                failures.Add($"{Path.GetFileName(path)}: pydicom: {r.GetProperty("error").GetString()}");
                continue;
            }
            if (r.GetProperty("sha256").GetString() != expected[path].Sha)
                failures.Add($"{Path.GetFileName(path)}: pydicom's pixel_array differs from the input (shape {r.GetProperty("shape")})");
            if (r.GetProperty("name").GetString() != expected[path].Name)
                failures.Add($"{Path.GetFileName(path)}: pydicom reads the name '{r.GetProperty("name").GetString()}', we wrote '{expected[path].Name}'");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(30)));
    }

    [Fact]
    public void Identity_is_decided_once_per_study_series_and_instance()
    {
        var series = new SeriesContext(DicomUidGenerator.Default, studyInstanceUid: "1.2.826.0.1.3680043.10.543.1");
        var a = series.NextInstance();
        var b = series.NextInstance();
        Assert.Equal("1.2.826.0.1.3680043.10.543.1", a.StudyInstanceUid); // from the worklist, used as given
        Assert.Equal(a.SeriesInstanceUid, b.SeriesInstanceUid);
        Assert.NotEqual(a.SopInstanceUid, b.SopInstanceUid);
        Assert.Equal(1, a.InstanceNumber);
        Assert.Equal(2, b.InstanceNumber);
        // Building twice from the same identity gives the same UIDs: a retry resends the same object.
        var f = new ImageFormat(2, 2, 1, 8, 8);
        var frames = new List<Frame> { new(f, DicomBuffer.From(new byte[4])) };
        var one = new IodBuilder().Build(IodKind.SecondaryCapture, frames, new DicomDataset(), a);
        var two = new IodBuilder().Build(IodKind.SecondaryCapture, frames, new DicomDataset(), a);
        Assert.Equal(one.GetString(DicomTags.SOPInstanceUID), two.GetString(DicomTags.SOPInstanceUID));
        Assert.Equal(a.SopInstanceUid, one.GetString(DicomTags.SOPInstanceUID));
    }

    [Fact]
    public void Inconsistent_frames_and_formats_an_IOD_does_not_allow_are_refused_with_the_reason()
    {
        var builder = new IodBuilder();
        var id = new SeriesContext(DicomUidGenerator.Default).NextInstance();
        var grey = new Frame(new ImageFormat(4, 4, 1, 8, 8), DicomBuffer.From(new byte[16]));
        var other = new Frame(new ImageFormat(4, 5, 1, 8, 8), DicomBuffer.From(new byte[20]));
        var rgb16 = new Frame(new ImageFormat(2, 2, 3, 16, 16), DicomBuffer.From(new byte[24]));
        Assert.Contains("all frames of one object must agree",
            Assert.Throws<DicomValueException>(() => builder.Build(IodKind.MultiFrameGrayscaleByte, [grey, other], new DicomDataset(), id)).Message);
        Assert.Contains("holds one frame", Assert.Throws<DicomValueException>(() => builder.Build(IodKind.SecondaryCapture, [grey, grey], new DicomDataset(), id)).Message);
        Assert.Contains("does not allow", Assert.Throws<DicomValueException>(() => builder.Build(IodKind.VlPhotographic, [rgb16], new DicomDataset(), id)).Message);
        Assert.Contains("needs ImagerPixelSpacing", Assert.Throws<DicomValueException>(() => builder.Build(IodKind.DxForPresentation, [grey], new DicomDataset(), id)).Message);
        var sneaky = new DicomDataset().Set(DicomTags.Rows, (ushort)4);
        Assert.Contains("derived from the image", Assert.Throws<DicomValueException>(() => builder.Build(IodKind.SecondaryCapture, [grey], sneaky, id)).Message);
    }
}
