using Gateway.Dicom;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>`gateway dump` and `gateway convert` as a user runs them: exit codes 0/1/2, messages that name the problem, dcmdump's verdict on what we write.</summary>
public sealed class DumpAndConvertCommandTests
{
    private static readonly string Sample = Path.Combine(Repository.Root, "samples", "sc-gradient.dcm");
    private static readonly string CtSmall = Path.Combine(Peers.PydicomData, "test_files", "CT_small.dcm");
    private static readonly string JpegBaseline = Path.Combine(Peers.PydicomData, "test_files", "SC_rgb_jpeg_dcmtk.dcm");
    private static readonly string Jpeg2000 = Path.Combine(Peers.PydicomData, "test_files", "JPEG2000.dcm");

    [Fact]
    public void Dump_prints_every_element_with_keyword_and_value()
    {
        var r = GatewayExecutable.Run("dump", Sample);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("(0010,0010) PN [Dupré^Hélène]  # 12 PatientName", r.StdOut);
        Assert.Contains("(0002,0010) UI [1.2.840.10008.1.2.1]", r.StdOut);
        Assert.Contains("(7FE0,0010) OB", r.StdOut);
    }

    [Fact]
    public void Dump_of_a_file_that_is_not_dicom_exits_2_naming_offset_and_tag()
    {
        using var temp = new TempDirectory();
        var bad = temp.File("bad.dcm");
        var bytes = File.ReadAllBytes(Sample);
        File.WriteAllBytes(bad, bytes[..(bytes.Length - 100)]);
        var r = GatewayExecutable.Run("dump", bad);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not a valid DICOM file", r.StdErr);
        Assert.Contains("(7FE0,0010)", r.StdErr);
        Assert.Contains("offset", r.StdErr);
    }

    [Fact]
    public void Missing_files_unknown_verbs_and_bad_options_exit_2_with_a_message()
    {
        var missing = GatewayExecutable.Run("dump", "/nonexistent/x.dcm");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("/nonexistent/x.dcm", missing.StdErr);

        var verb = GatewayExecutable.Run("frobnicate");
        Assert.Equal(2, verb.ExitCode);
        Assert.Contains("unknown command 'frobnicate'", verb.StdErr);

        var ts = GatewayExecutable.Run("convert", Sample, "/tmp/x.dcm", "--ts", "jpeg");
        Assert.Equal(2, ts.ExitCode);
        Assert.Contains("--ts 'jpeg' is not one of explicit, implicit, deflated, rle, jpeg-lossless, jpeg-ls, jpeg-ls-near, jpeg-baseline", ts.StdErr);

        var typo = GatewayExecutable.Run("convert", Sample, "/tmp/x.dcm", "--ts", "explicit", "--tls");
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("unknown option --tls", typo.StdErr);
    }

    [Theory]
    [InlineData("implicit", "Little Endian Implicit")]
    [InlineData("explicit", "Little Endian Explicit")]
    [InlineData("deflated", "Deflated Explicit VR Little Endian")]
    public void Convert_writes_a_file_dcmdump_reads_without_warnings(string ts, string dcmtkName)
    {
        var dcmdump = Peers.Require("dcmdump", "dcmtk");
        using var temp = new TempDirectory();
        var output = temp.File("out.dcm");
        var r = GatewayExecutable.Run("convert", CtSmall, output, "--ts", ts);
        Assert.Equal(0, r.ExitCode);
        var dump = ProcessRunner.Run(dcmdump, [output]);
        Assert.Equal(0, dump.ExitCode);
        Assert.DoesNotContain("W:", dump.All);
        Assert.DoesNotContain("E:", dump.All);
        Assert.Contains(dcmtkName, dump.StdOut);
        Assert.Contains("GATEWAY_", dump.StdOut); // our implementation version name
        var original = DicomFile.Open(CtSmall).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        Assert.Equal(original, DicomFile.Open(output).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray());
    }

    [Fact]
    public void Converting_pixel_data_without_a_codec_here_fails_with_exit_1_and_leaves_no_file()
    {
        using var temp = new TempDirectory();
        var output = temp.File("out.dcm");
        var r = GatewayExecutable.Run("convert", Jpeg2000, output, "--ts", "explicit");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("compressed", r.StdErr);
        Assert.Contains("codec", r.StdErr);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Convert_chains_every_codec_and_comes_back_bit_exact()
    {
        using var temp = new TempDirectory();
        var original = DicomFile.Open(CtSmall).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var previous = CtSmall;
        foreach (var ts in new[] { "rle", "jpeg-ls", "jpeg-lossless", "jpeg-ls-near", "explicit" })
        {
            var next = temp.File($"{ts}.dcm");
            string[] args = ["convert", previous, next, "--ts", ts, .. ts == "jpeg-ls-near" ? new[] { "--near", "0" } : []];
            var r = GatewayExecutable.Run(args);
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Empty(Dciodvfy.Errors(next));
            previous = next;
        }
        Assert.Equal(original, DicomFile.Open(previous).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray());
    }

    [Fact]
    public void Convert_of_corrupt_compressed_pixel_data_exits_2_naming_the_frame()
    {
        using var temp = new TempDirectory();
        var rle = temp.File("rle.dcm");
        Assert.Equal(0, GatewayExecutable.Run("convert", CtSmall, rle, "--ts", "rle").ExitCode);
        var file = DicomFile.Open(rle);
        var fragment = ((DicomFragmentSequence)file.Dataset.Find(DicomTags.PixelData)!).Fragments[0].Memory.ToArray();
        fragment.AsSpan(fragment.Length / 2).Fill(0x80); // RLE no-op headers: the last segment runs dry
        file.Dataset.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, [DicomBuffer.From(fragment)]));
        file.Save(temp.File("corrupt.dcm"));
        rle = temp.File("corrupt.dcm");
        var r = GatewayExecutable.Run("convert", rle, temp.File("out.dcm"), "--ts", "explicit");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("frame 1 of 1", r.StdErr);
    }

    [Fact]
    public void Convert_help_lists_the_codecs()
    {
        var r = GatewayExecutable.Run("convert", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("rle|jpeg-lossless|jpeg-ls|jpeg-ls-near|jpeg-baseline", r.StdOut);
        Assert.Contains("--quality Q", r.StdOut);
    }

    [Fact]
    public void Convert_to_jpeg_baseline_at_a_quality_makes_a_new_lossy_instance_dcmdjpeg_reads()
    {
        using var temp = new TempDirectory();
        var output = temp.File("lossy.dcm");
        var r = GatewayExecutable.Run("convert", JpegBaseline, temp.File("native.dcm"), "--ts", "explicit");
        Assert.True(r.ExitCode == 0, r.All);
        r = GatewayExecutable.Run("convert", temp.File("native.dcm"), output, "--ts", "jpeg-baseline", "--quality", "75");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Empty(Dciodvfy.Errors(output));
        var file = DicomFile.Open(output);
        Assert.Equal(DicomTransferSyntax.JpegBaseline, file.TransferSyntax);
        Assert.Equal("YBR_FULL_422", file.Dataset.GetString(DicomTags.PhotometricInterpretation));
        Assert.Equal("01", file.Dataset.GetString(DicomTags.LossyImageCompression));
        Assert.Contains("quality 75", file.Dataset.GetString(DicomTags.DerivationDescription), StringComparison.Ordinal);
        Assert.NotEqual(DicomFile.Open(JpegBaseline).Dataset.GetString(DicomTags.SOPInstanceUID), file.Dataset.GetString(DicomTags.SOPInstanceUID));
        var dcmtk = ProcessRunner.Run(Peers.Require("dcmdjpeg", "dcmtk"), [output, temp.File("back.dcm")]);
        Assert.True(dcmtk.ExitCode == 0, dcmtk.All);

        var bad = GatewayExecutable.Run("convert", temp.File("native.dcm"), temp.File("x.dcm"), "--ts", "jpeg-baseline", "--quality", "101");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--quality '101'", bad.StdErr);
    }
}
