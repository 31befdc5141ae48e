using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Decodes a JPEG lossless scan with selection value 1 (T.81 §H.1.2.1: every sample from its left neighbour, the
/// first column from the sample above, the first sample of all from 2^(P−Pt−1)) straight into the native frame. The
/// look-ahead and its bit count stay in locals (registers) and every difference comes from one look-up of code and
/// extra bits (<see cref="JpegLosslessTable"/>); the look-ahead is topped up when fewer than 32 bits are left, enough
/// for one code (≤ 16 bits) and its extra bits (≤ 15).
/// <para>
/// Samples are reconstructed modulo 2^(P−Pt): the difference arithmetic is modulo 2^16 (H.1.2.1) and the output keeps
/// the low P−Pt bits, and 2^(P−Pt) divides 2^16, so taking the low bits at every step gives the same samples.
/// </para>
/// </summary>
internal static class JpegLosslessLeftScan
{
    /// <summary>
    /// <paramref name="components"/>: the frame component of each scan component; returns the offset of the marker
    /// after the scan.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> data, int at, PixelDescription d, Span<byte> frame,
        ReadOnlySpan<int> components, JpegLosslessTable[] tables, int precision, int pt)
    {
        if (frame.Length < d.FrameBytes)
            throw new ArgumentException($"the frame buffer holds {frame.Length} bytes, not {d.FrameBytes}", nameof(frame));
        var output = new Output(
            (1 << (precision - pt)) - 1,
            1 << (precision - pt - 1),
            pt,
            d.IsSigned && precision < d.BitsAllocated ? 1 << (precision - 1) : 0);
        var reader = new JpegBitReader(data, at);
        var ns = components.Length;
        var inOrder = ns == d.SamplesPerPixel && (ns == 1 || d.PlanarConfiguration == 0);
        for (var i = 0; i < ns; i++)
            inOrder &= components[i] == i && ReferenceEquals(tables[i], tables[0]);
        ref var dst = ref MemoryMarshal.GetReference(frame);
        var bytes = d.BytesPerSample;
        if (inOrder && ns == 1)
        {
            if (bytes == 1)
                Grey<OneByte>(ref reader, tables[0], ref dst, d.Rows, d.Columns, output);
            else
                Grey<TwoBytes>(ref reader, tables[0], ref dst, d.Rows, d.Columns, output);
        }
        else if (inOrder && ns == 3)
        {
            if (bytes == 1)
                Colour<OneByte>(ref reader, tables[0], ref dst, d.Rows, d.Columns, output);
            else
                Colour<TwoBytes>(ref reader, tables[0], ref dst, d.Rows, d.Columns, output);
        }
        else if (bytes == 1)
        {
            AnyLayout<OneByte>(ref reader, tables, ref dst, d, components, output);
        }
        else
        {
            AnyLayout<TwoBytes>(ref reader, tables, ref dst, d, components, output);
        }
        return JpegMarkers.FindMarker(data, reader.Position);
    }

    /// <summary>The reconstruction's mask and initial prediction, and how a sample is written (point transform, sign).</summary>
    private readonly record struct Output(int Mask, int Initial, int Pt, int SignBit)
    {
        /// <summary>Shifted back by Pt; a signed sample of fewer bits than allocated is sign-extended ((v ^ s) − s).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Native(int sample) => ((sample << Pt) ^ SignBit) - SignBit;
    }

    private interface ISample
    {
        static abstract void Write(ref byte frame, nint index, int value);
    }

    private readonly struct OneByte : ISample
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Write(ref byte frame, nint index, int value) => Unsafe.Add(ref frame, index) = (byte)value;
    }

    private readonly struct TwoBytes : ISample
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Write(ref byte frame, nint index, int value)
        {
            var v = (ushort)value;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref frame, 2 * index), BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v));
        }
    }

    /// <summary>The next difference: one look-up for most, <see cref="JpegLosslessTable.Slow"/> for the rest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Next(ref ulong bits, ref int count, ref JpegBitReader reader, JpegLosslessTable table)
    {
        if (count < 32)
            reader.Refill(ref bits, ref count);
        var e = table.Entry(bits);
        if (e == 0)
            e = table.Slow(bits, reader.Position);
        var used = (int)(e & 31);
        bits <<= used;
        count -= used;
        return (int)(e >> 16);
    }

    /// <summary>One component, the frame's only one: samples in decoding order.</summary>
    private static void Grey<T>(ref JpegBitReader reader, JpegLosslessTable table, ref byte dst, int rows, int w, Output o)
        where T : struct, ISample
    {
        var (bits, count) = (reader.Bits, reader.Count);
        var mask = o.Mask;
        var above = o.Initial;
        nint at = 0;
        for (var y = 0; y < rows; y++)
        {
            var p = (above + Next(ref bits, ref count, ref reader, table)) & mask;
            above = p;
            T.Write(ref dst, at++, o.Native(p));
            for (var x = 1; x < w; x++)
            {
                p = (p + Next(ref bits, ref count, ref reader, table)) & mask;
                T.Write(ref dst, at++, o.Native(p));
            }
        }
        (reader.Bits, reader.Count) = (bits, count);
    }

    /// <summary>Three components interleaved sample by sample into a colour-by-pixel frame, one table: decoding order.</summary>
    private static void Colour<T>(ref JpegBitReader reader, JpegLosslessTable table, ref byte dst, int rows, int w, Output o)
        where T : struct, ISample
    {
        var (bits, count) = (reader.Bits, reader.Count);
        var mask = o.Mask;
        int above0 = o.Initial, above1 = o.Initial, above2 = o.Initial;
        nint at = 0;
        for (var y = 0; y < rows; y++)
        {
            var p0 = (above0 + Next(ref bits, ref count, ref reader, table)) & mask;
            T.Write(ref dst, at, o.Native(p0));
            var p1 = (above1 + Next(ref bits, ref count, ref reader, table)) & mask;
            T.Write(ref dst, at + 1, o.Native(p1));
            var p2 = (above2 + Next(ref bits, ref count, ref reader, table)) & mask;
            T.Write(ref dst, at + 2, o.Native(p2));
            (above0, above1, above2) = (p0, p1, p2);
            at += 3;
            for (var x = 1; x < w; x++)
            {
                p0 = (p0 + Next(ref bits, ref count, ref reader, table)) & mask;
                T.Write(ref dst, at, o.Native(p0));
                p1 = (p1 + Next(ref bits, ref count, ref reader, table)) & mask;
                T.Write(ref dst, at + 1, o.Native(p1));
                p2 = (p2 + Next(ref bits, ref count, ref reader, table)) & mask;
                T.Write(ref dst, at + 2, o.Native(p2));
                at += 3;
            }
        }
        (reader.Bits, reader.Count) = (bits, count);
    }

    /// <summary>
    /// Any other scan: some of the frame's components, in any order, with tables of their own, into either planar
    /// configuration. Each sample goes to its place in the frame (<see cref="SampleLayout.Where"/>).
    /// </summary>
    private static void AnyLayout<T>(ref JpegBitReader reader, JpegLosslessTable[] tables, ref byte dst, PixelDescription d,
        ReadOnlySpan<int> components, Output o)
        where T : struct, ISample
    {
        var ns = components.Length;
        Span<int> above = stackalloc int[ns];
        Span<int> left = stackalloc int[ns];
        Span<nint> at = stackalloc nint[ns];
        Span<nint> stride = stackalloc nint[ns];
        above.Fill(o.Initial);
        var (bits, count) = (reader.Bits, reader.Count);
        var mask = o.Mask;
        for (var y = 0; y < d.Rows; y++)
        {
            for (var i = 0; i < ns; i++)
            {
                var (first, step) = SampleLayout.Where(d, components[i], y);
                var p = (above[i] + Next(ref bits, ref count, ref reader, tables[i])) & mask;
                above[i] = left[i] = p;
                T.Write(ref dst, first, o.Native(p));
                at[i] = first + step;
                stride[i] = step;
            }
            for (var x = 1; x < d.Columns; x++)
            {
                for (var i = 0; i < ns; i++)
                {
                    var p = (left[i] + Next(ref bits, ref count, ref reader, tables[i])) & mask;
                    left[i] = p;
                    T.Write(ref dst, at[i], o.Native(p));
                    at[i] += stride[i];
                }
            }
        }
        (reader.Bits, reader.Count) = (bits, count);
    }
}
