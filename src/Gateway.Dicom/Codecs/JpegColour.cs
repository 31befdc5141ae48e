using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// RGB ↔ YCbCr as JFIF and PS3.3 §C.7.6.3.1.2 (YBR_FULL) define it, in 16-bit fixed point:
/// Y = 0.299R + 0.587G + 0.114B, Cb = −0.168736R − 0.331264G + 0.5B + 128, Cr = 0.5R − 0.418688G − 0.081312B + 128;
/// R = Y + 1.402(Cr − 128), G = Y − 0.344136(Cb − 128) − 0.714136(Cr − 128), B = Y + 1.772(Cb − 128).
/// The line converters have a <see cref="Vector128{T}"/> path (16 pixels a step) and a scalar one that computes the
/// same integers, which also does the ends of lines; <c>vector: false</c> forces the scalar one (tests compare them).
/// </summary>
internal static class JpegColour
{
    private const int Half = 1 << 15;

    // 256 (twice 128, as the pair is summed) and just under one half of the 17-bit result, for rounding (half down).
    private const int ChromaBias = (256 << 16) + (1 << 16) - 1;

    // Q16 factors of the inverse.
    private const int CrR = 91881, CbG = -22554, CrG = -46802, CbB = 116130;

    private static readonly int[] CrToR = Table(CrR);
    private static readonly int[] CbToB = Table(CbB);
    private static readonly int[] CbToG = Table(CbG);
    private static readonly int[] CrToG = Table(CrG);

    // Q16 products (value − 128) × factor, for the inverse.
    private static int[] Table(int factor) => [.. Enumerable.Range(0, 256).Select(i => (i - 128) * factor)];

    public static void ToYCbCr(int r, int g, int b, out byte y, out byte cb, out byte cr)
    {
        y = (byte)((19595 * r + 38470 * g + 7471 * b + Half) >> 16);
        cb = (byte)Math.Clamp((-11059 * r - 21709 * g + 32768 * b + (128 << 16) + Half - 1) >> 16, 0, 255);
        cr = (byte)Math.Clamp((32768 * r - 27439 * g - 5329 * b + (128 << 16) + Half - 1) >> 16, 0, 255);
    }

    /// <summary>
    /// One line of interleaved RGB (<paramref name="width"/> pixels) to Y (<paramref name="width"/> samples) and Cb, Cr
    /// subsampled 2:1 (<paramref name="chroma"/> samples, at least (width + 1) / 2): each chroma sample is the mean of
    /// the two pixels' unrounded Cb (Cr), rounded once (halves down); past the line's end the last pixel stands for its neighbours.
    /// Fits in [0, 255] without clamping: the extremes are 255.5 − 1/2¹⁷ and 0.5.
    /// </summary>
    public static void ToYCbCr422(ReadOnlySpan<byte> rgb, Span<byte> y, Span<byte> cb, Span<byte> cr, int width, int chroma, bool vector = true)
    {
        if (width < 1 || rgb.Length < 3 * width || y.Length < width || cb.Length < chroma || cr.Length < chroma || 2 * chroma < width)
            throw new ArgumentException("the line buffers do not fit the width");
        var x = 0;
        if (vector && Vector128.IsHardwareAccelerated)
        {
            ref var src = ref MemoryMarshal.GetReference(rgb);
            ref var yRef = ref MemoryMarshal.GetReference(y);
            ref var cbRef = ref MemoryMarshal.GetReference(cb);
            ref var crRef = ref MemoryMarshal.GetReference(cr);
            for (; x + 16 <= width; x += 16)
                ToYCbCr16(ref Unsafe.Add(ref src, 3 * x), ref Unsafe.Add(ref yRef, x), ref Unsafe.Add(ref cbRef, x / 2), ref Unsafe.Add(ref crRef, x / 2));
        }
        for (var i = x; i < width; i++)
            y[i] = (byte)((19595 * rgb[3 * i] + 38470 * rgb[3 * i + 1] + 7471 * rgb[3 * i + 2] + Half) >> 16);
        for (var j = x / 2; j < chroma; j++)
        {
            int p = Math.Min(2 * j, width - 1), q = Math.Min(2 * j + 1, width - 1);
            int r = rgb[3 * p] + rgb[3 * q], g = rgb[3 * p + 1] + rgb[3 * q + 1], b = rgb[3 * p + 2] + rgb[3 * q + 2];
            cb[j] = (byte)((-11059 * r - 21709 * g + 32768 * b + ChromaBias) >> 17);
            cr[j] = (byte)((32768 * r - 27439 * g - 5329 * b + ChromaBias) >> 17);
        }
    }

    /// <summary>16 pixels (48 bytes): R, G, B picked apart with even pixels in lanes 0–7 and odd ones in 8–15, so that pairs add lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToYCbCr16(ref byte src, ref byte y, ref byte cb, ref byte cr)
    {
        var v0 = Vector128.LoadUnsafe(ref src);
        var v1 = Vector128.LoadUnsafe(ref src, 16);
        var v2 = Vector128.LoadUnsafe(ref src, 32);
        var r = Vector128.Shuffle(v0, Vector128.Create((byte)0, 6, 12, 255, 255, 255, 255, 255, 3, 9, 15, 255, 255, 255, 255, 255))
            | Vector128.Shuffle(v1, Vector128.Create((byte)255, 255, 255, 2, 8, 14, 255, 255, 255, 255, 255, 5, 11, 255, 255, 255))
            | Vector128.Shuffle(v2, Vector128.Create((byte)255, 255, 255, 255, 255, 255, 4, 10, 255, 255, 255, 255, 255, 1, 7, 13));
        var g = Vector128.Shuffle(v0, Vector128.Create((byte)1, 7, 13, 255, 255, 255, 255, 255, 4, 10, 255, 255, 255, 255, 255, 255))
            | Vector128.Shuffle(v1, Vector128.Create((byte)255, 255, 255, 3, 9, 15, 255, 255, 255, 255, 0, 6, 12, 255, 255, 255))
            | Vector128.Shuffle(v2, Vector128.Create((byte)255, 255, 255, 255, 255, 255, 5, 11, 255, 255, 255, 255, 255, 2, 8, 14));
        var b = Vector128.Shuffle(v0, Vector128.Create((byte)2, 8, 14, 255, 255, 255, 255, 255, 5, 11, 255, 255, 255, 255, 255, 255))
            | Vector128.Shuffle(v1, Vector128.Create((byte)255, 255, 255, 4, 10, 255, 255, 255, 255, 255, 1, 7, 13, 255, 255, 255))
            | Vector128.Shuffle(v2, Vector128.Create((byte)255, 255, 255, 255, 255, 0, 6, 12, 255, 255, 255, 255, 255, 3, 9, 15));
        var (re, ro) = Vector128.Widen(r);
        var (ge, go) = Vector128.Widen(g);
        var (be, bo) = Vector128.Widen(b);
        var even = Vector128.Narrow(Luma(Vector128.WidenLower(re), Vector128.WidenLower(ge), Vector128.WidenLower(be)),
            Luma(Vector128.WidenUpper(re), Vector128.WidenUpper(ge), Vector128.WidenUpper(be)));
        var odd = Vector128.Narrow(Luma(Vector128.WidenLower(ro), Vector128.WidenLower(go), Vector128.WidenLower(bo)),
            Luma(Vector128.WidenUpper(ro), Vector128.WidenUpper(go), Vector128.WidenUpper(bo)));
        var luma = Vector128.Shuffle(Vector128.Narrow(even, odd), Vector128.Create((byte)0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
        luma.StoreUnsafe(ref y);

        var rs = (re + ro).AsInt16();
        var gs = (ge + go).AsInt16();
        var bs = (be + bo).AsInt16();
        var (rl, rh) = Vector128.Widen(rs);
        var (gl, gh) = Vector128.Widen(gs);
        var (bl, bh) = Vector128.Widen(bs);
        var bias = Vector128.Create(ChromaBias);
        var cbs = Vector128.Narrow(
            Vector128.ShiftRightArithmetic(rl * -11059 + gl * -21709 + bl * 32768 + bias, 17),
            Vector128.ShiftRightArithmetic(rh * -11059 + gh * -21709 + bh * 32768 + bias, 17));
        var crs = Vector128.Narrow(
            Vector128.ShiftRightArithmetic(rl * 32768 + gl * -27439 + bl * -5329 + bias, 17),
            Vector128.ShiftRightArithmetic(rh * 32768 + gh * -27439 + bh * -5329 + bias, 17));
        var chroma = Vector128.Narrow(cbs.AsUInt16(), crs.AsUInt16()).AsUInt64();
        Unsafe.WriteUnaligned(ref cb, chroma.GetElement(0));
        Unsafe.WriteUnaligned(ref cr, chroma.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Luma(Vector128<uint> r, Vector128<uint> g, Vector128<uint> b) =>
        Vector128.ShiftRightLogical(r * 19595u + g * 38470u + b * 7471u + Vector128.Create((uint)Half), 16);

    /// <summary>One line: Y, Cb, Cr at full resolution to interleaved (or, with <paramref name="stride"/> 1, one plane's) R, G, B.</summary>
    public static void ToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> r, Span<byte> g, Span<byte> b, int width, int stride, bool vector = true)
    {
        if (stride == 3 && r.Length >= 3 * width && y.Length >= width && cb.Length >= width && cr.Length >= width)
        {
            // Colour-by-pixel: r is the whole line (g and b are r offset by 1 and 2).
            var line = r[..(3 * width)];
            var x = 0;
            if (vector && Vector128.IsHardwareAccelerated)
            {
                ref var yRef = ref MemoryMarshal.GetReference(y);
                ref var cbRef = ref MemoryMarshal.GetReference(cb);
                ref var crRef = ref MemoryMarshal.GetReference(cr);
                ref var o = ref MemoryMarshal.GetReference(line);
                if (Avx2.IsSupported)
                {
                    for (; x + 16 <= width; x += 16)
                        ToRgb16Avx2(Vector128.LoadUnsafe(ref yRef, (nuint)x), Vector128.LoadUnsafe(ref cbRef, (nuint)x), Vector128.LoadUnsafe(ref crRef, (nuint)x), ref Unsafe.Add(ref o, 3 * x));
                }
                for (; x + 16 <= width; x += 16)
                    ToRgb16(Vector128.LoadUnsafe(ref yRef, (nuint)x), Vector128.LoadUnsafe(ref cbRef, (nuint)x), Vector128.LoadUnsafe(ref crRef, (nuint)x), ref Unsafe.Add(ref o, 3 * x));
            }
            var crToR = CrToR;
            var cbToB = CbToB;
            var cbToG = CbToG;
            var crToG = CrToG;
            for (; x < width; x++)
            {
                var l = (y[x] << 16) + Half;
                int u = cb[x], v = cr[x];
                line[3 * x] = Clamp((l + crToR[v]) >> 16);
                line[3 * x + 1] = Clamp((l + cbToG[u] + crToG[v]) >> 16);
                line[3 * x + 2] = Clamp((l + cbToB[u]) >> 16);
            }
            return;
        }
        for (int x = 0, o = 0; x < width; x++, o += stride)
        {
            var l = (y[x] << 16) + Half;
            var u = cb[x];
            var v = cr[x];
            r[o] = Clamp((l + CrToR[v]) >> 16);
            g[o] = Clamp((l + CbToG[u] + CrToG[v]) >> 16);
            b[o] = Clamp((l + CbToB[u]) >> 16);
        }
    }

    /// <summary>
    /// <see cref="ToRgb16"/> with the arithmetic in eight 32-bit lanes (AVX2): the same products, the same bytes. The
    /// saturating packs clamp as the Vector128 path's min and max do (every value fits 16 bits before that); they work
    /// within 128-bit halves, so a permute puts the pixels back in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToRgb16Avx2(Vector128<byte> y, Vector128<byte> cb, Vector128<byte> cr, ref byte output)
    {
        var offset = Vector256.Create(128);
        var y0 = Avx2.ConvertToVector256Int32(y);
        var y1 = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(y, 8));
        var u0 = Avx2.ConvertToVector256Int32(cb) - offset;
        var u1 = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(cb, 8)) - offset;
        var v0 = Avx2.ConvertToVector256Int32(cr) - offset;
        var v1 = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(cr, 8)) - offset;
        var rounding = Vector256.Create(Half);
        var l0 = (y0 << 16) + rounding;
        var l1 = (y1 << 16) + rounding;
        var rs = Avx2.PackSignedSaturate(Vector256.ShiftRightArithmetic(l0 + v0 * CrR, 16), Vector256.ShiftRightArithmetic(l1 + v1 * CrR, 16));
        var gs = Avx2.PackSignedSaturate(Vector256.ShiftRightArithmetic(l0 + u0 * CbG + v0 * CrG, 16), Vector256.ShiftRightArithmetic(l1 + u1 * CbG + v1 * CrG, 16));
        var bs = Avx2.PackSignedSaturate(Vector256.ShiftRightArithmetic(l0 + u0 * CbB, 16), Vector256.ShiftRightArithmetic(l1 + u1 * CbB, 16));
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var rg = Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(rs, gs).AsInt32(), order).AsByte();
        var bb = Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(bs, bs).AsInt32(), order).AsByte();
        Interleave(rg.GetLower(), rg.GetUpper(), bb.GetLower(), ref output);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToRgb16(Vector128<byte> y, Vector128<byte> cb, Vector128<byte> cr, ref byte output)
    {
        var (yl, yh) = Vector128.Widen(y);
        var offset = Vector128.Create((short)128);
        var (u0, u1) = Vector128.Widen(Vector128.WidenLower(cb).AsInt16() - offset);
        var (u2, u3) = Vector128.Widen(Vector128.WidenUpper(cb).AsInt16() - offset);
        var (v0, v1) = Vector128.Widen(Vector128.WidenLower(cr).AsInt16() - offset);
        var (v2, v3) = Vector128.Widen(Vector128.WidenUpper(cr).AsInt16() - offset);
        var (y0, y1) = Vector128.Widen(yl.AsInt16());
        var (y2, y3) = Vector128.Widen(yh.AsInt16());
        var low = Vector128<short>.Zero;
        var high = Vector128.Create((short)255);
        var rv = Vector128.Narrow(
            Vector128.Min(Vector128.Max(Vector128.Narrow(Red(y0, v0), Red(y1, v1)), low), high),
            Vector128.Min(Vector128.Max(Vector128.Narrow(Red(y2, v2), Red(y3, v3)), low), high)).AsByte();
        var gv = Vector128.Narrow(
            Vector128.Min(Vector128.Max(Vector128.Narrow(Green(y0, u0, v0), Green(y1, u1, v1)), low), high),
            Vector128.Min(Vector128.Max(Vector128.Narrow(Green(y2, u2, v2), Green(y3, u3, v3)), low), high)).AsByte();
        var bv = Vector128.Narrow(
            Vector128.Min(Vector128.Max(Vector128.Narrow(Blue(y0, u0), Blue(y1, u1)), low), high),
            Vector128.Min(Vector128.Max(Vector128.Narrow(Blue(y2, u2), Blue(y3, u3)), low), high)).AsByte();
        Interleave(rv, gv, bv, ref output);
    }

    /// <summary>Sixteen R, G and B bytes to 48 bytes of RGB RGB …</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector128<byte> rv, Vector128<byte> gv, Vector128<byte> bv, ref byte output)
    {
        var o0 = Vector128.Shuffle(rv, Vector128.Create((byte)0, 255, 255, 1, 255, 255, 2, 255, 255, 3, 255, 255, 4, 255, 255, 5))
            | Vector128.Shuffle(gv, Vector128.Create((byte)255, 0, 255, 255, 1, 255, 255, 2, 255, 255, 3, 255, 255, 4, 255, 255))
            | Vector128.Shuffle(bv, Vector128.Create((byte)255, 255, 0, 255, 255, 1, 255, 255, 2, 255, 255, 3, 255, 255, 4, 255));
        var o1 = Vector128.Shuffle(rv, Vector128.Create((byte)255, 255, 6, 255, 255, 7, 255, 255, 8, 255, 255, 9, 255, 255, 10, 255))
            | Vector128.Shuffle(gv, Vector128.Create((byte)5, 255, 255, 6, 255, 255, 7, 255, 255, 8, 255, 255, 9, 255, 255, 10))
            | Vector128.Shuffle(bv, Vector128.Create((byte)255, 5, 255, 255, 6, 255, 255, 7, 255, 255, 8, 255, 255, 9, 255, 255));
        var o2 = Vector128.Shuffle(rv, Vector128.Create((byte)255, 11, 255, 255, 12, 255, 255, 13, 255, 255, 14, 255, 255, 15, 255, 255))
            | Vector128.Shuffle(gv, Vector128.Create((byte)255, 255, 11, 255, 255, 12, 255, 255, 13, 255, 255, 14, 255, 255, 15, 255))
            | Vector128.Shuffle(bv, Vector128.Create((byte)10, 255, 255, 11, 255, 255, 12, 255, 255, 13, 255, 255, 14, 255, 255, 15));
        o0.StoreUnsafe(ref output);
        o1.StoreUnsafe(ref output, 16);
        o2.StoreUnsafe(ref output, 32);
    }

    private static readonly Vector128<int> Rounding = Vector128.Create(Half);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Red(Vector128<int> y, Vector128<int> v) =>
        Vector128.ShiftRightArithmetic((y << 16) + Rounding + v * CrR, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Green(Vector128<int> y, Vector128<int> u, Vector128<int> v) =>
        Vector128.ShiftRightArithmetic((y << 16) + Rounding + u * CbG + v * CrG, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Blue(Vector128<int> y, Vector128<int> u) =>
        Vector128.ShiftRightArithmetic((y << 16) + Rounding + u * CbB, 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp(int v) => (uint)v <= 255 ? (byte)v : v < 0 ? (byte)0 : (byte)255;
}
