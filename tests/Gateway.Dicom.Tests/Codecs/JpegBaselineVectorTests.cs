using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gateway.Dicom.Codecs;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>
/// Issue #19, the JPEG baseline codec's vector paths (Vector256 / Vector128 DCT and transposes, the 16-pixel colour
/// converters, the 2:1 upsampler): each gives the same bits as its scalar path, on odd lengths and on lines shorter
/// than one vector step, and the scalar paths agree with the equations of JFIF / PS3.3 §C.7.6.3.1.2 within rounding.
/// On a machine without AVX the Vector256 path falls back to Vector128 (then those two comparisons are the same).
/// </summary>
public sealed class JpegBaselineVectorTests
{
    private static readonly int[] Widths = [1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 100, 1921];

    [Fact]
    public void Every_DCT_path_gives_the_same_bits()
    {
        var random = new Random(19);
        Span<Vector128<float>> a = stackalloc Vector128<float>[16];
        Span<Vector128<float>> b = stackalloc Vector128<float>[16];
        Span<Vector128<float>> c = stackalloc Vector128<float>[16];
        var fa = MemoryMarshal.Cast<Vector128<float>, float>(a);
        var fb = MemoryMarshal.Cast<Vector128<float>, float>(b);
        var fc = MemoryMarshal.Cast<Vector128<float>, float>(c);
        for (var n = 0; n < 200; n++)
        {
            for (var i = 0; i < 64; i++)
                fa[i] = n % 2 == 0 ? random.Next(-128, 128) : (float)(random.NextDouble() * 4000 - 2000);
            fa.CopyTo(fb);
            fa.CopyTo(fc);
            JpegDct.Forward(a, JpegDct.Path.Vector256);
            JpegDct.Forward(b, JpegDct.Path.Vector128);
            JpegDct.Forward(c, JpegDct.Path.ScalarTranspose);
            Assert.Equal(fc.ToArray(), fa.ToArray());
            Assert.Equal(fc.ToArray(), fb.ToArray());
            JpegDct.Inverse(a, JpegDct.Path.Vector256);
            JpegDct.Inverse(b, JpegDct.Path.Vector128);
            JpegDct.Inverse(c, JpegDct.Path.ScalarTranspose);
            Assert.Equal(fc.ToArray(), fa.ToArray());
            Assert.Equal(fc.ToArray(), fb.ToArray());
        }
    }

    [Fact]
    public void The_encoders_block_transform_is_the_level_shifted_DCT_quantized_on_every_path()
    {
        // The reference: shift by −128 first, the DCT of JpegDct, then each coefficient rounded half away from zero
        // and clamped as the encoder's comment says. The Vector256 and Vector128 paths shift the DC alone and build a
        // nonzero mask; both must give exactly these integers (so the bitstream is what it was before the change).
        var random = new Random(64);
        var table = JpegBaselineTables.Scaled(JpegBaselineTables.Luminance, 90);
        var coder = new JpegBaselineEncoder.BlockCoder(table, JpegBaselineTables.DcLuminance, JpegBaselineTables.AcLuminance);
        var plane = new byte[16 * 8];
        Span<Vector128<float>> block = stackalloc Vector128<float>[16];
        Span<Vector128<float>> reference = stackalloc Vector128<float>[16];
        var f = MemoryMarshal.Cast<Vector128<float>, float>(reference);
        for (var n = 0; n < 300; n++)
        {
            // Noise, flat blocks, and extremes (0 and 255), where the rounding and the clamp are hardest.
            for (var i = 0; i < plane.Length; i++)
                plane[i] = n % 3 == 0 ? (byte)random.Next(256) : n % 3 == 1 ? (byte)(100 + n % 7) : (byte)((i + n) % 2 * 255);
            for (var r = 0; r < 8; r++)
                for (var c = 0; c < 8; c++)
                    f[r * 8 + c] = plane[r * 16 + 8 + c] - 128f;
            JpegDct.Forward(reference);
            var expected = new int[64];
            for (var u = 0; u < 8; u++)
            {
                for (var v = 0; v < 8; v++)
                {
                    var x = f[u * 8 + v] * (1f / (table[v * 8 + u] * JpegDct.Scale[u] * JpegDct.Scale[v] * 8f));
                    var q = x < 0 ? -(int)(0.5f - x) : (int)(x + 0.5f);
                    expected[u * 8 + v] = Math.Clamp(q, -1023, 1023);
                }
            }
            var expectedDc = Math.Clamp(f[0] * (1f / (table[0] * 8f)) is var d && d >= 0 ? (int)(d + 0.5f) : -(int)(0.5f - d), -2047, 2047);
            foreach (var wide in new[] { true, false })
            {
                var dc = coder.Transform(block, plane, 16, 8, vector256: wide);
                Assert.Equal(expectedDc, dc);
                Assert.Equal(expected[1..], coder.Quantized[1..].ToArray());
                for (var i = 1; i < 64; i++)
                    Assert.Equal(expected[i] != 0, (coder.NonZero >> i & 1) != 0);
            }
        }
    }

    [Fact]
    public void RGB_to_YCbCr_422_vector_and_scalar_give_the_same_bytes_and_the_equations()
    {
        var random = new Random(422);
        foreach (var width in Widths)
        {
            var chroma = (width + 1) / 2 + 3; // with padding past the line, as the encoder's planes have
            var rgb = Line(random, 3 * width);
            var (yv, cbv, crv) = (new byte[width], new byte[chroma], new byte[chroma]);
            var (ys, cbs, crs) = (new byte[width], new byte[chroma], new byte[chroma]);
            JpegColour.ToYCbCr422(rgb, yv, cbv, crv, width, chroma);
            JpegColour.ToYCbCr422(rgb, ys, cbs, crs, width, chroma, vector: false);
            Assert.Equal(ys, yv);
            Assert.Equal(cbs, cbv);
            Assert.Equal(crs, crv);
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = (rgb[3 * x], rgb[3 * x + 1], rgb[3 * x + 2]);
                Assert.InRange(ys[x] - (0.299 * r + 0.587 * g + 0.114 * b), -0.51, 0.51);
            }
            for (var j = 0; j < chroma; j++)
            {
                int p = Math.Min(2 * j, width - 1), q = Math.Min(2 * j + 1, width - 1);
                double Mean(int channel) => (rgb[3 * p + channel] + rgb[3 * q + channel]) / 2.0;
                Assert.InRange(cbs[j] - (-0.168736 * Mean(0) - 0.331264 * Mean(1) + 0.5 * Mean(2) + 128), -0.51, 0.51);
                Assert.InRange(crs[j] - (0.5 * Mean(0) - 0.418688 * Mean(1) - 0.081312 * Mean(2) + 128), -0.51, 0.51);
            }
        }
        // The extremes stay in range without clamping: blue, red, yellow, cyan (Cb 255.5 and 0.5, Cr 255.5 and 0.5).
        byte[] extremes = [0, 0, 255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 255, 0, 0, 255, 255, 0, 255, 255];
        var (ey, ecb, ecr) = (new byte[8], new byte[4], new byte[4]);
        JpegColour.ToYCbCr422(extremes, ey, ecb, ecr, 8, 4, vector: false);
        Assert.Equal([255, 85, 0, 171], ecb);
        Assert.Equal([107, 255, 149, 0], ecr);
    }

    [Fact]
    public void YCbCr_to_RGB_vector_and_scalar_give_the_same_bytes_and_the_equations()
    {
        var random = new Random(2);
        foreach (var width in Widths)
        {
            var (y, cb, cr) = (Line(random, width), Line(random, width), Line(random, width));
            var vector = new byte[3 * width];
            var scalar = new byte[3 * width];
            JpegColour.ToRgb(y, cb, cr, vector, vector.AsSpan(1), vector.AsSpan(2), width, 3);
            JpegColour.ToRgb(y, cb, cr, scalar, scalar.AsSpan(1), scalar.AsSpan(2), width, 3, vector: false);
            Assert.Equal(scalar, vector);
            for (var x = 0; x < width; x++)
            {
                double l = y[x], u = cb[x] - 128, v = cr[x] - 128;
                Assert.InRange(scalar[3 * x] - Math.Clamp(l + 1.402 * v, 0, 255), -0.51, 0.51);
                Assert.InRange(scalar[3 * x + 1] - Math.Clamp(l - 0.344136 * u - 0.714136 * v, 0, 255), -0.51, 0.51);
                Assert.InRange(scalar[3 * x + 2] - Math.Clamp(l + 1.772 * u, 0, 255), -0.51, 0.51);
            }
        }
    }

    [Fact]
    public void The_2_to_1_upsampler_is_the_triangle_filter_at_every_length()
    {
        var random = new Random(3);
        for (var n = 1; n < 60; n++)
        {
            var row = Line(random, n);
            var output = new byte[2 * n + 16];
            var from = JpegBaselineDecoder.UpsampleRow2(row, output);
            Assert.InRange(from, 0, n);
            for (var i = 0; i < from; i++)
            {
                var left = row[Math.Max(i - 1, 0)];
                var right = row[Math.Min(i + 1, n - 1)];
                Assert.Equal((3 * row[i] + left + 1) >> 2, output[2 * i]);
                Assert.Equal((3 * row[i] + right + 2) >> 2, output[2 * i + 1]);
            }
        }
    }

    private static byte[] Line(Random random, int length)
    {
        var line = new byte[length];
        random.NextBytes(line);
        // Some runs of the extremes, where clamping and rounding are tested hardest.
        for (var i = 0; i < length; i += 11)
            line[i] = (byte)(i % 2 == 0 ? 0 : 255);
        return line;
    }
}
