using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// The 8×8 forward and inverse DCT of T.81 §A.3.3 by the factorisation of Arai, Agui and Nakajima (1988): 5
/// multiplications and 29 additions per 8 points, the remaining cosine factors folded into the (de)quantization
/// tables (<see cref="Scale"/>). A block is 16 <see cref="Vector128{T}"/> of float (row r = elements 2r, 2r+1), so
/// one 1-D pass transforms four columns at once on x64 (SSE) and arm64 (AdvSIMD) alike; with AVX the same memory is
/// eight rows of <see cref="Vector256{T}"/> and one pass does all eight columns (<c>Path</c>). Single-precision floats
/// instead of fixed point: as fast on both targets, and hostile coefficients cannot overflow an intermediate.
///
/// Each 2-D transform is column pass, transpose, column pass, so its result is transposed: the forward DCT leaves
/// coefficient (v, u) at [u·8 + v], and the inverse DCT expects its input there. The codecs index accordingly.
/// </summary>
internal static class JpegDct
{
    private const float C4 = 0.707106781f;       // cos(4π/16)
    private const float R2 = 1.414213562f;       // √2
    private const float C6S = 0.382683433f;      // cos(6π/16)
    private const float A2 = 0.541196100f;       // cos(2π/16) − cos(6π/16)
    private const float A4 = 1.306562965f;       // cos(2π/16) + cos(6π/16)
    private const float B5 = 1.847759065f;       // 2·cos(2π/16)
    private const float B2 = 1.082392200f;       // 2·(cos(2π/16) − cos(6π/16))
    private const float B4 = 2.613125930f;       // 2·(cos(2π/16) + cos(6π/16))

    /// <summary>Scale[k] = 1 for k = 0, else √2·cos(kπ/16): the AAN output of frequency k is Scale[k] times the DCT's.</summary>
    public static readonly float[] Scale = [.. Enumerable.Range(0, 8).Select(k => k == 0 ? 1f : (float)(Math.Sqrt(2) * Math.Cos(k * Math.PI / 16)))];

    /// <summary>Forward DCT of 64 level-shifted samples (row-major) in place; the result is transposed and 8·Scale[u]·Scale[v] too large.</summary>
    public static void Forward(Span<Vector128<float>> block) => Forward(block, Fastest);

    /// <summary>Inverse DCT in place of coefficients already multiplied by Scale[u]·Scale[v] (transposed); the result is 8× the samples, row-major.</summary>
    public static void Inverse(Span<Vector128<float>> block) => Inverse(block, Fastest);

    /// <summary>
    /// How a transform runs: eight rows of <see cref="Vector256{T}"/> (x64 with AVX), sixteen halves of
    /// <see cref="Vector128{T}"/> with a vector transpose (SSE, AdvSimd), or the same with a scalar transpose. The
    /// arithmetic is the same operations in the same order in each, so all three give the same bits.
    /// </summary>
    internal enum Path { Vector256, Vector128, ScalarTranspose }

    internal static readonly Path Fastest =
        Avx.IsSupported ? Path.Vector256 : Sse.IsSupported || AdvSimd.Arm64.IsSupported ? Path.Vector128 : Path.ScalarTranspose;

    internal static void Forward(Span<Vector128<float>> block, Path path)
    {
        if (block.Length < 16)
            throw new ArgumentException("a block is 16 vectors", nameof(block));
        ref var b = ref MemoryMarshal.GetReference(block);
        if (path == Path.Vector256 && Avx.IsSupported)
        {
            ref var w = ref Unsafe.As<Vector128<float>, Vector256<float>>(ref b);
            ForwardColumns(ref w);
            Transpose256(ref w);
            ForwardColumns(ref w);
            return;
        }
        ForwardColumns(ref b);
        ForwardColumns(ref Unsafe.Add(ref b, 1));
        Transpose(ref b, path);
        ForwardColumns(ref b);
        ForwardColumns(ref Unsafe.Add(ref b, 1));
    }

    internal static void Inverse(Span<Vector128<float>> block, Path path)
    {
        if (block.Length < 16)
            throw new ArgumentException("a block is 16 vectors", nameof(block));
        ref var b = ref MemoryMarshal.GetReference(block);
        if (path == Path.Vector256 && Avx.IsSupported)
        {
            ref var w = ref Unsafe.As<Vector128<float>, Vector256<float>>(ref b);
            InverseColumns(ref w);
            Transpose256(ref w);
            InverseColumns(ref w);
            return;
        }
        InverseColumns(ref b);
        InverseColumns(ref Unsafe.Add(ref b, 1));
        Transpose(ref b, path);
        InverseColumns(ref b);
        InverseColumns(ref Unsafe.Add(ref b, 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardColumns(ref Vector128<float> b)
    {
        var t0 = b + Unsafe.Add(ref b, 14);
        var t7 = b - Unsafe.Add(ref b, 14);
        var t1 = Unsafe.Add(ref b, 2) + Unsafe.Add(ref b, 12);
        var t6 = Unsafe.Add(ref b, 2) - Unsafe.Add(ref b, 12);
        var t2 = Unsafe.Add(ref b, 4) + Unsafe.Add(ref b, 10);
        var t5 = Unsafe.Add(ref b, 4) - Unsafe.Add(ref b, 10);
        var t3 = Unsafe.Add(ref b, 6) + Unsafe.Add(ref b, 8);
        var t4 = Unsafe.Add(ref b, 6) - Unsafe.Add(ref b, 8);

        // Even part.
        var e0 = t0 + t3;
        var e3 = t0 - t3;
        var e1 = t1 + t2;
        var e2 = t1 - t2;
        b = e0 + e1;
        Unsafe.Add(ref b, 8) = e0 - e1;
        var z1 = (e2 + e3) * C4;
        Unsafe.Add(ref b, 4) = e3 + z1;
        Unsafe.Add(ref b, 12) = e3 - z1;

        // Odd part.
        var o0 = t4 + t5;
        var o1 = t5 + t6;
        var o2 = t6 + t7;
        var z5 = (o0 - o2) * C6S;
        var z2 = o0 * A2 + z5;
        var z4 = o2 * A4 + z5;
        var z3 = o1 * C4;
        var z11 = t7 + z3;
        var z13 = t7 - z3;
        Unsafe.Add(ref b, 10) = z13 + z2;
        Unsafe.Add(ref b, 6) = z13 - z2;
        Unsafe.Add(ref b, 2) = z11 + z4;
        Unsafe.Add(ref b, 14) = z11 - z4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InverseColumns(ref Vector128<float> b)
    {
        // Even part: frequencies 0, 2, 4, 6.
        var x0 = b;
        var x2 = Unsafe.Add(ref b, 4);
        var x4 = Unsafe.Add(ref b, 8);
        var x6 = Unsafe.Add(ref b, 12);
        var s10 = x0 + x4;
        var s11 = x0 - x4;
        var s13 = x2 + x6;
        var s12 = (x2 - x6) * R2 - s13;
        var p0 = s10 + s13;
        var p3 = s10 - s13;
        var p1 = s11 + s12;
        var p2 = s11 - s12;

        // Odd part: frequencies 1, 3, 5, 7.
        var x1 = Unsafe.Add(ref b, 2);
        var x3 = Unsafe.Add(ref b, 6);
        var x5 = Unsafe.Add(ref b, 10);
        var x7 = Unsafe.Add(ref b, 14);
        var z13 = x5 + x3;
        var z10 = x5 - x3;
        var z11 = x1 + x7;
        var z12 = x1 - x7;
        var q7 = z11 + z13;
        var q11 = (z11 - z13) * R2;
        var z5 = (z10 + z12) * B5;
        var q10 = z5 - z12 * B2;
        var q12 = z5 - z10 * B4;
        var q6 = q12 - q7;
        var q5 = q11 - q6;
        var q4 = q10 - q5;

        b = p0 + q7;
        Unsafe.Add(ref b, 14) = p0 - q7;
        Unsafe.Add(ref b, 2) = p1 + q6;
        Unsafe.Add(ref b, 12) = p1 - q6;
        Unsafe.Add(ref b, 4) = p2 + q5;
        Unsafe.Add(ref b, 10) = p2 - q5;
        Unsafe.Add(ref b, 6) = p3 + q4;
        Unsafe.Add(ref b, 8) = p3 - q4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardColumns(ref Vector256<float> b)
    {
        var t0 = b + Unsafe.Add(ref b, 7);
        var t7 = b - Unsafe.Add(ref b, 7);
        var t1 = Unsafe.Add(ref b, 1) + Unsafe.Add(ref b, 6);
        var t6 = Unsafe.Add(ref b, 1) - Unsafe.Add(ref b, 6);
        var t2 = Unsafe.Add(ref b, 2) + Unsafe.Add(ref b, 5);
        var t5 = Unsafe.Add(ref b, 2) - Unsafe.Add(ref b, 5);
        var t3 = Unsafe.Add(ref b, 3) + Unsafe.Add(ref b, 4);
        var t4 = Unsafe.Add(ref b, 3) - Unsafe.Add(ref b, 4);

        // Even part.
        var e0 = t0 + t3;
        var e3 = t0 - t3;
        var e1 = t1 + t2;
        var e2 = t1 - t2;
        b = e0 + e1;
        Unsafe.Add(ref b, 4) = e0 - e1;
        var z1 = (e2 + e3) * C4;
        Unsafe.Add(ref b, 2) = e3 + z1;
        Unsafe.Add(ref b, 6) = e3 - z1;

        // Odd part.
        var o0 = t4 + t5;
        var o1 = t5 + t6;
        var o2 = t6 + t7;
        var z5 = (o0 - o2) * C6S;
        var z2 = o0 * A2 + z5;
        var z4 = o2 * A4 + z5;
        var z3 = o1 * C4;
        var z11 = t7 + z3;
        var z13 = t7 - z3;
        Unsafe.Add(ref b, 5) = z13 + z2;
        Unsafe.Add(ref b, 3) = z13 - z2;
        Unsafe.Add(ref b, 1) = z11 + z4;
        Unsafe.Add(ref b, 7) = z11 - z4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InverseColumns(ref Vector256<float> b)
    {
        // Even part: frequencies 0, 2, 4, 6.
        var x0 = b;
        var x2 = Unsafe.Add(ref b, 2);
        var x4 = Unsafe.Add(ref b, 4);
        var x6 = Unsafe.Add(ref b, 6);
        var s10 = x0 + x4;
        var s11 = x0 - x4;
        var s13 = x2 + x6;
        var s12 = (x2 - x6) * R2 - s13;
        var p0 = s10 + s13;
        var p3 = s10 - s13;
        var p1 = s11 + s12;
        var p2 = s11 - s12;

        // Odd part: frequencies 1, 3, 5, 7.
        var x1 = Unsafe.Add(ref b, 1);
        var x3 = Unsafe.Add(ref b, 3);
        var x5 = Unsafe.Add(ref b, 5);
        var x7 = Unsafe.Add(ref b, 7);
        var z13 = x5 + x3;
        var z10 = x5 - x3;
        var z11 = x1 + x7;
        var z12 = x1 - x7;
        var q7 = z11 + z13;
        var q11 = (z11 - z13) * R2;
        var z5 = (z10 + z12) * B5;
        var q10 = z5 - z12 * B2;
        var q12 = z5 - z10 * B4;
        var q6 = q12 - q7;
        var q5 = q11 - q6;
        var q4 = q10 - q5;

        b = p0 + q7;
        Unsafe.Add(ref b, 7) = p0 - q7;
        Unsafe.Add(ref b, 1) = p1 + q6;
        Unsafe.Add(ref b, 6) = p1 - q6;
        Unsafe.Add(ref b, 2) = p2 + q5;
        Unsafe.Add(ref b, 5) = p2 - q5;
        Unsafe.Add(ref b, 3) = p3 + q4;
        Unsafe.Add(ref b, 4) = p3 - q4;
    }

    /// <summary>8×8 transpose of a block held as 16 halves (row r = elements 2r, 2r + 1): four 4×4 transposes.</summary>
    private static void Transpose(ref Vector128<float> b, Path path)
    {
        if (path == Path.ScalarTranspose || !(Sse.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            ref var f = ref Unsafe.As<Vector128<float>, float>(ref b);
            for (var r = 0; r < 8; r++)
            {
                for (var c = r + 1; c < 8; c++)
                {
                    ref var a = ref Unsafe.Add(ref f, r * 8 + c);
                    ref var t = ref Unsafe.Add(ref f, c * 8 + r);
                    (a, t) = (t, a);
                }
            }
            return;
        }
        // Top left and bottom right stay where they are; top right and bottom left change places.
        Transpose4(ref b, ref b);
        Transpose4(ref Unsafe.Add(ref b, 9), ref Unsafe.Add(ref b, 9));
        Transpose4(ref Unsafe.Add(ref b, 1), ref Unsafe.Add(ref b, 8));
    }

    /// <summary>The 4×4 at <paramref name="from"/> transposed into <paramref name="to"/> and the one at <paramref name="to"/> into <paramref name="from"/> (each row is every second vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(ref Vector128<float> from, ref Vector128<float> to)
    {
        var (a0, a1, a2, a3) = Transpose4(from, Unsafe.Add(ref from, 2), Unsafe.Add(ref from, 4), Unsafe.Add(ref from, 6));
        var (b0, b1, b2, b3) = Transpose4(to, Unsafe.Add(ref to, 2), Unsafe.Add(ref to, 4), Unsafe.Add(ref to, 6));
        to = a0;
        Unsafe.Add(ref to, 2) = a1;
        Unsafe.Add(ref to, 4) = a2;
        Unsafe.Add(ref to, 6) = a3;
        from = b0;
        Unsafe.Add(ref from, 2) = b1;
        Unsafe.Add(ref from, 4) = b2;
        Unsafe.Add(ref from, 6) = b3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float>, Vector128<float>, Vector128<float>, Vector128<float>) Transpose4(
        Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        if (Sse.IsSupported)
        {
            var t0 = Sse.UnpackLow(a, b);   // a0 b0 a1 b1
            var t1 = Sse.UnpackHigh(a, b);  // a2 b2 a3 b3
            var t2 = Sse.UnpackLow(c, d);
            var t3 = Sse.UnpackHigh(c, d);
            return (Sse.MoveLowToHigh(t0, t2), Sse.MoveHighToLow(t2, t0), Sse.MoveLowToHigh(t1, t3), Sse.MoveHighToLow(t3, t1));
        }
        else
        {
            var t0 = AdvSimd.Arm64.ZipLow(a, b).AsDouble();
            var t1 = AdvSimd.Arm64.ZipHigh(a, b).AsDouble();
            var t2 = AdvSimd.Arm64.ZipLow(c, d).AsDouble();
            var t3 = AdvSimd.Arm64.ZipHigh(c, d).AsDouble();
            return (AdvSimd.Arm64.ZipLow(t0, t2).AsSingle(), AdvSimd.Arm64.ZipHigh(t0, t2).AsSingle(),
                AdvSimd.Arm64.ZipLow(t1, t3).AsSingle(), AdvSimd.Arm64.ZipHigh(t1, t3).AsSingle());
        }
    }

    /// <summary>8×8 transpose of eight rows of <see cref="Vector256{T}"/> (AVX): pairs, then quads, then the 128-bit halves.</summary>
    private static void Transpose256(ref Vector256<float> r)
    {
        var t0 = Avx.UnpackLow(r, Unsafe.Add(ref r, 1));
        var t1 = Avx.UnpackHigh(r, Unsafe.Add(ref r, 1));
        var t2 = Avx.UnpackLow(Unsafe.Add(ref r, 2), Unsafe.Add(ref r, 3));
        var t3 = Avx.UnpackHigh(Unsafe.Add(ref r, 2), Unsafe.Add(ref r, 3));
        var t4 = Avx.UnpackLow(Unsafe.Add(ref r, 4), Unsafe.Add(ref r, 5));
        var t5 = Avx.UnpackHigh(Unsafe.Add(ref r, 4), Unsafe.Add(ref r, 5));
        var t6 = Avx.UnpackLow(Unsafe.Add(ref r, 6), Unsafe.Add(ref r, 7));
        var t7 = Avx.UnpackHigh(Unsafe.Add(ref r, 6), Unsafe.Add(ref r, 7));
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        r = Avx.Permute2x128(s0, s4, 0x20);
        Unsafe.Add(ref r, 1) = Avx.Permute2x128(s1, s5, 0x20);
        Unsafe.Add(ref r, 2) = Avx.Permute2x128(s2, s6, 0x20);
        Unsafe.Add(ref r, 3) = Avx.Permute2x128(s3, s7, 0x20);
        Unsafe.Add(ref r, 4) = Avx.Permute2x128(s0, s4, 0x31);
        Unsafe.Add(ref r, 5) = Avx.Permute2x128(s1, s5, 0x31);
        Unsafe.Add(ref r, 6) = Avx.Permute2x128(s2, s6, 0x31);
        Unsafe.Add(ref r, 7) = Avx.Permute2x128(s3, s7, 0x31);
    }
}
