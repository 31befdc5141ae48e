using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Decodes the lines of one JPEG-LS scan: the mirror of <see cref="JpegLsScanEncoder"/> (T.87 Annex A, decoder side of
/// §A.4–A.7). Every count read from the stream is checked against the line before it is used.
/// </summary>
internal sealed class JpegLsScanDecoder
{
    private readonly JpegLsParameters _p;
    private readonly JpegLsContexts _ctx;
    private readonly sbyte[] _quantizer;
    private readonly int _width;

    public JpegLsScanDecoder(JpegLsParameters p, int width)
    {
        _p = p;
        _ctx = new JpegLsContexts(p);
        _quantizer = p.BuildQuantizer();
        _width = width;
    }

    public void DecodeLine(ref JpegLsBitReader reader, int[] prev, int[] cur, ref int runIndex)
    {
        var w = _width;
        if (prev.Length < w + 2 || cur.Length < w + 2)
            throw new ArgumentException($"a line of {w} samples needs {w + 2} places");
        cur[0] = prev[1];
        prev[w + 1] = prev[w];
        if (_p.Near == 0)
            DecodeLine<Lossless>(ref reader, prev, cur, ref runIndex);
        else
            DecodeLine<NearLossless>(ref reader, prev, cur, ref runIndex);
    }

    /// <summary>Compiles <see cref="DecodeLine{TMode}"/> once for NEAR = 0 and once for NEAR &gt; 0 (a struct type argument).</summary>
    private interface IMode
    {
        static abstract bool IsLossless { get; }
    }

    private readonly struct Lossless : IMode
    {
        public static bool IsLossless => true;
    }

    private readonly struct NearLossless : IMode
    {
        public static bool IsLossless => false;
    }

    /// <summary>
    /// One line, the regular samples decoded here with the look-ahead in locals (registers): §A.4–A.6 inline — the
    /// context and prediction, the Golomb code read with one leading-bit search when it and its k bits are in the
    /// look-ahead (<see cref="ReadGolomb"/> otherwise), the error mapping undone (§A.5.2, with the k = 0 special mapping
    /// of NEAR 0), the context update and the reconstruction (§A.4.4) — runs by <see cref="DecodeRun"/>. With NEAR 0
    /// the error scale is 1 and folds away. Every sample stays within 0…MAXVAL, so the gradients index the quantizer
    /// in bounds. Written for the AOT baseline of x64 (no LZCNT, no BMI2, issue #19): the leading bits by Log2 of a
    /// value that is not 0 (one BSR), no Math.Abs (its overflow check), the throws out of line.
    /// </summary>
    private void DecodeLine<TMode>(ref JpegLsBitReader reader, int[] prev, int[] cur, ref int runIndex)
        where TMode : struct, IMode
    {
        var w = _width;
        ref var pr = ref MemoryMarshal.GetArrayDataReference(prev);
        ref var cu = ref MemoryMarshal.GetArrayDataReference(cur);
        ref var q = ref MemoryMarshal.GetArrayDataReference(_quantizer);
        ref var contexts = ref MemoryMarshal.GetArrayDataReference(_ctx.Q);
        var off = _p.QuantizeOffset;
        var maxVal = _p.MaxVal;
        var range = _p.Range;
        var reset = _p.Reset;
        var near = TMode.IsLossless ? 0 : _p.Near;
        var scale = TMode.IsLossless ? 1 : 2 * near + 1;
        var escape = _p.Limit - _p.Qbpp - 1;
        var (bits, count) = (reader.Bits, reader.Count);
        var x = 1;
        while (x <= w)
        {
            var a = Unsafe.Add(ref cu, x - 1);
            var b = Unsafe.Add(ref pr, x);
            var c = Unsafe.Add(ref pr, x - 1);
            var d = Unsafe.Add(ref pr, x + 1);
            var qs = 81 * Unsafe.Add(ref q, d - b + off) + 9 * Unsafe.Add(ref q, b - c + off) + Unsafe.Add(ref q, c - a + off);
            if (qs == 0)
            {
                (reader.Bits, reader.Count) = (bits, count);
                x = DecodeRun(ref reader, prev, cur, x, ref runIndex);
                (bits, count) = (reader.Bits, reader.Count);
                continue;
            }
            var sign = (qs >> 31) | 1;
            qs *= sign; // 1…364
            ref var cx = ref Unsafe.Add(ref contexts, qs);
            ref var ca = ref cx.A;
            ref var cb = ref cx.B;
            ref var cc = ref cx.C;
            ref var cn = ref cx.N;
            var px = JpegLsScanEncoder.Predict(a, b, c) + sign * cc;
            px = px < 0 ? 0 : px > maxVal ? maxVal : px;
            var n = cn;
            var k = JpegLsContexts.GolombK(n, ca);

            // §A.5.3: the unary high bits and k low bits of the mapped error (or the escape, in ReadGolomb).
            if (count < 32)
            {
                (reader.Bits, reader.Count) = (bits, count);
                reader.Refill();
                (bits, count) = (reader.Bits, reader.Count);
            }
            // 63 − Log2 is the leading-zero count of a look-ahead that is not 0; of one that is, 63 (≥ escape: the slow path).
            var zeros = 63 ^ BitOperations.Log2(bits | 1);
            int mapped;
            if (zeros < escape && zeros + 1 + k <= count)
            {
                bits <<= zeros + 1;
                mapped = (zeros << k) | (int)(bits >> (63 - k) >> 1);
                bits <<= k;
                count -= zeros + 1 + k;
                if (mapped > 2 * range)
                    ThrowOutsideRange(mapped, range, reader.Position);
            }
            else
            {
                (reader.Bits, reader.Count) = (bits, count);
                mapped = ReadGolomb(ref reader, k, _p.Limit);
                (bits, count) = (reader.Bits, reader.Count);
            }

            // §A.5.2 inverted (the k = 0 special mapping only with NEAR 0), then §A.6.1–A.6.2.
            var bq = cb;
            // Without branches (the parity is a coin toss): an even mapped error 2t is t, an odd one 2t + 1 is −(t + 1)
            // = ~t; the special mapping is the other way round (2t + 1 is t, 2t is ~t), so it inverts the mask. It
            // applies when k = 0 and 2·B ≤ −N, i.e. k − 1 < 0 and 2·B + N − 1 < 0: the two sign bits (B ≥ 1 − N, N ≤ 2^16).
            var flip = -(mapped & 1);
            if (TMode.IsLossless)
                flip ^= ((k - 1) >> 31) & ((2 * bq + n - 1) >> 31);
            var errval = (mapped >> 1) ^ flip;
            var m = errval >> 31;
            var an = ca + ((errval ^ m) - m);
            bq += errval * scale;
            if (n == reset)
            {
                an >>= 1;
                bq >>= 1; // an arithmetic shift is the standard's −((1 − B) >> 1) for negative B
                n >>= 1;
            }
            n++;
            ca = an;
            cn = n;
            if (bq <= -n)
            {
                bq += n;
                if (cc > JpegLsContexts.MinC)
                    cc--;
                if (bq <= -n)
                    bq = -n + 1;
            }
            else if (bq > 0)
            {
                bq -= n;
                if (cc < JpegLsContexts.MaxC)
                    cc++;
                if (bq > 0)
                    bq = 0;
            }
            cb = bq;

            // §A.4.4: undo the modulo reduction, then clamp.
            var rx = px + sign * errval * scale;
            if (rx < -near)
                rx += range * scale;
            else if (rx > maxVal + near)
                rx -= range * scale;
            Unsafe.Add(ref cu, x) = rx < 0 ? 0 : rx > maxVal ? maxVal : rx;
            x++;
        }
        (reader.Bits, reader.Count) = (bits, count);
    }

    [DoesNotReturn]
    private static void ThrowOutsideRange(int mapped, int range, int position) =>
        throw new CodecDataException($"a JPEG-LS prediction error of {mapped} is outside RANGE {range}", position);

    private int Reconstruct(int px, int errval)
    {
        var near = _p.Near;
        var scale = 2 * near + 1;
        var rx = px + errval * scale;
        // §A.4.4 (decoder): undo the modulo reduction, then clamp.
        if (rx < -near)
            rx += _p.Range * scale;
        else if (rx > _p.MaxVal + near)
            rx -= _p.Range * scale;
        return rx < 0 ? 0 : rx > _p.MaxVal ? _p.MaxVal : rx;
    }

    private int DecodeRun(ref JpegLsBitReader reader, int[] prev, int[] cur, int x, ref int runIndex)
    {
        var w = _width;
        var ra = cur[x - 1];
        var j = JpegLsContexts.J;
        while (reader.ReadBit() == 1)
        {
            var full = 1 << j[runIndex];
            var count = Math.Min(full, w + 1 - x);
            cur.AsSpan(x, count).Fill(ra);
            x += count;
            if (count == full && runIndex < 31)
                runIndex++;
            if (x > w)
                return x;
        }
        var rest = reader.Read(j[runIndex]);
        if (x + rest > w)
            throw new CodecDataException($"a JPEG-LS run of {rest} samples reaches past the end of a {w}-sample line", reader.Position);
        cur.AsSpan(x, rest).Fill(ra);
        x += rest;
        cur[x] = DecodeRunInterruption(ref reader, prev, cur, x, runIndex);
        if (runIndex > 0)
            runIndex--;
        return x + 1;
    }

    private int DecodeRunInterruption(ref JpegLsBitReader reader, int[] prev, int[] cur, int x, int runIndex)
    {
        var near = _p.Near;
        var ra = cur[x - 1];
        var rb = prev[x];
        var riType = Math.Abs(ra - rb) <= near ? 1 : 0;
        var px = riType == 1 ? ra : rb;
        var ctx = _ctx;
        ref var cx = ref ctx.Q[JpegLsContexts.RunContext + riType];
        var temp = riType == 0 ? cx.A : cx.A + (cx.N >> 1);
        var k = JpegLsContexts.GolombK(cx.N, temp);
        var em = ReadGolomb(ref reader, k, _p.Limit - JpegLsContexts.J[runIndex] - 1);
        var t = em + riType;
        var map = t & 1;
        var magnitude = (t + map) >> 1;
        var positive = (map == 1) == (k == 0 && 2 * ctx.Nn[riType] < cx.N);
        var errval = positive ? magnitude : -magnitude;
        ctx.UpdateRunInterruption(riType, errval, em, _p.Reset);
        var sign = riType == 0 && ra > rb ? -1 : 1;
        return Reconstruct(px, sign * errval);
    }

    private int ReadGolomb(ref JpegLsBitReader reader, int k, int limit)
    {
        var escape = limit - _p.Qbpp - 1;
        var high = reader.ReadUnary(escape);
        int value;
        if (high < escape)
            value = (high << k) | reader.Read(k);
        else if (high > escape)
            throw new CodecDataException($"a JPEG-LS code has more than {escape} leading zeros", reader.Position);
        else
            value = reader.Read(_p.Qbpp) + 1;
        // A mapped error of a conforming stream is below 2·RANGE (§A.5.2); a larger one would grow the contexts without bound.
        if (value > 2 * _p.Range)
            ThrowOutsideRange(value, _p.Range, reader.Position);
        return value;
    }
}
