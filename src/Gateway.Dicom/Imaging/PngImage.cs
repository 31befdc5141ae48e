using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Gateway.Dicom.Imaging;

/// <summary>
/// PNG (ISO/IEC 15948), decoded by our own code over <see cref="ZLibStream"/>: greyscale 8/16-bit, RGB 8-bit, RGBA
/// 8-bit (the alpha channel is dropped: DICOM RGB has none), non-interlaced. Every chunk's CRC is checked.
/// </summary>
public sealed class PngImage : IImageSource
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private const long MaxChunk = 1L << 31;
    private readonly int _colorType;
    private readonly int _bitDepth;

    private PngImage(string path, ImageFormat format, int colorType, int bitDepth)
    {
        Path = path;
        Format = format;
        _colorType = colorType;
        _bitDepth = bitDepth;
    }

    public string Path { get; }
    public ImageFormat Format { get; }

    public static bool Sniff(ReadOnlySpan<byte> head) => head.Length >= 8 && head[..8].SequenceEqual(Signature);

    public static PngImage Open(string path)
    {
        using var s = File.OpenRead(path);
        var sig = new byte[8];
        if (s.Read(sig) != 8 || !sig.AsSpan().SequenceEqual(Signature))
            throw new ImageFormatException($"{path}: not a PNG (bad signature)");
        var (type, data) = ReadChunk(s, path) ?? throw new ImageFormatException($"{path}: no IHDR chunk");
        if (type != "IHDR" || data.Length != 13)
            throw new ImageFormatException($"{path}: the first chunk is {type}, not a 13-byte IHDR");
        var width = BinaryPrimitives.ReadUInt32BigEndian(data);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4));
        int depth = data[8], color = data[9], compression = data[10], filter = data[11], interlace = data[12];
        PnmImage.CheckDimensions(path, width, height);
        if (compression != 0 || filter != 0)
            throw new ImageFormatException($"{path}: compression method {compression} / filter method {filter} is not PNG's");
        if (interlace != 0)
            throw new ImageFormatException($"{path}: interlaced (Adam7) PNG is not supported; save it without interlacing");
        var format = (color, depth) switch
        {
            (0, 8) => new ImageFormat((int)width, (int)height, 1, 8, 8),
            (0, 16) => new ImageFormat((int)width, (int)height, 1, 16, 16),
            (2, 8) or (6, 8) => new ImageFormat((int)width, (int)height, 3, 8, 8),
            _ => throw new ImageFormatException($"{path}: PNG colour type {color} with bit depth {depth} is not supported (grey 8/16-bit, RGB or RGBA 8-bit)"),
        };
        return new PngImage(path, format, color, depth);
    }

    /// <summary>Reads one chunk, checking its length against the file and its CRC; null at the end of the file.</summary>
    private static (string Type, byte[] Data)? ReadChunk(Stream s, string path)
    {
        var header = new byte[8];
        var n = s.ReadAtLeast(header, 8, throwOnEndOfStream: false);
        if (n == 0)
            return null;
        if (n < 8)
            throw new ImageFormatException($"{path}: chunk header cut short at offset {s.Position - n}");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        var type = Encoding.ASCII.GetString(header, 4, 4);
        if (length > MaxChunk || length > s.Length - s.Position - 4)
            throw new ImageFormatException($"{path}: chunk {type} at offset {s.Position - 8} declares {length} bytes, more than the file holds");
        var data = new byte[length];
        s.ReadExactly(data);
        var crc = new byte[4];
        s.ReadExactly(crc);
        var actual = Crc32.Compute(header.AsSpan(4, 4), data);
        if (actual != BinaryPrimitives.ReadUInt32BigEndian(crc))
            throw new ImageFormatException($"{path}: CRC mismatch in chunk {type} at offset {s.Position - 12 - length}: the file is corrupt");
        return (type, data);
    }

    public byte[] DecodePixels()
    {
        using var s = File.OpenRead(Path);
        s.Position = 8;
        var compressed = new MemoryStream();
        var sawEnd = false;
        while (ReadChunk(s, Path) is { } chunk)
        {
            if (chunk.Type == "IDAT")
                compressed.Write(chunk.Data);
            else if (chunk.Type == "IEND")
            {
                sawEnd = true;
                break;
            }
        }
        if (!sawEnd)
            throw new ImageFormatException($"{Path}: no IEND chunk: the file is truncated");
        var channels = _colorType switch { 0 => 1, 2 => 3, _ => 4 };
        var bpp = channels * _bitDepth / 8;
        var stride = Format.Columns * bpp;
        var raw = new byte[(long)(stride + 1) * Format.Rows];
        compressed.Position = 0;
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            z.ReadExactly(raw);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new ImageFormatException($"{Path}: the compressed image data is corrupt or short: {e.Message}");
        }
        var pixels = new byte[Format.FrameLength];
        var previous = new byte[stride];
        var current = new byte[stride];
        var outRow = Format.Columns * Format.SamplesPerPixel * (Format.BitsAllocated / 8);
        for (var y = 0; y < Format.Rows; y++)
        {
            var line = raw.AsSpan(y * (stride + 1), stride + 1);
            Unfilter(line[0], line[1..], previous, current, bpp, y);
            var dest = pixels.AsSpan(y * outRow, outRow);
            if (_colorType == 6)
            {
                for (var x = 0; x < Format.Columns; x++)
                    current.AsSpan(x * 4, 3).CopyTo(dest[(x * 3)..]);
            }
            else if (_bitDepth == 16)
            {
                for (var i = 0; i < stride; i += 2)
                {
                    dest[i] = current[i + 1]; // PNG is big endian
                    dest[i + 1] = current[i];
                }
            }
            else
            {
                current.CopyTo(dest);
            }
            (previous, current) = (current, previous);
        }
        return pixels;
    }

    /// <summary>Reverses the PNG filter of one scanline (ISO/IEC 15948 §9.2): None, Sub, Up, Average, Paeth.</summary>
    private void Unfilter(byte filter, ReadOnlySpan<byte> line, ReadOnlySpan<byte> prior, Span<byte> output, int bpp, int row)
    {
        for (var i = 0; i < line.Length; i++)
        {
            int a = i >= bpp ? output[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            output[i] = (byte)(line[i] + filter switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => Paeth(a, b, c),
                _ => throw new ImageFormatException($"{Path}: row {row} has filter type {filter}, which PNG does not define"),
            });
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}

/// <summary>CRC-32 (ISO 3309, as PNG uses it).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Build();

    private static uint[] Build()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in first)
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        foreach (var b in second)
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
