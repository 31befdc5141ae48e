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
        cur[0] = prev[1];
        prev[w + 1] = prev[w];
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
                x = DecodeRun(ref reader, prev, cur, x, ref runIndex);
                continue;
            }
            cur[x] = DecodeRegular(ref reader, a, b, c, qs);
            x++;
        }
    }

    private int DecodeRegular(ref JpegLsBitReader reader, int a, int b, int c, int qs)
    {
        var ctx = _ctx;
        var near = _p.Near;
        var sign = 1;
        if (qs < 0)
        {
            sign = -1;
            qs = -qs;
        }
        var px = JpegLsScanEncoder.Predict(a, b, c) + sign * ctx.C[qs];
        px = px < 0 ? 0 : px > _p.MaxVal ? _p.MaxVal : px;
        var k = JpegLsContexts.GolombK(ctx.N[qs], ctx.A[qs]);
        var mapped = ReadGolomb(ref reader, k, _p.Limit);
        int errval;
        if (near == 0 && k == 0 && 2 * ctx.B[qs] <= -ctx.N[qs])
            errval = (mapped & 1) == 1 ? (mapped - 1) >> 1 : -(mapped >> 1) - 1;
        else
            errval = (mapped & 1) == 0 ? mapped >> 1 : -((mapped + 1) >> 1);
        ctx.Update(qs, errval, near, _p.Reset);
        return Reconstruct(px, sign * errval);
    }

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
        var q = JpegLsContexts.RunContext + riType;
        var temp = riType == 0 ? ctx.A[q] : ctx.A[q] + (ctx.N[q] >> 1);
        var k = JpegLsContexts.GolombK(ctx.N[q], temp);
        var em = ReadGolomb(ref reader, k, _p.Limit - JpegLsContexts.J[runIndex] - 1);
        var t = em + riType;
        var map = t & 1;
        var magnitude = (t + map) >> 1;
        var positive = (map == 1) == (k == 0 && 2 * ctx.Nn[riType] < ctx.N[q]);
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
            throw new CodecDataException($"a JPEG-LS prediction error of {value} is outside RANGE {_p.Range}", reader.Position);
        return value;
    }
}
