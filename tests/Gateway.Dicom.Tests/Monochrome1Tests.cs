using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests;

/// <summary>MONOCHROME1 detectors (white is the minimum): SC and DX take them, with DX's Presentation LUT Shape INVERSE.</summary>
public sealed class Monochrome1Tests
{
    [Theory]
    [InlineData(IodKind.DxForPresentation, "INVERSE")]
    [InlineData(IodKind.DxForProcessing, "INVERSE")]
    [InlineData(IodKind.SecondaryCapture, null)]
    public void A_MONOCHROME1_frame_makes_a_valid_object(IodKind kind, string? lutShape)
    {
        using var temp = new TempDirectory("mono1");
        var format = new ImageFormat(64, 48, 1, 16, 14) { Inverted = true };
        var pixels = new byte[format.FrameLength];
        new Random(5).NextBytes(pixels);
        for (var i = 1; i < pixels.Length; i += 2)
            pixels[i] &= 0x3F;
        var meta = new DicomDataset();
        meta.Set(DicomTags.ImagerPixelSpacing, "0.1", "0.1");
        meta.Set(DicomTags.PatientOrientation, "L", "F");
        if (kind == IodKind.SecondaryCapture)
            meta = new DicomDataset();
        var ds = new IodBuilder().Build(kind, [new Frame(format, DicomBuffer.From(pixels))], meta, new SeriesContext(DicomUidGenerator.Default).NextInstance());
        var path = temp.File("mono1.dcm");
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        Assert.Empty(Dciodvfy.Errors(path));
        var back = DicomFile.Open(path).Dataset;
        Assert.Equal("MONOCHROME1", back.GetString(DicomTags.PhotometricInterpretation));
        Assert.Equal(lutShape, back.TryGetString(DicomTags.PresentationLUTShape));
    }

    [Theory]
    [InlineData(IodKind.Ultrasound)]
    [InlineData(IodKind.VlEndoscopic)]
    [InlineData(IodKind.MultiFrameGrayscaleWord)]
    public void IODs_that_ask_for_MONOCHROME2_refuse_it_with_a_reason(IodKind kind)
    {
        var format = new ImageFormat(4, 4, 1, kind == IodKind.MultiFrameGrayscaleWord ? 16 : 8, kind == IodKind.MultiFrameGrayscaleWord ? 12 : 8) { Inverted = true };
        var e = Assert.Throws<DicomValueException>(() => new IodBuilder().Build(kind, [new Frame(format, DicomBuffer.From(new byte[format.FrameLength]))],
            new DicomDataset(), new SeriesContext(DicomUidGenerator.Default).NextInstance()));
        Assert.Contains("does not allow MONOCHROME1", e.Message, StringComparison.Ordinal);
    }
}
