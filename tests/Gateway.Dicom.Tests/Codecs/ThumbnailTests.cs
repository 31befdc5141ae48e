using Gateway.Dicom.Codecs;
using Gateway.Dicom.Imaging;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>
/// Issue #19: the page's thumbnail of a compressed object is the thumbnail of its pixels. Each lossless syntax — ours
/// and dcmtk's (dcmcrle, dcmcjpls, dcmcjpeg SV1 and selection value 6) — gives the very PNG the uncompressed object gives, for grey 8/12/16
/// bit and colour; a YBR_FULL object is shown as RGB; corrupt compressed data is an ImageFormatException naming it.
/// </summary>
public sealed class ThumbnailTests
{
    public static TheoryData<string> Images => [.. new[] { CodecImages.OddGrey8, CodecImages.Grey12, CodecImages.Grey16Noise, CodecImages.Rgb, CodecImages.MultiFrameColour }.Select(s => s.Name)];

    private static CodecImages.Spec Spec(string name) => CodecImages.Small.Concat([CodecImages.Rgb, CodecImages.MultiFrameColour]).First(s => s.Name == name);

    private static readonly DicomTransferSyntax[] Ours = [DicomTransferSyntax.RleLossless, DicomTransferSyntax.JpegLsLossless, DicomTransferSyntax.JpegLosslessSV1];

    [Theory]
    [MemberData(nameof(Images))]
    public void A_lossless_object_ours_or_dcmtks_has_the_thumbnail_of_its_uncompressed_pixels(string name)
    {
        using var temp = new TempDirectory("thumb");
        var native = temp.File("native.dcm");
        CodecImages.File(Spec(name)).Save(native);
        var expected = Thumbnail.Render(native);
        foreach (var ts in Ours)
        {
            var ours = temp.File($"ours-{ts.Uid}.dcm");
            DicomFile.Open(native).Transcode(ts).Save(ours);
            Assert.Equal(expected, Thumbnail.Render(ours));
        }
        foreach (var (tool, options) in new[] { ("dcmcrle", Array.Empty<string>()), ("dcmcjpls", []), ("dcmcjpeg", ["+e1"]), ("dcmcjpeg", ["+el", "+sv", "6"]) })
        {
            var theirs = temp.File($"{tool}{string.Concat(options)}.dcm");
            CodecPeers.Dcmtk(tool, [.. options, native, theirs]);
            Assert.True(DicomFile.OpenHeader(theirs).TransferSyntax.IsEncapsulated, tool);
            Assert.Equal(expected, Thumbnail.Render(theirs));
        }
    }

    [Fact]
    public void A_YBR_FULL_object_is_shown_in_RGB()
    {
        using var temp = new TempDirectory("thumb-ybr");
        var file = CodecImages.File(CodecImages.Rgb);
        var rgb = temp.File("rgb.dcm");
        file.Save(rgb);
        var pixels = file.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var ybr = new byte[pixels.Length];
        for (var i = 0; i < pixels.Length; i += 3)
        {
            // PS3.3 C.7.6.3.1.2, YBR_FULL from RGB.
            double r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
            ybr[i] = (byte)Math.Round((0.299 * r) + (0.587 * g) + (0.114 * b));
            ybr[i + 1] = (byte)Math.Clamp(Math.Round((-0.168736 * r) - (0.331264 * g) + (0.5 * b) + 128), 0, 255);
            ybr[i + 2] = (byte)Math.Clamp(Math.Round((0.5 * r) - (0.418688 * g) - (0.081312 * b) + 128), 0, 255);
        }
        file.Dataset.Set(DicomTags.PhotometricInterpretation, "YBR_FULL");
        file.Dataset.SetBytes(DicomTags.PixelData, DicomVR.OB, DicomBuffer.From(ybr));
        var ybrPath = temp.File("ybr.dcm");
        file.Save(ybrPath);
        var expected = Pillow(temp, Thumbnail.Render(rgb));
        var shown = Pillow(temp, Thumbnail.Render(ybrPath));
        Assert.Equal(expected.Length, shown.Length);
        // Rounding twice through YCbCr moves a sample by at most 2.
        Assert.All(expected.Zip(shown), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 2));
    }

    /// <summary>JPEG baseline (lossy, colour stored as YBR_FULL_422 and decoded to RGB) shows the picture within JPEG's error.</summary>
    [Fact]
    public void A_JPEG_baseline_object_ours_or_dcmtks_shows_the_picture_within_the_loss()
    {
        using var temp = new TempDirectory("thumb-jpeg");
        var native = temp.File("native.dcm");
        CodecImages.File(CodecImages.RgbHd).Save(native);
        var expected = Pillow(temp, Thumbnail.Render(native));
        var ours = temp.File("ours.dcm");
        DicomFile.Open(native).Transcode(DicomTransferSyntax.JpegBaseline, new CodecOptions { Quality = 95 }).Save(ours);
        var theirs = temp.File("dcmcjpeg.dcm");
        CodecPeers.Dcmtk("dcmcjpeg", "+eb", "+q", "95", native, theirs);
        foreach (var path in new[] { ours, theirs })
        {
            var shown = Pillow(temp, Thumbnail.Render(path));
            Assert.Equal(expected.Length, shown.Length);
            var mean = expected.Zip(shown).Average(p => Math.Abs(p.First - p.Second));
            Assert.True(mean < 4, $"{Path.GetFileName(path)}: mean difference {mean:F2} per sample");
        }
    }

    [Fact]
    public void Corrupt_compressed_pixels_are_an_ImageFormatException_naming_the_problem()
    {
        using var temp = new TempDirectory("thumb-bad");
        var good = DicomFile.Open(Write(temp, "native.dcm")).Transcode(DicomTransferSyntax.JpegLsLossless);
        var fragments = (DicomFragmentSequence)good.Dataset.Find(DicomTags.PixelData)!;
        var bytes = fragments.Fragments[0].Memory.ToArray();
        good.Dataset.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, fragments.OffsetTable, [DicomBuffer.From(bytes.AsMemory(0, bytes.Length / 3).ToArray())]));
        var bad = temp.File("truncated.dcm");
        good.Save(bad);
        var e = Assert.Throws<ImageFormatException>(() => Thumbnail.Render(bad));
        Assert.StartsWith(bad, e.Message, StringComparison.Ordinal);
    }

    /// <summary>The PNG's samples as Pillow (python3-pil) decodes them.</summary>
    private static byte[] Pillow(TempDirectory temp, byte[] png)
    {
        var path = temp.File($"{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, png);
        var r = ProcessRunner.Run(Peers.DebianPython, ["-c", "import sys; from PIL import Image; im = Image.open(sys.argv[1]); assert im.mode == 'RGB', im.mode; open(sys.argv[2], 'wb').write(im.tobytes())", path, path + ".raw"]);
        Assert.True(r.ExitCode == 0, r.All);
        return File.ReadAllBytes(path + ".raw");
    }

    private static string Write(TempDirectory temp, string name)
    {
        var path = temp.File(name);
        CodecImages.File(CodecImages.Grey16Noise).Save(path);
        return path;
    }
}
