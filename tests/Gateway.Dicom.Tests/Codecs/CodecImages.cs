using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>
/// The test images of issue #19: tiny, odd widths, 8/12/16 bits, RGB, multi-frame and a 3000×3000 DX frame. Their
/// content is a smooth gradient with seeded noise (what detectors produce), plus flat runs so run modes are exercised.
/// </summary>
public static class CodecImages
{
    public sealed record Spec(string Name, IodKind Kind, int Columns, int Rows, int Samples, int BitsAllocated, int BitsStored, int Frames = 1, int Noise = 4)
    {
        public override string ToString() => Name;
    }

    public static readonly Spec OnePixel = new("1x1", IodKind.SecondaryCapture, 1, 1, 1, 8, 8);
    public static readonly Spec OddGrey8 = new("odd-17x13-grey8", IodKind.SecondaryCapture, 17, 13, 1, 8, 8);
    public static readonly Spec Grey12 = new("101x77-12bit", IodKind.SecondaryCapture, 101, 77, 1, 16, 12);
    public static readonly Spec Grey16Noise = new("64x48-16bit-noise", IodKind.SecondaryCapture, 64, 48, 1, 16, 16, Noise: 60000);
    public static readonly Spec Rgb = new("rgb-33x21", IodKind.SecondaryCapture, 33, 21, 3, 8, 8);
    public static readonly Spec RgbHd = new("rgb-640x480", IodKind.SecondaryCapture, 640, 480, 3, 8, 8, Noise: 6);
    public static readonly Spec MultiFrame = new("50-frame-16bit", IodKind.MultiFrameGrayscaleWord, 63, 41, 1, 16, 12, Frames: 50);
    public static readonly Spec MultiFrameColour = new("5-frame-rgb", IodKind.MultiFrameTrueColor, 31, 17, 3, 8, 8, Frames: 5);
    public static readonly Spec Dx3000 = new("3000x3000-16bit", IodKind.DxForPresentation, 3000, 3000, 1, 16, 16, Noise: 40);

    public static IEnumerable<Spec> Small => [OnePixel, OddGrey8, Grey12, Grey16Noise, Rgb, MultiFrame, MultiFrameColour];

    public static byte[] Pixels(Spec s, int seed = 19)
    {
        var format = new ImageFormat(s.Columns, s.Rows, s.Samples, s.BitsAllocated, s.BitsStored);
        var frame = format.FrameLength;
        var bytes = new byte[frame * s.Frames];
        var random = new Random(seed);
        var max = (1 << s.BitsStored) - 1;
        var i = 0;
        for (var f = 0; f < s.Frames; f++)
        {
            for (var y = 0; y < s.Rows; y++)
            {
                for (var x = 0; x < s.Columns; x++)
                {
                    for (var c = 0; c < s.Samples; c++)
                    {
                        // A quarter of each image is flat: JPEG-LS run mode and RLE replicate runs.
                        var flat = x < s.Columns / 4;
                        var v = flat ? max / 3 : (int)((long)max * (x + y + f * 7 + c * 40) / Math.Max(1, s.Columns + s.Rows + 40 * 3 + s.Frames * 7));
                        if (!flat)
                            v += random.Next(-s.Noise, s.Noise + 1);
                        v = Math.Clamp(v, 0, max);
                        if (s.BitsAllocated == 8)
                        {
                            bytes[i++] = (byte)v;
                        }
                        else
                        {
                            bytes[i++] = (byte)v;
                            bytes[i++] = (byte)(v >> 8);
                        }
                    }
                }
            }
        }
        return bytes;
    }

    public static DicomFile File(Spec s, byte[]? pixels = null)
    {
        pixels ??= Pixels(s);
        var format = new ImageFormat(s.Columns, s.Rows, s.Samples, s.BitsAllocated, s.BitsStored);
        var frames = Enumerable.Range(0, s.Frames)
            .Select(f => new Frame(format, DicomBuffer.From(pixels.AsMemory((int)(f * format.FrameLength), (int)format.FrameLength))))
            .ToList();
        var meta = new DicomDataset();
        if (s.Kind is IodKind.DxForPresentation)
        {
            meta.Set(DicomTags.ImagerPixelSpacing, "0.1", "0.1");
            meta.Set(DicomTags.PatientOrientation, "L", "F");
        }
        var ds = new IodBuilder().Build(s.Kind, frames, meta, new SeriesContext(DicomUidGenerator.Default).NextInstance());
        return new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
    }

    /// <summary>The native pixel bytes of a file (decoded first if compressed).</summary>
    public static byte[] NativePixels(DicomFile file)
    {
        var native = file.Transcode(DicomTransferSyntax.ExplicitVRLittleEndian);
        return native.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
    }
}
