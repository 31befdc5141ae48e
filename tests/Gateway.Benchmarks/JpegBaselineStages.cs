using System.Globalization;
using System.Runtime.Intrinsics;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #19: where the time of our JPEG baseline codec goes, stage by stage, on the benchmark frames (quality 90).
/// Each stage runs alone over the whole frame (median of the rounds, JIT warmed): the plane fill (colour conversion
/// and 4:2:2 subsampling, or the grey copy), the forward DCT with quantization of every block, and, for decoding,
/// the inverse DCT with the store of every block and the output step (upsampling and YCbCr → RGB, or the grey copy).
/// Entropy coding is what the whole encode or decode takes beyond those (Huffman coding, bit I/O, zig-zag and the
/// headers), since it cannot run without them. `scripts/bench.sh codecs --jpeg-baseline --stages`.
/// </summary>
public static class JpegBaselineStages
{
    public static IEnumerable<string> Run(bool quick)
    {
        var rounds = quick ? 5 : 41;
        var rows = new List<string>
        {
            "| image (quality 90) | step | whole | planes: colour + subsampling / grey copy | FDCT + quantization | entropy coding (rest) |",
            "|---|---|---|---|---|---|",
        };
        var decodeRows = new List<string>
        {
            "| image (quality 90) | step | whole | entropy decoding + dequantization (rest) | IDCT + store | upsampling + YCbCr → RGB / grey copy |",
            "|---|---|---|---|---|---|",
        };
        var codec = new JpegBaselineCodec();
        var options = new CodecOptions { Quality = 90 };
        foreach (var (label, path, _) in JpegBaselineBenchmarks.Images())
        {
            var file = DicomFile.Open(path);
            var d = PixelDescription.FromDataset(file.Dataset);
            var pixels = file.Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
            var colour = d.SamplesPerPixel == 3;
            var (y, cb, cr, planeWidth, planeHeight, chromaWidth, _, mcusY) = JpegBaselineEncoder.Planes.For(d);

            var whole = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() => codec.Encode(pixels, d, options)));
            var planes = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() => JpegBaselineEncoder.FillPlanes(pixels, d, y, cb, cr, planeWidth, planeHeight, chromaWidth)));
            var luma = new JpegBaselineEncoder.BlockCoder(JpegBaselineTables.Scaled(JpegBaselineTables.Luminance, 90), JpegBaselineTables.DcLuminance, JpegBaselineTables.AcLuminance);
            var chroma = new JpegBaselineEncoder.BlockCoder(JpegBaselineTables.Scaled(JpegBaselineTables.Chrominance, 90), JpegBaselineTables.DcChrominance, JpegBaselineTables.AcChrominance);
            var block = new Vector128<float>[16];
            var transform = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() =>
            {
                for (var my = 0; my < mcusY; my++)
                {
                    for (var x = 0; x < planeWidth; x += 8)
                        luma.Transform(block, y, planeWidth, my * 8 * planeWidth + x);
                    if (!colour)
                        continue;
                    for (var x = 0; x < chromaWidth; x += 8)
                    {
                        chroma.Transform(block, cb, chromaWidth, my * 8 * chromaWidth + x);
                        chroma.Transform(block, cr, chromaWidth, my * 8 * chromaWidth + x);
                    }
                }
            }));
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | encode | {whole:F1} ms | {planes:F1} ms ({planes / whole:P0}) | {transform:F1} ms ({transform / whole:P0}) | {whole - planes - transform:F1} ms ({(whole - planes - transform) / whole:P0}) |"));

            var encoded = codec.Encode(pixels, d, options);
            var encodedDescription = colour ? d with { Photometric = "YBR_FULL_422" } : d;
            var back = new byte[pixels.Length];
            var decodeWhole = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() => codec.Decode(encoded, encodedDescription, back)));
            // The inverse DCT does not depend on the values: every block of the frame through it once, from a block the forward DCT made.
            var components = new[]
            {
                new JpegBaselineDecoder.Component { H = colour ? 2 : 1, V = 1, Width = d.Columns, Height = d.Rows, Stride = planeWidth, Plane = new byte[planeWidth * planeHeight] },
                new JpegBaselineDecoder.Component { H = 1, V = 1, Width = (d.Columns + 1) / 2, Height = d.Rows, Stride = chromaWidth, Plane = new byte[chromaWidth * planeHeight] },
                new JpegBaselineDecoder.Component { H = 1, V = 1, Width = (d.Columns + 1) / 2, Height = d.Rows, Stride = chromaWidth, Plane = new byte[chromaWidth * planeHeight] },
            };
            luma.Transform(block, y, planeWidth, 8 * planeWidth + 64);
            var coefficients = block.ToArray();
            var inverse = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() =>
            {
                for (var my = 0; my < mcusY; my++)
                {
                    for (var x = 0; x < planeWidth; x += 8)
                        Inverse(coefficients, block, components[0], my * 8 * planeWidth + x);
                    if (!colour)
                        continue;
                    for (var x = 0; x < chromaWidth; x += 8)
                    {
                        Inverse(coefficients, block, components[1], my * 8 * chromaWidth + x);
                        Inverse(coefficients, block, components[2], my * 8 * chromaWidth + x);
                    }
                }
            }));
            var output = CodecBenchmarks.Median(rounds, () => CodecBenchmarks.Stopwatch(() =>
            {
                if (colour)
                {
                    JpegBaselineDecoder.WriteColour(components, 2, 1, encodedDescription, back, ycc: true);
                    return;
                }
                for (var r = 0; r < d.Rows; r++)
                    components[0].Plane.AsSpan(r * planeWidth, d.Columns).CopyTo(back.AsSpan(r * d.Columns, d.Columns));
            }));
            var rest = decodeWhole - inverse - output;
            decodeRows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | decode | {decodeWhole:F1} ms | {rest:F1} ms ({rest / decodeWhole:P0}) | {inverse:F1} ms ({inverse / decodeWhole:P0}) | {output:F1} ms ({output / decodeWhole:P0}) |"));
        }
        rows.Add("");
        rows.AddRange(decodeRows);
        return rows;
    }

    private static void Inverse(Vector128<float>[] coefficients, Vector128<float>[] block, JpegBaselineDecoder.Component c, int first)
    {
        coefficients.CopyTo(block, 0);
        JpegDct.Inverse(block);
        JpegBaselineDecoder.StoreBlock(block, c, first);
    }
}
