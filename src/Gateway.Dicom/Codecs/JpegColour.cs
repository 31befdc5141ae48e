namespace Gateway.Dicom.Codecs;

/// <summary>
/// RGB ↔ YCbCr as JFIF and PS3.3 §C.7.6.3.1.2 (YBR_FULL) define it, in 16-bit fixed point:
/// Y = 0.299R + 0.587G + 0.114B, Cb = −0.168736R − 0.331264G + 0.5B + 128, Cr = 0.5R − 0.418688G − 0.081312B + 128;
/// R = Y + 1.402(Cr − 128), G = Y − 0.344136(Cb − 128) − 0.714136(Cr − 128), B = Y + 1.772(Cb − 128).
/// </summary>
internal static class JpegColour
{
    private const int Half = 1 << 15;

    private static readonly int[] CrToR = Table(1.402);
    private static readonly int[] CbToB = Table(1.772);
    private static readonly int[] CbToG = Table(-0.344136);
    private static readonly int[] CrToG = Table(-0.714136);

    // Q16 products (value − 128) × factor, for the inverse.
    private static int[] Table(double factor) => [.. Enumerable.Range(0, 256).Select(i => (int)Math.Round((i - 128) * factor * 65536))];

    public static void ToYCbCr(int r, int g, int b, out byte y, out byte cb, out byte cr)
    {
        y = (byte)((19595 * r + 38470 * g + 7471 * b + Half) >> 16);
        cb = (byte)Math.Clamp((-11059 * r - 21709 * g + 32768 * b + (128 << 16) + Half - 1) >> 16, 0, 255);
        cr = (byte)Math.Clamp((32768 * r - 27439 * g - 5329 * b + (128 << 16) + Half - 1) >> 16, 0, 255);
    }

    /// <summary>One line: Y, Cb, Cr at full resolution to interleaved (or, with <paramref name="stride"/> 1, one plane's) R, G, B.</summary>
    public static void ToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> r, Span<byte> g, Span<byte> b, int width, int stride)
    {
        if (stride == 3 && r.Length >= 3 * width)
        {
            // Colour-by-pixel: r is the whole line (g and b are r offset by 1 and 2).
            var line = r[..(3 * width)];
            var yl = y[..width];
            var cbl = cb[..width];
            var crl = cr[..width];
            var crToR = CrToR;
            var cbToB = CbToB;
            var cbToG = CbToG;
            var crToG = CrToG;
            for (var x = 0; x < yl.Length; x++)
            {
                var l = (yl[x] << 16) + Half;
                int u = cbl[x], v = crl[x];
                line[3 * x] = Clamp((l + crToR[v]) >> 16);
                line[3 * x + 1] = Clamp((l + cbToG[u] + crToG[v]) >> 16);
                line[3 * x + 2] = Clamp((l + cbToB[u]) >> 16);
            }
            return;
        }
        for (int x = 0, o = 0; x < width; x++, o += stride)
        {
            var l = y[x] << 16;
            var u = cb[x];
            var v = cr[x];
            r[o] = Clamp((l + CrToR[v] + Half) >> 16);
            g[o] = Clamp((l + CbToG[u] + CrToG[v] + Half) >> 16);
            b[o] = Clamp((l + CbToB[u] + Half) >> 16);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static byte Clamp(int v) => (uint)v <= 255 ? (byte)v : v < 0 ? (byte)0 : (byte)255;
}
