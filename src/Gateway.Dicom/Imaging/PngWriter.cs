using System.Buffers.Binary;
using System.IO.Compression;

namespace Gateway.Dicom.Imaging;

/// <summary>Writes 8-bit grey or RGB PNG (PNG spec: IHDR, one zlib IDAT with filter 0 rows, IEND), for thumbnails.</summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <param name="pixels">Rows top first, samples interleaved, 8 bits each.</param>
    public static byte[] Write(int width, int height, int samples, ReadOnlySpan<byte> pixels)
    {
        if (samples is not (1 or 3) || pixels.Length != width * height * samples)
            throw new ArgumentException($"{width}×{height}×{samples} does not match {pixels.Length} bytes", nameof(pixels));
        using var png = new MemoryStream();
        png.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = 8;
        ihdr[9] = (byte)(samples == 3 ? 2 : 0);
        Chunk(png, "IHDR"u8, ihdr);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
            {
                var stride = width * samples;
                for (var y = 0; y < height; y++)
                {
                    z.WriteByte(0);
                    z.Write(pixels.Slice(y * stride, stride));
                }
            }
            Chunk(png, "IDAT"u8, raw.ToArray());
        }
        Chunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        s.Write(word);
        s.Write(type);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(type, data));
        s.Write(word);
    }
}
