namespace Gateway.Dicom.Codecs;

/// <summary>
/// Encodes the lines of one JPEG-LS scan (T.87 Annex A): context modelling with the median edge detector, Golomb
/// coding of the mapped prediction error limited to LIMIT bits, and run mode along flat regions. Lines are int arrays
/// with one sample of margin on each side (index x + 1 holds sample x).
/// </summary>
internal sealed class JpegLsScanEncoder
{
    private readonly JpegLsParameters _p;
    private readonly JpegLsContexts _ctx;
    private readonly JpegLsBitWriter _writer;
    private readonly sbyte[] _quantizer;
    private readonly int _width;

    public JpegLsScanEncoder(JpegLsParameters p, JpegLsBitWriter writer, int width)
    {
        _p = p;
        _ctx = new JpegLsContexts(p);
        _writer = writer;
        _quantizer = p.BuildQuantizer();
        _width = width;
    }

    /// <summary>
    /// Codes <paramref name="cur"/>[1..width] given the reconstructed line above; on return <paramref name="cur"/>
    /// holds the reconstructed samples (equal to the input when NEAR is 0).
    /// </summary>
    public void EncodeLine(int[] prev, int[] cur, ref int runIndex)
    {
        var w = _width;
        // §A.2.1: the margin samples come from the line above.
        cur[0] = prev[1];
        prev[w + 1] = prev[w];
        var near = _p.Near;
        var q = _quantizer;
        var off = _p.QuantizeOffset;
        var x = 1;
        while (x <= w)
        {
            var a = cur[x - 1];
            var b = prev[x];
            var c = prev[x - 1];
            var d = prev[x + 1];
            var qs = 81 * q[d - b + off] + 9 * q[b - c + off] + q[c - a + off];
            if (qs == 0)
            {
                x = EncodeRun(prev, cur, x, ref runIndex);
                continue;
            }
            EncodeRegular(cur, x, a, b, c, qs, near);
            x++;
        }
    }

    private void EncodeRegular(int[] cur, int x, int a, int b, int c, int qs, int near)
    {
        var ctx = _ctx;
        var sign = 1;
        if (qs < 0)
        {
            sign = -1;
            qs = -qs;
        }
        ref var cx = ref ctx.Q[qs];
        var px = Predict(a, b, c) + sign * cx.C;
        px = px < 0 ? 0 : px > _p.MaxVal ? _p.MaxVal : px;
        var errval = (cur[x] - px) * sign;
        if (near > 0)
        {
            errval = Quantize(errval, near);
            var rx = px + sign * errval * (2 * near + 1);
            cur[x] = rx < 0 ? 0 : rx > _p.MaxVal ? _p.MaxVal : rx;
        }
        errval = ReduceModulo(errval);
        var k = JpegLsContexts.GolombK(cx.N, cx.A);
        int mapped;
        if (near == 0 && k == 0 && 2 * cx.B <= -cx.N)
            mapped = errval >= 0 ? 2 * errval + 1 : -2 * (errval + 1);
        else
            mapped = errval >= 0 ? 2 * errval : -2 * errval - 1;
        WriteGolomb(mapped, k, _p.Limit);
        ctx.Update(qs, errval, near, _p.Reset);
    }

    private int EncodeRun(int[] prev, int[] cur, int x, ref int runIndex)
    {
        var w = _width;
        var near = _p.Near;
        var ra = cur[x - 1];
        var start = x;
        while (x <= w && Math.Abs(cur[x] - ra) <= near)
            cur[x++] = ra;
        var count = x - start;
        var j = JpegLsContexts.J;
        while (count >= 1 << j[runIndex])
        {
            _writer.Write(1, 1);
            count -= 1 << j[runIndex];
            if (runIndex < 31)
                runIndex++;
        }
        if (x > w)
        {
            if (count > 0)
                _writer.Write(1, 1);
            return x;
        }
        _writer.Write((uint)count, j[runIndex] + 1); // a zero bit, then the remainder in J[RUNindex] bits
        EncodeRunInterruption(prev, cur, x, runIndex);
        if (runIndex > 0)
            runIndex--;
        return x + 1;
    }

    /// <summary>§A.7.2: the sample that ended a run.</summary>
    private void EncodeRunInterruption(int[] prev, int[] cur, int x, int runIndex)
    {
        var near = _p.Near;
        var ra = cur[x - 1];
        var rb = prev[x];
        var riType = Math.Abs(ra - rb) <= near ? 1 : 0;
        var px = riType == 1 ? ra : rb;
        var errval = cur[x] - px;
        var sign = 1;
        if (riType == 0 && ra > rb)
        {
            errval = -errval;
            sign = -1;
        }
        if (near > 0)
        {
            errval = Quantize(errval, near);
            var rx = px + sign * errval * (2 * near + 1);
            cur[x] = rx < 0 ? 0 : rx > _p.MaxVal ? _p.MaxVal : rx;
        }
        errval = ReduceModulo(errval);
        var ctx = _ctx;
        ref var cx = ref ctx.Q[JpegLsContexts.RunContext + riType];
        var temp = riType == 0 ? cx.A : cx.A + (cx.N >> 1);
        var k = JpegLsContexts.GolombK(cx.N, temp);
        var map = (k == 0 && errval > 0 && 2 * ctx.Nn[riType] < cx.N)
            || (errval < 0 && 2 * ctx.Nn[riType] >= cx.N)
            || (errval < 0 && k != 0) ? 1 : 0;
        var em = 2 * Math.Abs(errval) - riType - map;
        WriteGolomb(em, k, _p.Limit - JpegLsContexts.J[runIndex] - 1);
        ctx.UpdateRunInterruption(riType, errval, em, _p.Reset);
    }

    internal static int Predict(int a, int b, int c)
    {
        // §A.4.1, the median edge detector: min(a, b) when c ≥ max(a, b), max(a, b) when c ≤ min(a, b), else
        // a + b − c; that is a + b − c clamped to [min(a, b), max(a, b)]. Without branches, which a noisy image makes
        // unpredictable and the AOT x64 baseline compiles as jumps (issue #19): samples are 0…65535, so no difference
        // overflows and its sign bit is the comparison.
        var lt = (a - b) >> 31; // −1 when a < b
        var lo = b + ((a - b) & lt);
        var hi = a - ((a - b) & lt);
        var g = a + b - c;
        var t = g - lo;
        g -= t & (t >> 31); // max(g, lo)
        t = g - hi;
        return g - (t & ~(t >> 31)); // min(g, hi)
    }

    private static int Quantize(int errval, int near) =>
        errval > 0 ? (errval + near) / (2 * near + 1) : -((near - errval) / (2 * near + 1));

    private int ReduceModulo(int errval)
    {
        var range = _p.Range;
        if (errval < 0)
            errval += range;
        if (errval >= (range + 1) / 2)
            errval -= range;
        return errval;
    }

    /// <summary>§A.5.3: limited-length Golomb code of <paramref name="value"/> with parameter k.</summary>
    private void WriteGolomb(int value, int k, int limit)
    {
        var high = value >> k;
        var escape = limit - _p.Qbpp - 1;
        if (high < escape)
        {
            _writer.WriteZeros(high);
            _writer.Write((1u << k) | ((uint)value & ((1u << k) - 1)), k + 1);
        }
        else
        {
            _writer.WriteZeros(escape);
            _writer.Write(1, 1);
            _writer.Write((uint)(value - 1), _p.Qbpp);
        }
    }
}
