namespace Gateway.Dicom.Codecs;

/// <summary>
/// The coding parameters of one JPEG-LS scan (ITU-T T.87 §A.2 and §C.2.4.1.1): MAXVAL, NEAR, the gradient thresholds
/// T1–T3, RESET, and what follows from them (RANGE, qbpp, LIMIT).
/// </summary>
internal sealed class JpegLsParameters
{
    public const int DefaultReset = 64;

    public JpegLsParameters(int precision, int near, int maxVal = 0, int t1 = 0, int t2 = 0, int t3 = 0, int reset = 0)
    {
        if (precision is < 2 or > 16)
            throw new NotSupportedException($"JPEG-LS sample precision {precision} is outside 2–16 bits");
        MaxVal = maxVal > 0 ? maxVal : (1 << precision) - 1;
        Near = near;
        if (near < 0 || near > Math.Min(255, MaxVal / 2))
            throw new NotSupportedException($"JPEG-LS NEAR {near} is outside 0–{Math.Min(255, MaxVal / 2)}");
        Range = (MaxVal + 2 * near) / (2 * near + 1) + 1;
        Qbpp = Log2Ceiling(Range);
        var bpp = Math.Max(2, Log2Ceiling(MaxVal + 1));
        Limit = 2 * (bpp + Math.Max(8, bpp));
        Reset = reset > 0 ? reset : DefaultReset;
        var (d1, d2, d3) = DefaultThresholds(MaxVal, near);
        T1 = t1 > 0 ? t1 : d1;
        T2 = t2 > 0 ? t2 : d2;
        T3 = t3 > 0 ? t3 : d3;
        IsDefault = maxVal <= 0 || maxVal == (1 << precision) - 1;
        IsDefault &= T1 == d1 && T2 == d2 && T3 == d3 && Reset == DefaultReset;
    }

    public int MaxVal { get; }
    public int Near { get; }
    public int Range { get; }
    public int Qbpp { get; }
    public int Limit { get; }
    public int T1 { get; }
    public int T2 { get; }
    public int T3 { get; }
    public int Reset { get; }

    /// <summary>True when a decoder derives the same values itself, so no LSE marker segment is needed.</summary>
    public bool IsDefault { get; }

    /// <summary>T.87 §C.2.4.1.1.1: the default thresholds for MAXVAL and NEAR (BASIC_T1–T3 = 3, 7, 21).</summary>
    private static (int T1, int T2, int T3) DefaultThresholds(int maxVal, int near)
    {
        static int Clamp(int i, int j, int maxVal) => i > maxVal || i < j ? j : i;
        if (maxVal >= 128)
        {
            var factor = (Math.Min(maxVal, 4095) + 128) / 256;
            var t1 = Clamp(factor * (3 - 2) + 2 + 3 * near, near + 1, maxVal);
            var t2 = Clamp(factor * (7 - 3) + 3 + 5 * near, t1, maxVal);
            var t3 = Clamp(factor * (21 - 4) + 4 + 7 * near, t2, maxVal);
            return (t1, t2, t3);
        }
        else
        {
            var factor = 256 / (maxVal + 1);
            var t1 = Clamp(Math.Max(2, 3 / factor + 3 * near), near + 1, maxVal);
            var t2 = Clamp(Math.Max(3, 7 / factor + 5 * near), t1, maxVal);
            var t3 = Clamp(Math.Max(4, 21 / factor + 7 * near), t2, maxVal);
            return (t1, t2, t3);
        }
    }

    private static int Log2Ceiling(int value)
    {
        var n = 0;
        while ((1 << n) < value)
            n++;
        return n;
    }

    /// <summary>
    /// Q(D) for every gradient D in −RANGE·(2·NEAR+1)…+, indexed by D + <see cref="QuantizeOffset"/>
    /// (T.87 §A.3.3): −4…4.
    /// </summary>
    public sbyte[] BuildQuantizer()
    {
        var table = new sbyte[2 * QuantizeOffset + 1];
        for (var i = 0; i < table.Length; i++)
        {
            var d = i - QuantizeOffset;
            table[i] = d <= -T3 ? (sbyte)-4 : d <= -T2 ? (sbyte)-3 : d <= -T1 ? (sbyte)-2 : d < -Near ? (sbyte)-1
                : d <= Near ? (sbyte)0 : d < T1 ? (sbyte)1 : d < T2 ? (sbyte)2 : d < T3 ? (sbyte)3 : (sbyte)4;
        }
        return table;
    }

    /// <summary>Gradients lie within ±MAXVAL.</summary>
    public int QuantizeOffset => MaxVal;
}
