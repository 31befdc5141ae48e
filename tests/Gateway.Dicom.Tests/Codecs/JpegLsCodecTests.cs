using Gateway.Dicom.Codecs;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>Issue #19, JPEG-LS lossless and near-lossless (ITU-T T.87) against dcmtk (dcmcjpls/dcmdjpls) and pydicom + GDCM.</summary>
public sealed class JpegLsCodecTests
{
    public static TheoryData<string> Images => [.. CodecImages.Small.Select(s => s.Name)];

    private static CodecImages.Spec Spec(string name) => CodecImages.Small.Concat([CodecImages.Dx3000, CodecImages.RgbHd]).First(s => s.Name == name);

    [Theory]
    [MemberData(nameof(Images))]
    [InlineData("3000x3000-16bit")]
    [InlineData("rgb-640x480")]
    public void Lossless_what_we_encode_dcmtk_and_gdcm_decode_bit_exact_and_dciodvfy_accepts(string image)
    {
        using var temp = new TempDirectory("jls");
        var spec = Spec(image);
        var pixels = CodecImages.Pixels(spec);
        var path = temp.File("ours.dcm");
        CodecImages.File(spec, pixels).Transcode(DicomTransferSyntax.JpegLsLossless).Save(path);
        Assert.Empty(Dciodvfy.Errors(path));

        CodecPeers.Dcmtk("dcmdjpls", path, temp.File("dcmtk.dcm"));
        CodecPeers.AssertSame(pixels, DicomFile.Open(temp.File("dcmtk.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span, "dcmdjpls");
        CodecPeers.AssertSame(pixels, CodecPeers.PydicomGdcm(path), "pydicom/GDCM");
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(DicomFile.Open(path)), "our decoder");
    }

    [Theory]
    [MemberData(nameof(Images))]
    [InlineData("3000x3000-16bit")]
    public void Lossless_what_dcmtk_encodes_we_decode_as_dcmtk_does(string image) =>
        DcmtkEncodesWeDecode(Spec(image), "+el");

    [Theory]
    [InlineData("odd-17x13-grey8", "+in")]
    [InlineData("rgb-33x21", "+in")]
    [InlineData("rgb-33x21", "+il")]
    [InlineData("101x77-12bit", "+en")]
    [InlineData("rgb-33x21", "+en")]
    [InlineData("64x48-16bit-noise", "+en")]
    public void Dcmtk_options_we_decode_as_dcmtk_does(string image, string option) =>
        DcmtkEncodesWeDecode(Spec(image), option);

    private static void DcmtkEncodesWeDecode(CodecImages.Spec spec, params string[] options)
    {
        using var temp = new TempDirectory("jls");
        var native = temp.File("native.dcm");
        CodecImages.File(spec).Save(native);
        CodecPeers.Dcmtk("dcmcjpls", [.. options, native, temp.File("dcmtk-jls.dcm")]);
        CodecPeers.Dcmtk("dcmdjpls", temp.File("dcmtk-jls.dcm"), temp.File("dcmtk-back.dcm"));
        var theirs = DicomFile.Open(temp.File("dcmtk-back.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var file = DicomFile.Open(temp.File("dcmtk-jls.dcm"));
        var ours = CodecImages.NativePixels(file);
        CodecPeers.AssertSame(theirs.AsSpan(0, ours.Length), ours, $"our decoding of dcmcjpls {string.Join(' ', options)}");
    }

    [Theory]
    [InlineData("101x77-12bit", 2)]
    [InlineData("rgb-33x21", 3)]
    [InlineData("50-frame-16bit", 1)]
    [InlineData("3000x3000-16bit", 4)]
    public void Near_lossless_stays_within_NEAR_is_marked_lossy_and_dcmtk_and_gdcm_decode_it_as_we_do(string image, int near)
    {
        using var temp = new TempDirectory("jls-near");
        var spec = Spec(image);
        var pixels = CodecImages.Pixels(spec);
        var path = temp.File("ours.dcm");
        var file = CodecImages.File(spec, pixels).Transcode(DicomTransferSyntax.JpegLsNearLossless, new CodecOptions { NearLossless = near });
        file.Save(path);
        Assert.Empty(Dciodvfy.Errors(path));
        var ds = DicomFile.Open(path).Dataset;
        Assert.Equal("01", ds.GetString(DicomTags.LossyImageCompression));
        Assert.Equal("ISO_14495_1", ds.GetStrings(DicomTags.LossyImageCompressionMethod)[^1]);
        Assert.True(ds.GetDoubles(DicomTags.LossyImageCompressionRatio)[^1] > 1);

        var ours = CodecImages.NativePixels(DicomFile.Open(path));
        var step = spec.BitsAllocated / 8;
        var worst = 0;
        for (var i = 0; i < pixels.Length; i += step)
        {
            var a = step == 1 ? pixels[i] : BitConverter.ToUInt16(pixels, i);
            var b = step == 1 ? ours[i] : BitConverter.ToUInt16(ours, i);
            worst = Math.Max(worst, Math.Abs(a - b));
        }
        Assert.InRange(worst, 0, near);
        CodecPeers.Dcmtk("dcmdjpls", path, temp.File("dcmtk.dcm"));
        CodecPeers.AssertSame(ours, DicomFile.Open(temp.File("dcmtk.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span, "dcmdjpls");
        CodecPeers.AssertSame(ours, CodecPeers.PydicomGdcm(path), "pydicom/GDCM");

        // Once lossy, always lossy: decoding and re-encoding losslessly keeps the flag, the ratio and the method.
        var again = DicomFile.Open(path).Transcode(DicomTransferSyntax.ExplicitVRLittleEndian).Transcode(DicomTransferSyntax.JpegLsLossless);
        Assert.Equal("01", again.Dataset.GetString(DicomTags.LossyImageCompression));
        Assert.Equal("ISO_14495_1", again.Dataset.GetStrings(DicomTags.LossyImageCompressionMethod)[^1]);
    }

    [Fact]
    public void Every_precision_from_2_to_16_bits_round_trips_through_dcmtk()
    {
        using var temp = new TempDirectory("jls-bits");
        foreach (var bits in new[] { 2, 5, 8, 9, 12, 15, 16 })
        {
            var spec = new CodecImages.Spec($"bits{bits}", Iod.IodKind.SecondaryCapture, 37, 11, 1, bits > 8 ? 16 : 8, bits, Noise: 3);
            var pixels = CodecImages.Pixels(spec);
            var d = new PixelDescription(spec.Rows, spec.Columns, 1, spec.BitsAllocated, bits, false, 0, 1, "MONOCHROME2");
            var codec = new JpegLsCodec(false);
            var back = new byte[pixels.Length];
            codec.Decode(codec.Encode(pixels, d, CodecOptions.Default), d, back);
            CodecPeers.AssertSame(pixels, back, $"{bits} bits, our round trip");
        }
    }

    [Fact]
    public void A_corrupt_frame_names_the_frame_and_the_offset()
    {
        var spec = CodecImages.MultiFrame;
        var ds = CodecImages.File(spec).Transcode(DicomTransferSyntax.JpegLsLossless).Dataset;
        var f = (DicomFragmentSequence)ds.Find(DicomTags.PixelData)!;
        var fragments = f.Fragments.ToList();
        fragments[6] = DicomBuffer.From(fragments[6].Memory[..40]);
        ds.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, fragments));
        var e = Assert.Throws<DicomFormatException>(() => new DicomFile(ds, DicomTransferSyntax.JpegLsLossless).Transcode(DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.Contains("frame 7 of 50", e.Message, StringComparison.Ordinal);
    }
}
