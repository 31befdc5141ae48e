using System.Globalization;

namespace Gateway.Dicom.Imaging;

/// <summary>
/// A small PNG of an object's first frame as a viewer would show it: Modality LUT (rescale slope/intercept), then the
/// object's VOI window (Window Center/Width, PS3.3 C.11.2.1.2, linear) or the frame's own range when it has none,
/// MONOCHROME1 inverted, RGB as is, YBR_FULL turned into RGB; compressed objects decoded first (the first frame only,
/// by <see cref="Codecs.PixelDataTranscoder.ReadFrame"/>); nearest-neighbour scaling to at most <paramref name="maxSize"/> pixels a side.
/// </summary>
public static class Thumbnail
{
    public static byte[] Render(string path, int maxSize = 256)
    {
        var file = DicomFile.Open(path);
        var ds = file.Dataset;
        var rows = ds.GetInt(DicomTags.Rows);
        var columns = ds.GetInt(DicomTags.Columns);
        var samples = ds.TryGetString(DicomTags.SamplesPerPixel) is { } sp ? int.Parse(sp, CultureInfo.InvariantCulture) : 1;
        var bitsAllocated = ds.GetInt(DicomTags.BitsAllocated);
        var signed = ds.TryGetString(DicomTags.PixelRepresentation) == "1";
        var photometric = ds.TryGetString(DicomTags.PhotometricInterpretation)?.Trim() ?? "MONOCHROME2";
        if (bitsAllocated is not (8 or 16) || samples is not (1 or 3))
            throw new ImageFormatException($"{path}: no 8/16-bit grey or colour frame to show");
        byte[] first;
        try
        {
            // The first frame only, decompressed when the object is (RLE, JPEG-LS, JPEG lossless, … PixelDataTranscoder's codecs).
            first = Codecs.PixelDataTranscoder.ReadFrame(ds, file.TransferSyntax, 0);
        }
        catch (Exception e) when (e is NotSupportedException or DicomFormatException or Codecs.CodecDataException)
        {
            throw new ImageFormatException($"{path}: {e.Message}");
        }
        if (samples == 3)
            first = Rgb(first, rows * columns, bitsAllocated / 8, ds.TryGetString(DicomTags.PlanarConfiguration) == "1", photometric);
        var memory = new ReadOnlyMemory<byte>(first);
        var pixels = memory.Span;
        var bytesPerSample = bitsAllocated / 8;
        var scale = Math.Max(1, (int)Math.Ceiling(Math.Max(rows, columns) / (double)maxSize));
        int w = (columns + scale - 1) / scale, h = (rows + scale - 1) / scale;
        var output = new byte[w * h * samples];
        if (samples == 3)
        {
            for (var y = 0; y < h; y++)
                for (var x = 0; x < w; x++)
                    for (var s = 0; s < 3; s++)
                        output[(((y * w) + x) * 3) + s] = pixels[(((y * scale * columns) + (x * scale)) * 3) + s];
            return PngWriter.Write(w, h, 3, output);
        }

        double Raw(int index)
        {
            var p = memory.Span;
            return bytesPerSample == 1 ? p[index]
                : signed ? (short)(p[2 * index] | (p[(2 * index) + 1] << 8)) : p[2 * index] | (p[(2 * index) + 1] << 8);
        }
        var slope = ds.TryGetString(DicomTags.RescaleSlope) is { } rs ? double.Parse(rs, CultureInfo.InvariantCulture) : 1;
        var intercept = ds.TryGetString(DicomTags.RescaleIntercept) is { } ri ? double.Parse(ri, CultureInfo.InvariantCulture) : 0;
        double center, width;
        if (ds.TryGetString(DicomTags.WindowCenter) is { } wc && ds.TryGetString(DicomTags.WindowWidth) is { } ww)
        {
            center = double.Parse(wc.Split('\\')[0], CultureInfo.InvariantCulture);
            width = double.Parse(ww.Split('\\')[0], CultureInfo.InvariantCulture);
        }
        else
        {
            double min = double.MaxValue, max = double.MinValue;
            for (var i = 0; i < rows * columns; i++)
            {
                var v = (Raw(i) * slope) + intercept;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            center = (min + max) / 2;
            width = Math.Max(1, max - min + 1);
        }
        var invert = photometric == "MONOCHROME1";
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var v = (Raw((y * scale * columns) + (x * scale)) * slope) + intercept;
                // PS3.3 C.11.2.1.2.1: linear window function.
                var level = v <= center - 0.5 - ((width - 1) / 2) ? 0
                    : v > center - 0.5 + ((width - 1) / 2) ? 255
                    : (((v - (center - 0.5)) / (width - 1)) + 0.5) * 255;
                var b = (byte)Math.Clamp(Math.Round(level), 0, 255);
                output[(y * w) + x] = invert ? (byte)(255 - b) : b;
            }
        }
        return PngWriter.Write(w, h, 1, output);
    }

    /// <summary>
    /// A colour frame as 8-bit interleaved RGB: planes interleaved (Planar Configuration 1), 16-bit samples to their
    /// high byte, and YBR_FULL turned into RGB with PS3.3 C.7.6.3.1.2's equations (the others are shown as stored).
    /// </summary>
    private static byte[] Rgb(byte[] frame, int pixels, int bytesPerSample, bool planar, string photometric)
    {
        var rgb = new byte[pixels * 3];
        for (var i = 0; i < pixels; i++)
        {
            for (var s = 0; s < 3; s++)
            {
                var sample = planar ? (s * pixels) + i : (i * 3) + s;
                rgb[(i * 3) + s] = bytesPerSample == 1 ? frame[sample] : frame[(2 * sample) + 1];
            }
        }
        if (photometric == "YBR_FULL")
        {
            for (var i = 0; i < rgb.Length; i += 3)
            {
                double y = rgb[i], cb = rgb[i + 1] - 128.0, cr = rgb[i + 2] - 128.0;
                rgb[i] = (byte)Math.Clamp(Math.Round(y + (1.402 * cr)), 0, 255);
                rgb[i + 1] = (byte)Math.Clamp(Math.Round(y - (0.344136 * cb) - (0.714136 * cr)), 0, 255);
                rgb[i + 2] = (byte)Math.Clamp(Math.Round(y + (1.772 * cb)), 0, 255);
            }
        }
        return rgb;
    }
}
