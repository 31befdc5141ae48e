using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gateway.Dicom.Codecs;
using Gateway.Dicom.Iod;
using Gateway.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>
/// Issue #19, JPEG Baseline (T.81 Process 1): what we write, decoded by dcmtk, pydicom + GDCM, libjpeg-turbo's djpeg
/// and Orthanc; our quality against cjpeg's at the same setting; what dcmtk and pydicom's corpus hold, decoded by us
/// as dcmtk decodes it. Tolerances: two decoders of one codestream may differ by their IDCT's rounding — at most 1
/// per grey sample; in colour a difference of 1 in Cr is 1.4 in R and adds to Y's, so at most 3 per R, G or B sample
/// (<see cref="DecoderTolerance"/>); our PSNR against the original is at most <see cref="PsnrMargin"/> dB
/// below cjpeg's.
/// </summary>
public sealed class JpegBaselineCodecTests(ITestOutputHelper output)
{
    private static int DecoderTolerance(int samples) => samples == 1 ? 1 : 3;
    private const double PsnrMargin = 0.5;

    public static readonly CodecImages.Spec Grey = new("grey-640x480", IodKind.SecondaryCapture, 640, 480, 1, 8, 8, Noise: 6);
    public static readonly CodecImages.Spec OddRgb = new("rgb-33x21", IodKind.SecondaryCapture, 33, 21, 3, 8, 8);

    private static readonly CodecImages.Spec[] Specs =
        [CodecImages.OnePixel, CodecImages.OddGrey8, OddRgb, CodecImages.RgbHd, CodecImages.MultiFrameColour, Grey];

    public static TheoryData<string> Images => [.. Specs.Select(s => s.Name)];

    private static CodecImages.Spec Spec(string name) => Specs.First(s => s.Name == name);

    [Fact]
    public void The_DCT_pair_is_the_definition_of_T81_A33()
    {
        var random = new Random(1);
        Span<Vector128<float>> block = stackalloc Vector128<float>[16];
        var f = MemoryMarshal.Cast<Vector128<float>, float>(block);
        for (var n = 0; n < 50; n++)
        {
            var samples = new float[64];
            for (var i = 0; i < 64; i++)
                samples[i] = random.Next(-128, 128);
            samples.CopyTo(f);
            JpegDct.Forward(block);
            for (var v = 0; v < 8; v++)
            {
                for (var u = 0; u < 8; u++)
                {
                    double sum = 0;
                    for (var y = 0; y < 8; y++)
                        for (var x = 0; x < 8; x++)
                            sum += samples[y * 8 + x] * Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16);
                    var expected = 0.25 * (u == 0 ? Math.Sqrt(0.5) : 1) * (v == 0 ? Math.Sqrt(0.5) : 1) * sum;
                    var ours = f[u * 8 + v] / (8 * JpegDct.Scale[u] * JpegDct.Scale[v]);
                    Assert.True(Math.Abs(ours - expected) < 0.01, $"FDCT ({v},{u}): {ours} against {expected}");
                }
            }
            // The inverse of the forward (scaled back as the decoder's dequantization does) is the samples.
            for (var v = 0; v < 8; v++)
                for (var u = 0; u < 8; u++)
                    f[u * 8 + v] = f[u * 8 + v] / (8 * JpegDct.Scale[u] * JpegDct.Scale[v]) * JpegDct.Scale[u] * JpegDct.Scale[v];
            JpegDct.Inverse(block);
            for (var i = 0; i < 64; i++)
                Assert.True(Math.Abs(f[i] / 8 - samples[i]) < 0.01, $"IDCT sample {i}: {f[i] / 8} against {samples[i]}");
        }
    }

    [Fact]
    public void The_Annex_K_AC_tables_code_every_run_and_size_once()
    {
        foreach (var values in new[] { JpegBaselineTables.AcLuminanceValues.ToArray(), JpegBaselineTables.AcChrominanceValues.ToArray() })
        {
            var expected = new HashSet<byte> { 0x00, 0xF0 };
            for (var run = 0; run < 16; run++)
                for (var size = 1; size <= 10; size++)
                    expected.Add((byte)(run << 4 | size));
            Assert.Equal(expected.Order(), values.Order());
        }
        Assert.Equal([0, 1, 8, 16, 9, 2, 3, 10], JpegBaselineTables.ZigZag.Take(8).Select(b => (int)b));
        Assert.Equal(63, JpegBaselineTables.ZigZag[63]);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void What_we_encode_dcmtk_gdcm_and_djpeg_decode_as_we_do_and_dciodvfy_accepts(string image)
    {
        using var temp = new TempDirectory("jpegb");
        var spec = Spec(image);
        var pixels = CodecImages.Pixels(spec);
        var path = temp.File("ours.dcm");
        var ours = CodecImages.File(spec, pixels).Transcode(DicomTransferSyntax.JpegBaseline);
        ours.Save(path);
        Assert.Empty(Dciodvfy.Errors(path));
        var reread = DicomFile.Open(path);
        Assert.Equal(spec.Samples == 3 ? "YBR_FULL_422" : "MONOCHROME2", reread.Dataset.GetString(DicomTags.PhotometricInterpretation));
        Assert.Equal("01", reread.Dataset.GetString(DicomTags.LossyImageCompression));
        Assert.Equal("ISO_10918_1", reread.Dataset.GetString(DicomTags.LossyImageCompressionMethod));

        var decoded = CodecImages.NativePixels(reread);
        CodecPeers.Dcmtk("dcmdjpeg", path, temp.File("dcmtk.dcm"));
        var dcmtk = DicomFile.Open(temp.File("dcmtk.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray()[..pixels.Length];
        var gdcm = CodecPeers.PydicomGdcm(path);
        File.WriteAllBytes(temp.File("ours.jpg"), JpegImages.Codestream(reread));
        var djpeg = ProcessRunner.Run(Peers.Require("djpeg", "libjpeg-turbo-progs"), ["-pnm", "-outfile", temp.File("djpeg.pnm"), temp.File("ours.jpg")], TimeSpan.FromMinutes(1));
        Assert.True(djpeg.ExitCode == 0, djpeg.All);
        var turbo = JpegImages.ReadPnm(temp.File("djpeg.pnm")).Pixels;

        var psnr = JpegImages.Psnr(pixels, decoded);
        output.WriteLine($"{image}: {pixels.Length} → {reread.Dataset.GetString(DicomTags.LossyImageCompressionRatio)}:1, PSNR {psnr:F2} dB; "
            + $"max difference to dcmtk {JpegImages.MaxDifference(dcmtk, decoded)}, GDCM {JpegImages.MaxDifference(gdcm, decoded)}, djpeg {JpegImages.MaxDifference(turbo, decoded[..turbo.Length])}");
        Assert.InRange(JpegImages.MaxDifference(dcmtk, decoded), 0, DecoderTolerance(spec.Samples));
        Assert.InRange(JpegImages.MaxDifference(gdcm, decoded), 0, DecoderTolerance(spec.Samples));
        Assert.InRange(JpegImages.MaxDifference(turbo, decoded[..turbo.Length]), 0, DecoderTolerance(spec.Samples));
        Assert.True(psnr > 30, $"PSNR {psnr:F2} dB at quality 90");
    }

    [Theory]
    [InlineData("grey-640x480", 90)]
    [InlineData("grey-640x480", 50)]
    [InlineData("rgb-640x480", 90)]
    [InlineData("rgb-640x480", 75)]
    [InlineData("rgb-33x21", 90)]
    public void Our_PSNR_is_within_the_margin_of_cjpeg_at_the_same_quality(string image, int quality)
    {
        using var temp = new TempDirectory("jpegq");
        var spec = Spec(image);
        var pixels = CodecImages.Pixels(spec);
        var ours = CodecImages.File(spec, pixels).Transcode(DicomTransferSyntax.JpegBaseline, new CodecOptions { Quality = quality });
        var decoded = CodecImages.NativePixels(ours);
        var size = JpegImages.Codestream(ours).Length;

        JpegImages.WritePnm(temp.File("in.pnm"), pixels, spec.Columns, spec.Rows, spec.Samples);
        var cjpeg = Peers.Require("cjpeg", "libjpeg-turbo-progs");
        string[] sampling = spec.Samples == 3 ? ["-sample", "2x1"] : ["-grayscale"];
        var r = ProcessRunner.Run(cjpeg, ["-quality", $"{quality}", .. sampling, "-outfile", temp.File("cjpeg.jpg"), temp.File("in.pnm")], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.All);
        r = ProcessRunner.Run(Peers.Require("djpeg", "libjpeg-turbo-progs"), ["-pnm", "-outfile", temp.File("cjpeg.pnm"), temp.File("cjpeg.jpg")], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.All);
        var theirs = JpegImages.ReadPnm(temp.File("cjpeg.pnm")).Pixels;

        var psnrOurs = JpegImages.Psnr(pixels, decoded);
        var psnrTheirs = JpegImages.Psnr(pixels, theirs);
        var theirSize = new FileInfo(temp.File("cjpeg.jpg")).Length;
        output.WriteLine($"{image} q{quality}: ours {psnrOurs:F2} dB {size} bytes; cjpeg {psnrTheirs:F2} dB {theirSize} bytes");
        Assert.True(psnrOurs >= psnrTheirs - PsnrMargin, $"PSNR {psnrOurs:F2} dB, cjpeg {psnrTheirs:F2} dB");
        // The same tables, so about the same size: within 10 % of cjpeg's (which writes standard tables by default too).
        Assert.InRange(size, theirSize * 0.9, theirSize * 1.1);
    }

    [Theory]
    [InlineData("rgb-640x480", "+eb")]
    [InlineData("rgb-640x480", "+eb", "+s4")]
    [InlineData("rgb-640x480", "+eb", "+cr")]
    [InlineData("rgb-640x480", "+eb", "-ho", "+q", "60")]
    [InlineData("rgb-33x21", "+eb")]
    [InlineData("5-frame-rgb", "+eb")]
    [InlineData("grey-640x480", "+eb", "+q", "95")]
    [InlineData("odd-17x13-grey8", "+eb")]
    [InlineData("1x1", "+eb")]
    public void What_dcmcjpeg_encodes_we_decode_as_dcmdjpeg_does(string image, params string[] options)
    {
        using var temp = new TempDirectory("jpegd");
        var native = temp.File("native.dcm");
        CodecImages.File(Spec(image)).Save(native);
        CodecPeers.Dcmtk("dcmcjpeg", [.. options, native, temp.File("dcmtk-jpeg.dcm")]);
        AssertWeDecodeAsDcmtk(temp, temp.File("dcmtk-jpeg.dcm"), $"dcmcjpeg {string.Join(' ', options)}");
    }

    [Theory]
    [InlineData("rgb-640x480", "-sample", "2x2")]
    [InlineData("rgb-640x480", "-sample", "1x1", "-restart", "1")]
    [InlineData("rgb-640x480", "-sample", "2x1", "-restart", "5B")]
    [InlineData("rgb-33x21", "-sample", "2x2", "-restart", "1B")]
    [InlineData("rgb-640x480", "-optimize", "-quality", "70")]
    [InlineData("rgb-640x480", "-rgb")]
    [InlineData("grey-640x480", "-grayscale", "-restart", "2")]
    [InlineData("odd-17x13-grey8", "-grayscale", "-restart", "1B")]
    public void What_cjpeg_writes_other_subsampling_restart_intervals_RGB_we_decode_as_djpeg_does(string image, params string[] options)
    {
        using var temp = new TempDirectory("jpegc");
        var spec = Spec(image);
        var pixels = CodecImages.Pixels(spec);
        JpegImages.WritePnm(temp.File("in.pnm"), pixels, spec.Columns, spec.Rows, spec.Samples);
        var r = ProcessRunner.Run(Peers.Require("cjpeg", "libjpeg-turbo-progs"), [.. options, "-outfile", temp.File("cjpeg.jpg"), temp.File("in.pnm")], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.All);
        r = ProcessRunner.Run(Peers.Require("djpeg", "libjpeg-turbo-progs"), ["-pnm", "-outfile", temp.File("djpeg.pnm"), temp.File("cjpeg.jpg")], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.All);
        var theirs = JpegImages.ReadPnm(temp.File("djpeg.pnm")).Pixels;

        var ds = new DicomDataset(CodecImages.File(spec).Dataset);
        var jpeg = File.ReadAllBytes(temp.File("cjpeg.jpg"));
        ds.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, [DicomBuffer.From(jpeg)]));
        if (spec.Samples == 3)
            ds.Set(DicomTags.PhotometricInterpretation, options.Contains("-rgb") ? "RGB" : "YBR_FULL_422");
        var ours = CodecImages.NativePixels(new DicomFile(ds, DicomTransferSyntax.JpegBaseline));
        var max = JpegImages.MaxDifference(theirs, ours);
        output.WriteLine($"cjpeg {string.Join(' ', options)}: max difference to djpeg {max}");
        Assert.InRange(max, 0, DecoderTolerance(spec.Samples));
    }

    // SC_rgb_jpeg.dcm is left out: dcmdjpeg cannot read it (an element with VR "  ").
    public static TheoryData<string> PydicomJpegFiles =>
    [
        "SC_jpeg_no_color_transform.dcm", "SC_jpeg_no_color_transform_2.dcm", "SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_dcmtk_+eb+cy+n1.dcm",
        "SC_rgb_dcmtk_+eb+cy+n2.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_dcmtk_+eb+cy+s2.dcm", "SC_rgb_dcmtk_+eb+cy+s4.dcm",
        "SC_rgb_jpeg_app14_dcmd.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_lossy_gdcm.dcm", "SC_rgb_small_odd_jpeg.dcm",
    ];

    [Theory]
    [MemberData(nameof(PydicomJpegFiles))]
    public void Pydicoms_JPEG_baseline_files_we_decode_as_dcmdjpeg_does(string name)
    {
        Peers.RequirePydicom();
        using var temp = new TempDirectory("jpegp");
        AssertWeDecodeAsDcmtk(temp, Path.Combine(Peers.PydicomData, "test_files", name), name);
    }

    private void AssertWeDecodeAsDcmtk(TempDirectory temp, string path, string what)
    {
        CodecPeers.Dcmtk("dcmdjpeg", path, temp.File("dcmtk-back.dcm"));
        var back = DicomFile.Open(temp.File("dcmtk-back.dcm"));
        var theirs = back.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var file = DicomFile.Open(path);
        var native = file.Transcode(DicomTransferSyntax.ExplicitVRLittleEndian);
        var ours = native.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var d = PixelDescription.FromDataset(native.Dataset);
        theirs = Interleaved(theirs, PixelDescription.FromDataset(back.Dataset))[..(int)d.TotalBytes];
        ours = Interleaved(ours, d)[..(int)d.TotalBytes];
        var max = JpegImages.MaxDifference(theirs, ours);
        output.WriteLine($"{what}: {d.Columns}×{d.Rows}×{d.SamplesPerPixel}, dcmtk says {back.Dataset.GetString(DicomTags.PhotometricInterpretation)}, max difference {max}");
        Assert.InRange(max, 0, DecoderTolerance(d.SamplesPerPixel));
        if (d.SamplesPerPixel == 3)
            Assert.Equal("RGB", native.Dataset.GetString(DicomTags.PhotometricInterpretation));
    }

    private static byte[] Interleaved(byte[] pixels, PixelDescription d)
    {
        if (d.SamplesPerPixel == 1 || d.PlanarConfiguration == 0)
            return pixels;
        var result = new byte[pixels.Length];
        var n = d.Pixels;
        for (var f = 0; f < d.Frames; f++)
            for (var i = 0; i < n; i++)
                for (var c = 0; c < 3; c++)
                    result[f * 3 * n + 3 * i + c] = pixels[f * 3 * n + c * n + i];
        return result;
    }

    [Fact]
    public void Orthanc_stores_and_renders_what_we_encode()
    {
        using var temp = new TempDirectory("jpego");
        using var orthanc = new OrthancPeer();
        foreach (var spec in new[] { CodecImages.RgbHd, Grey })
        {
            var file = CodecImages.File(spec).Transcode(DicomTransferSyntax.JpegBaseline);
            var path = temp.File(spec.Name + ".dcm");
            file.Save(path);
            var id = orthanc.Upload(File.ReadAllBytes(path));
            File.WriteAllBytes(temp.File(spec.Name + ".png"), orthanc.Preview(id));
            var python = Peers.RequirePydicom();
            var r = ProcessRunner.Run(python, [Path.Combine(AppContext.BaseDirectory, "Scripts", "png.py"), temp.File(spec.Name + ".png"), temp.File(spec.Name + ".raw")], TimeSpan.FromMinutes(1));
            Assert.True(r.ExitCode == 0, r.All);
            var raw = File.ReadAllBytes(temp.File(spec.Name + ".raw"));
            var header = System.Text.Encoding.ASCII.GetString(raw, 0, Array.IndexOf(raw, (byte)'\n'));
            Assert.Equal($"{spec.Columns} {spec.Rows} {spec.Samples}", header);
            var rendered = raw[(header.Length + 1)..];
            var ours = CodecImages.NativePixels(file);
            var psnr = JpegImages.Psnr(ours, rendered);
            output.WriteLine($"{spec.Name}: Orthanc's preview against our decoding: PSNR {psnr:F1} dB, max difference {JpegImages.MaxDifference(ours, rendered)}");
            if (spec.Samples == 3)
                Assert.InRange(JpegImages.MaxDifference(ours, rendered), 0, DecoderTolerance(spec.Samples)); // colour is rendered as decoded
            else
                Assert.True(psnr > 20, $"the grey preview is not our image (PSNR {psnr:F1} dB; Orthanc stretches grey to its range)");
        }
    }

    [Fact]
    public void A_lossy_step_gives_a_new_instance_that_names_its_predecessor_and_a_lossless_step_keeps_lossy_01()
    {
        var original = CodecImages.File(CodecImages.RgbHd);
        var uid = original.Dataset.GetString(DicomTags.SOPInstanceUID);
        var lossy = original.Transcode(DicomTransferSyntax.JpegBaseline, new CodecOptions { Quality = 80 });
        Assert.NotEqual(uid, lossy.Dataset.GetString(DicomTags.SOPInstanceUID));
        Assert.Contains("quality 80", lossy.Dataset.GetString(DicomTags.DerivationDescription), StringComparison.Ordinal);
        var source = Assert.Single(((DicomSequence)lossy.Dataset.Find(DicomTags.SourceImageSequence)!).Items);
        Assert.Equal(uid, source.GetString(DicomTags.ReferencedSOPInstanceUID));
        Assert.Equal("121320", ((DicomSequence)source.Find(DicomTags.PurposeOfReferenceCodeSequence)!).Items[0].GetString(DicomTags.CodeValue));

        // Back to lossless JPEG-LS and to native: still lossy, same ratio and method, no further new UID.
        var lossless = lossy.Transcode(DicomTransferSyntax.JpegLsLossless);
        var native = lossless.Transcode(DicomTransferSyntax.ExplicitVRLittleEndian);
        foreach (var f in new[] { lossless, native })
        {
            Assert.Equal("01", f.Dataset.GetString(DicomTags.LossyImageCompression));
            Assert.Equal("ISO_10918_1", f.Dataset.GetString(DicomTags.LossyImageCompressionMethod));
            Assert.Equal(lossy.Dataset.GetString(DicomTags.SOPInstanceUID), f.Dataset.GetString(DicomTags.SOPInstanceUID));
            Assert.Equal("RGB", f.Dataset.GetString(DicomTags.PhotometricInterpretation));
        }
        using var temp = new TempDirectory("jpegl");
        native.Save(temp.File("native.dcm"));
        Assert.Empty(Dciodvfy.Errors(temp.File("native.dcm")));

        // Where the object is being made (wrap, a device profile) it keeps its UID: there is no predecessor.
        var kept = original.Transcode(DicomTransferSyntax.JpegBaseline, new CodecOptions { KeepSopInstanceUid = true });
        Assert.Equal(uid, kept.Dataset.GetString(DicomTags.SOPInstanceUID));
        Assert.Null(kept.Dataset.Find(DicomTags.SourceImageSequence));
    }

    [Fact]
    public void What_JPEG_baseline_cannot_hold_is_refused_before_anything_is_written()
    {
        Assert.Throws<NotSupportedException>(() => CodecImages.File(CodecImages.Grey12).Transcode(DicomTransferSyntax.JpegBaseline));
        Assert.Throws<NotSupportedException>(() => CodecImages.File(OddRgb).Transcode(DicomTransferSyntax.JpegBaseline, new CodecOptions { Quality = 0 }));
    }

    [Fact]
    public void A_corrupt_frame_names_the_frame_and_the_offset()
    {
        var ds = CodecImages.File(CodecImages.MultiFrameColour).Transcode(DicomTransferSyntax.JpegBaseline).Dataset;
        var f = (DicomFragmentSequence)ds.Find(DicomTags.PixelData)!;
        var fragments = f.Fragments.ToList();
        fragments[3] = DicomBuffer.From(fragments[3].Memory[..300]);
        ds.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, fragments));
        var e = Assert.Throws<DicomFormatException>(() => new DicomFile(ds, DicomTransferSyntax.JpegBaseline).Transcode(DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.Contains("frame 4 of 5", e.Message, StringComparison.Ordinal);
        Assert.Contains("byte ", e.Message, StringComparison.Ordinal);
    }
}
