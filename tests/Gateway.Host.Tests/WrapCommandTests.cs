using System.Text.Json;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #3: `gateway wrap` on images written by an independent encoder (Pillow), judged by pydicom and dciodvfy.</summary>
public sealed class WrapCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("wrap");
    private readonly Dictionary<string, string> _expected = [];

    public WrapCommandTests()
    {
        var python = Peers.RequirePydicom();
        var r = ProcessRunner.Run(python, [Path.Combine(AppContext.BaseDirectory, "Scripts", "make_images.py"), _temp.Path]);
        Assert.True(r.ExitCode == 0, "Pillow (Debian python3-pil) could not write the test images: " + r.All);
        foreach (var c in JsonDocument.Parse(r.StdOut).RootElement.EnumerateArray())
            _expected[Path.GetFileName(c.GetProperty("path").GetString()!)] = c.GetProperty("sha256").GetString()!;
    }

    public void Dispose() => _temp.Dispose();

    private string Meta(string json)
    {
        var path = _temp.File(Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonElement Pydicom(string dcm)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Scripts", "check_objects.py");
        var r = ProcessRunner.Run(Peers.RequirePydicom(), [script, dcm]);
        return JsonDocument.Parse(r.StdOut.Trim()).RootElement;
    }

    [Theory]
    [InlineData("grey8.png", "sc")]
    [InlineData("grey16.png", "sc")]
    [InlineData("rgb.png", "sc")]
    [InlineData("rgba.png", "vl-photo")]
    [InlineData("grey8.bmp", "vl-endo")]
    [InlineData("rgb.bmp", "us")]
    [InlineData("grey8.pgm", "sc")]
    [InlineData("grey16.pgm", "sc")]
    [InlineData("rgb.ppm", "sc")]
    public void Wrapped_pixels_equal_the_input_as_pydicom_reads_them(string input, string iod)
    {
        var output = _temp.File(input + ".dcm");
        var meta = Meta("""{"PatientName": "Dupré^Hélène", "PatientID": "123", "PatientBirthDate": "19700101", "AccessionNumber": "A1", "StudyDescription": "Thorax"}""");
        var r = GatewayExecutable.Run("wrap", _temp.File(input), "--iod", iod, "--meta", meta, "--out", output);
        Assert.True(r.ExitCode == 0, r.All);
        var read = Pydicom(output);
        Assert.True(read.GetProperty("ok").GetBoolean(), read.ToString());
        Assert.Equal(_expected[input], read.GetProperty("sha256").GetString());
        Assert.Equal("Dupré^Hélène", read.GetProperty("name").GetString());
        var v = ProcessRunner.Run(Peers.Require("dciodvfy", "dicom3tools"), [output]);
        Assert.DoesNotContain("Error", v.All);
    }

    [Theory]
    [InlineData("rgb.png", "vl-photo", "jpeg-baseline")]
    [InlineData("grey8.png", "sc", "jpeg-baseline")]
    [InlineData("grey16.png", "sc", "jpeg-ls")]
    [InlineData("rgb.ppm", "sc", "rle")]
    [InlineData("grey16.pgm", "sc", "jpeg-lossless")]
    public void Wrap_compresses_to_the_syntax_asked_and_a_lossy_object_made_here_keeps_its_UID(string input, string iod, string ts)
    {
        var output = _temp.File(input + "." + ts + ".dcm");
        var r = GatewayExecutable.Run("wrap", _temp.File(input), "--iod", iod, "--out", output, "--ts", ts, "--quality", "85");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.DoesNotContain("Error", ProcessRunner.Run(Peers.Require("dciodvfy", "dicom3tools"), [output]).All);
        var file = Gateway.Dicom.DicomFile.Open(output);
        Assert.Equal(Gateway.Host.Commands.ConvertCommand.ParseTransferSyntax(ts, allowCompressed: true), file.TransferSyntax);
        var uid = file.Dataset.GetString(Gateway.Dicom.DicomTags.SOPInstanceUID);
        Assert.Contains($"SOP Instance UID {uid}", r.StdOut, StringComparison.Ordinal);
        Assert.Null(file.Dataset.Find(Gateway.Dicom.DicomTags.SourceImageSequence));
        var lossy = file.Dataset.Find(Gateway.Dicom.DicomTags.LossyImageCompression) is not null
            ? file.Dataset.GetString(Gateway.Dicom.DicomTags.LossyImageCompression) : "";
        Assert.Equal(ts == "jpeg-baseline" ? "01" : lossy is "" ? "" : "00", lossy);
        if (ts != "jpeg-baseline")
        {
            var read = Pydicom(output);
            Assert.Equal(_expected[input], read.GetProperty("sha256").GetString());
        }
    }

    [Fact]
    public void Several_inputs_make_one_multi_frame_object_with_frames_in_order()
    {
        var output = _temp.File("series.dcm");
        var r = GatewayExecutable.Run("wrap", _temp.File("series-0.png"), _temp.File("series-1.png"), _temp.File("series-2.png"),
            "--iod", "sc-mf-color", "--out", output, "--ts", "implicit");
        Assert.True(r.ExitCode == 0, r.All);
        var read = Pydicom(output);
        Assert.Equal("[3,40,60,3]", read.GetProperty("shape").GetRawText().Replace(" ", "", StringComparison.Ordinal));
        Assert.DoesNotContain("Error", ProcessRunner.Run(Peers.Require("dciodvfy", "dicom3tools"), [output]).All);
    }

    [Fact]
    public void Our_SC_object_has_no_more_dciodvfy_findings_than_img2dcm_on_the_same_BMP()
    {
        var dciodvfy = Peers.Require("dciodvfy", "dicom3tools");
        var theirs = _temp.File("img2dcm.dcm");
        var made = ProcessRunner.Run(Peers.Require("img2dcm", "dcmtk"), ["-i", "BMP", _temp.File("rgb.bmp"), theirs]);
        Assert.True(made.ExitCode == 0, made.All);
        var ours = _temp.File("ours.dcm");
        Assert.Equal(0, GatewayExecutable.Run("wrap", _temp.File("rgb.bmp"), "--iod", "sc", "--out", ours).ExitCode);
        static int Findings(ProcessResult r, string kind) => r.All.Split('\n').Count(l => l.StartsWith(kind, StringComparison.Ordinal));
        var t = ProcessRunner.Run(dciodvfy, [theirs]);
        var o = ProcessRunner.Run(dciodvfy, [ours]);
        Assert.True(Findings(o, "Error") <= Findings(t, "Error"), $"ours:\n{o.All}\nimg2dcm:\n{t.All}");
        Assert.True(Findings(o, "Error") + Findings(o, "Warning") <= Findings(t, "Error") + Findings(t, "Warning"), $"ours:\n{o.All}\nimg2dcm:\n{t.All}");
        Assert.Equal(0, Findings(o, "Error"));
    }

    [Theory]
    [InlineData("""{"PatientNme": "x"}""", "PatientNme: unknown keyword")]
    [InlineData("""{"StudyDate": "2026-13-40"}""", "StudyDate (0008,0020) DA: '2026-13-40' is not a valid date")]
    [InlineData("""{"StudyDescription": "01234567890123456789012345678901234567890123456789012345678901234"}""", "StudyDescription (0008,1030) LO")]
    [InlineData("""{"StudyInstanceUID": "1.2.03"}""", "leading zero")]
    [InlineData("""{"Rows": 5}""", "derived from the image")]
    [InlineData("""{"OtherPatientIDsSequence": [{"PatientID": "x", "IssuerOfPatientID": 1.5, "Bogus": 1}]}""", "OtherPatientIDsSequence[0]: Bogus: unknown keyword")]
    [InlineData("""{"PatientName": """, "not valid JSON")]
    public void Bad_metadata_is_refused_before_anything_is_written(string json, string message)
    {
        var output = _temp.File("never.dcm");
        var r = GatewayExecutable.Run("wrap", _temp.File("grey8.png"), "--iod", "sc", "--meta", Meta(json), "--out", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.StdErr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Inconsistent_and_corrupt_inputs_are_refused_and_nothing_is_written()
    {
        var output = _temp.File("never.dcm");
        var mixed = GatewayExecutable.Run("wrap", _temp.File("series-0.png"), _temp.File("rgb.png"), "--iod", "sc-mf-color", "--out", output);
        Assert.Equal(2, mixed.ExitCode);
        Assert.Contains("all frames of one object must agree", mixed.StdErr);

        var corrupt = _temp.File("corrupt.png");
        var bytes = File.ReadAllBytes(_temp.File("rgb.png"));
        bytes[^20] ^= 0xFF; // inside the last IDAT chunk or its CRC
        File.WriteAllBytes(corrupt, bytes);
        var r = GatewayExecutable.Run("wrap", corrupt, "--iod", "sc", "--out", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Matches("CRC mismatch|corrupt", r.StdErr);

        var truncated = _temp.File("truncated.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(_temp.File("rgb.png"))[..60]);
        var t = GatewayExecutable.Run("wrap", truncated, "--iod", "sc", "--out", output);
        Assert.Equal(2, t.ExitCode);

        var wrongIod = GatewayExecutable.Run("wrap", _temp.File("grey16.png"), "--iod", "vl-photo", "--out", output);
        Assert.Equal(2, wrongIod.ExitCode);
        Assert.Contains("vl-photo does not allow", wrongIod.StdErr);

        var raw = _temp.File("frame.raw");
        File.WriteAllBytes(raw, new byte[99]);
        var rawSize = GatewayExecutable.Run("wrap", raw, "--raw", "10x10", "--bits", "8", "--iod", "sc", "--out", output);
        Assert.Equal(2, rawSize.ExitCode);
        Assert.Contains("99 bytes, but 10×10", rawSize.StdErr);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_temp.Path, ".never.dcm*"));
    }
}
