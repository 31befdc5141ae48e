using Gateway.Dicom.Codecs;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>Issue #19, JPEG Lossless Process 14 SV1 (T.81 Annex H) against dcmtk (dcmcjpeg/dcmdjpeg) and pydicom + GDCM.</summary>
public sealed class JpegLosslessCodecTests
{
    public static TheoryData<string> Images => [.. CodecImages.Small.Select(s => s.Name)];

    private static CodecImages.Spec Spec(string name) => CodecImages.Small.Concat([CodecImages.Dx3000, CodecImages.RgbHd]).First(s => s.Name == name);

    [Theory]
    [MemberData(nameof(Images))]
    [InlineData("3000x3000-16bit")]
    [InlineData("rgb-640x480")]
    public void What_we_encode_dcmtk_and_gdcm_decode_bit_exact_and_dciodvfy_accepts(string image)
    {
        using var temp = new TempDirectory("jpegll");
        var spec = Spec(image);
        var pixels = CodecImages.Pixels(spec);
        var path = temp.File("ours.dcm");
        CodecImages.File(spec, pixels).Transcode(DicomTransferSyntax.JpegLosslessSV1).Save(path);
        Assert.Empty(Dciodvfy.Errors(path));

        CodecPeers.Dcmtk("dcmdjpeg", path, temp.File("dcmtk.dcm"));
        CodecPeers.AssertSame(pixels, DicomFile.Open(temp.File("dcmtk.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span, "dcmdjpeg");
        CodecPeers.AssertSame(pixels, CodecPeers.PydicomGdcm(path), "pydicom/GDCM");
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(DicomFile.Open(path)), "our decoder");
    }

    [Theory]
    [MemberData(nameof(Images))]
    [InlineData("3000x3000-16bit")]
    public void What_dcmtk_encodes_with_SV1_we_decode_as_dcmtk_does(string image) =>
        DcmtkEncodesWeDecode(Spec(image), "+e1");

    [Theory]
    [InlineData("101x77-12bit", "+el", "+sv", "6")]
    [InlineData("rgb-33x21", "+el", "+sv", "7")]
    [InlineData("odd-17x13-grey8", "+el", "+sv", "4")]
    [InlineData("64x48-16bit-noise", "+el", "+sv", "5")]
    [InlineData("50-frame-16bit", "+el", "+sv", "2")]
    [InlineData("101x77-12bit", "+el", "+sv", "3")]
    [InlineData("101x77-12bit", "+e1", "-ho")]
    public void Other_selection_values_dcmtk_writes_we_decode_as_dcmtk_does(string image, params string[] options) =>
        DcmtkEncodesWeDecode(Spec(image), options);

    private static void DcmtkEncodesWeDecode(CodecImages.Spec spec, params string[] options)
    {
        using var temp = new TempDirectory("jpegll");
        var native = temp.File("native.dcm");
        CodecImages.File(spec).Save(native);
        CodecPeers.Dcmtk("dcmcjpeg", [.. options, native, temp.File("dcmtk-jpeg.dcm")]);
        CodecPeers.Dcmtk("dcmdjpeg", temp.File("dcmtk-jpeg.dcm"), temp.File("dcmtk-back.dcm"));
        var theirs = DicomFile.Open(temp.File("dcmtk-back.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var file = DicomFile.Open(temp.File("dcmtk-jpeg.dcm"));
        var ours = CodecImages.NativePixels(file);
        CodecPeers.AssertSame(theirs.AsSpan(0, ours.Length), ours, $"our decoding of dcmcjpeg {string.Join(' ', options)}");
    }

    [Fact]
    public void Every_precision_from_2_to_16_bits_round_trips()
    {
        foreach (var bits in new[] { 2, 5, 8, 9, 12, 15, 16 })
        {
            var spec = new CodecImages.Spec($"bits{bits}", Iod.IodKind.SecondaryCapture, 37, 11, 1, bits > 8 ? 16 : 8, bits, Noise: 1 << (bits - 1));
            var pixels = CodecImages.Pixels(spec);
            var d = new PixelDescription(spec.Rows, spec.Columns, 1, spec.BitsAllocated, bits, false, 0, 1, "MONOCHROME2");
            var codec = new JpegLosslessCodec();
            var back = new byte[pixels.Length];
            codec.Decode(codec.Encode(pixels, d, CodecOptions.Default), d, back);
            CodecPeers.AssertSame(pixels, back, $"{bits} bits, our round trip");
        }
    }

    [Fact]
    public void A_corrupt_frame_names_the_frame_and_the_offset()
    {
        var spec = CodecImages.MultiFrame;
        var ds = CodecImages.File(spec).Transcode(DicomTransferSyntax.JpegLosslessSV1).Dataset;
        var f = (DicomFragmentSequence)ds.Find(DicomTags.PixelData)!;
        var fragments = f.Fragments.ToList();
        fragments[9] = DicomBuffer.From(fragments[9].Memory[..60]);
        ds.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, fragments));
        var e = Assert.Throws<DicomFormatException>(() => new DicomFile(ds, DicomTransferSyntax.JpegLosslessSV1).Transcode(DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.Contains("frame 10 of 50", e.Message, StringComparison.Ordinal);
    }
}
