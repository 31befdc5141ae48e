using System.Buffers.Binary;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Moves one line of one component between a native frame (little endian, 1 or 2 bytes a sample, Planar
/// Configuration 0 = R1G1B1R2…, 1 = R plane, G plane, B plane) and an int line with a one-sample margin.
/// </summary>
internal static class SampleLayout
{
    /// <summary>Where line <paramref name="y"/> of a component starts in the frame, and the step between its samples (both in samples).</summary>
    internal static (int First, int Stride) Where(PixelDescription d, int component, int y)
    {
        if (d.SamplesPerPixel == 1)
            return (y * d.Columns, 1);
        if (d.PlanarConfiguration == 1)
            return (component * d.Pixels + y * d.Columns, 1);
        return ((y * d.Columns) * d.SamplesPerPixel + component, d.SamplesPerPixel);
    }

    public static void Load(ReadOnlySpan<byte> frame, PixelDescription d, int component, int y, int[] line, int mask)
    {
        var (first, stride) = Where(d, component, y);
        var w = d.Columns;
        if (d.BytesPerSample == 1)
        {
            var src = frame.Slice(first, (w - 1) * stride + 1);
            for (int x = 0, i = 0; x < w; x++, i += stride)
                line[x + 1] = src[i] & mask;
        }
        else
        {
            var src = frame.Slice(2 * first, 2 * ((w - 1) * stride + 1));
            for (int x = 0, i = 0; x < w; x++, i += 2 * stride)
                line[x + 1] = BinaryPrimitives.ReadUInt16LittleEndian(src[i..]) & mask;
        }
    }

    /// <summary>Writes the line; with signed pixel data, samples of fewer bits than allocated are sign-extended.</summary>
    public static void Store(Span<byte> frame, PixelDescription d, int component, int y, int[] line, int precision)
    {
        var (first, stride) = Where(d, component, y);
        var w = d.Columns;
        var extend = d.IsSigned && precision < d.BitsAllocated;
        var signBit = 1 << (precision - 1);
        var full = 1 << precision;
        if (d.BytesPerSample == 1)
        {
            var dst = frame.Slice(first, (w - 1) * stride + 1);
            for (int x = 0, i = 0; x < w; x++, i += stride)
            {
                var v = line[x + 1];
                dst[i] = (byte)(extend && (v & signBit) != 0 ? v - full : v);
            }
        }
        else
        {
            var dst = frame.Slice(2 * first, 2 * ((w - 1) * stride + 1));
            for (int x = 0, i = 0; x < w; x++, i += 2 * stride)
            {
                var v = line[x + 1];
                BinaryPrimitives.WriteUInt16LittleEndian(dst[i..], (ushort)(extend && (v & signBit) != 0 ? v - full : v));
            }
        }
    }
}
