using Gateway.Dicom.Codecs;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>Issue #19, RLE Lossless (PS3.5 Annex G) against dcmtk (dcmcrle/dcmdrle) and pydicom + GDCM.</summary>
public sealed class RleCodecTests
{
    public static TheoryData<string> Images => [.. CodecImages.Small.Select(s => s.Name)];

    private static CodecImages.Spec Spec(string name) => CodecImages.Small.Concat([CodecImages.Dx3000, CodecImages.RgbHd]).First(s => s.Name == name);

    [Theory]
    [MemberData(nameof(Images))]
    [InlineData("3000x3000-16bit")]
    public void What_we_encode_dcmtk_and_gdcm_decode_bit_exact_and_dciodvfy_accepts(string image)
    {
        using var temp = new TempDirectory("rle");
        var spec = Spec(image);
        var pixels = CodecImages.Pixels(spec);
        var path = temp.File("ours.dcm");
        CodecImages.File(spec, pixels).Transcode(DicomTransferSyntax.RleLossless).Save(path);
        Assert.Empty(Dciodvfy.Errors(path));

        CodecPeers.Dcmtk("dcmdrle", path, temp.File("dcmtk.dcm"));
        CodecPeers.AssertSame(pixels, DicomFile.Open(temp.File("dcmtk.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.Span, "dcmdrle");
        CodecPeers.AssertSame(pixels, CodecPeers.PydicomGdcm(path), "pydicom/GDCM");
        CodecPeers.AssertSame(pixels, CodecImages.NativePixels(DicomFile.Open(path)), "our decoder");
    }

    [Theory]
    [MemberData(nameof(Images))]
    [InlineData("3000x3000-16bit")]
    public void What_dcmtk_encodes_we_decode_as_dcmtk_does(string image)
    {
        using var temp = new TempDirectory("rle");
        var spec = Spec(image);
        var native = temp.File("native.dcm");
        CodecImages.File(spec).Save(native);
        CodecPeers.Dcmtk("dcmcrle", native, temp.File("dcmtk-rle.dcm"));
        CodecPeers.Dcmtk("dcmdrle", temp.File("dcmtk-rle.dcm"), temp.File("dcmtk-back.dcm"));
        var theirs = DicomFile.Open(temp.File("dcmtk-back.dcm")).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
        var file = DicomFile.Open(temp.File("dcmtk-rle.dcm"));
        Assert.Equal(DicomTransferSyntax.RleLossless, file.TransferSyntax);
        var ours = CodecImages.NativePixels(file);
        CodecPeers.AssertSame(theirs.AsSpan(0, ours.Length), ours, "our decoding of dcmcrle's output");
    }

    [Fact]
    public void Every_frame_is_one_fragment_with_its_offset_in_the_Basic_Offset_Table()
    {
        var spec = CodecImages.MultiFrame;
        var ds = CodecImages.File(spec).Transcode(DicomTransferSyntax.RleLossless).Dataset;
        var f = Assert.IsType<DicomFragmentSequence>(ds.Find(DicomTags.PixelData));
        Assert.Equal(spec.Frames, f.Fragments.Count);
        var table = f.OffsetTable.Memory.Span;
        Assert.Equal(4 * spec.Frames, table.Length);
        long at = 0;
        for (var i = 0; i < spec.Frames; i++)
        {
            Assert.Equal(at, BitConverter.ToUInt32(table[(4 * i)..]));
            Assert.Equal(0, f.Fragments[i].Length % 2);
            at += 8 + f.Fragments[i].Length;
        }
        Assert.NotEqual("01", ds.TryGetString(DicomTags.LossyImageCompression));
    }

    [Fact]
    public void Segments_follow_G5_one_per_byte_of_each_sample_most_significant_first_each_even()
    {
        var d = new PixelDescription(2, 3, 3, 16, 16, false, 0, 1, "RGB");
        var frame = new byte[d.FrameBytes];
        new Random(1).NextBytes(frame);
        var rle = new RleCodec().Encode(frame, d, CodecOptions.Default);
        Assert.Equal(6u, BitConverter.ToUInt32(rle, 0));
        var offsets = Enumerable.Range(0, 15).Select(i => BitConverter.ToUInt32(rle, 4 + 4 * i)).ToArray();
        Assert.Equal(64u, offsets[0]);
        Assert.All(offsets[6..], o => Assert.Equal(0u, o));
        Assert.All(offsets[..6], o => Assert.Equal(0u, o % 2));
        // Segment 1 is the high byte of red: decode it alone.
        var segment = rle.AsSpan((int)offsets[0], (int)(offsets[1] - offsets[0]));
        var high = new List<byte>();
        for (var i = 0; high.Count < 6;)
        {
            var h = (sbyte)segment[i++];
            if (h >= 0)
            {
                high.AddRange(segment.Slice(i, h + 1).ToArray());
                i += h + 1;
            }
            else
            {
                high.AddRange(Enumerable.Repeat(segment[i++], 1 - h));
            }
        }
        Assert.Equal(Enumerable.Range(0, 6).Select(p => frame[p * 6 + 1]), high.Take(6));
    }

    [Fact]
    public void Thirty_two_bit_samples_round_trip()
    {
        var d = new PixelDescription(5, 7, 1, 32, 32, false, 0, 1, "MONOCHROME2");
        var frame = new byte[d.FrameBytes];
        new Random(3).NextBytes(frame);
        var codec = new RleCodec();
        var back = new byte[frame.Length];
        codec.Decode(codec.Encode(frame, d, CodecOptions.Default), d, back);
        Assert.Equal(frame, back);
    }

    [Fact]
    public void A_truncated_frame_names_the_frame_and_the_offset()
    {
        var spec = CodecImages.MultiFrame;
        var ds = CodecImages.File(spec).Transcode(DicomTransferSyntax.RleLossless).Dataset;
        var f = (DicomFragmentSequence)ds.Find(DicomTags.PixelData)!;
        var fragments = f.Fragments.ToList();
        fragments[2] = DicomBuffer.From(fragments[2].Memory[..(int)(fragments[2].Length / 2)]);
        ds.AddOrUpdate(new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB, DicomBuffer.Empty, fragments));
        var e = Assert.Throws<DicomFormatException>(() => new DicomFile(ds, DicomTransferSyntax.RleLossless).Transcode(DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.Contains("frame 3 of 50", e.Message, StringComparison.Ordinal);
        Assert.Contains("byte ", e.Message, StringComparison.Ordinal);
    }
}
