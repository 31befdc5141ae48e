using System.Buffers.Binary;

namespace Gateway.Dicom.Imaging;

/// <summary>Windows BMP: 8-bit with a grey palette, or 24-bit BGR; uncompressed (BI_RGB); bottom-up or top-down rows.</summary>
public sealed class BmpImage : IImageSource
{
    private readonly long _dataOffset;
    private readonly bool _bottomUp;
    private readonly int _bitCount;
    private readonly int _stride;

    private BmpImage(string path, ImageFormat format, long dataOffset, bool bottomUp, int bitCount)
    {
        Path = path;
        Format = format;
        _dataOffset = dataOffset;
        _bottomUp = bottomUp;
        _bitCount = bitCount;
        _stride = ((format.Columns * bitCount + 31) / 32) * 4; // rows are padded to 4 bytes
    }

    public string Path { get; }
    public ImageFormat Format { get; }

    public static bool Sniff(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == (byte)'B' && head[1] == (byte)'M';

    public static BmpImage Open(string path)
    {
        var header = new byte[54];
        byte[] palette;
        long length;
        using (var s = File.OpenRead(path))
        {
            length = s.Length;
            if (s.Read(header) < 54)
                throw new ImageFormatException($"{path}: shorter than a BMP header");
            palette = new byte[1024];
            var read = s.Read(palette);
            palette = palette[..read];
        }
        var span = header.AsSpan();
        var dataOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[10..]);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(span[14..]);
        var width = BinaryPrimitives.ReadInt32LittleEndian(span[18..]);
        var height = BinaryPrimitives.ReadInt32LittleEndian(span[22..]);
        var bitCount = BinaryPrimitives.ReadUInt16LittleEndian(span[28..]);
        var compression = BinaryPrimitives.ReadUInt32LittleEndian(span[30..]);
        if (headerSize < 40)
            throw new ImageFormatException($"{path}: BMP header of {headerSize} bytes is not supported (40 or more)");
        if (compression != 0)
            throw new ImageFormatException($"{path}: compressed BMP (method {compression}) is not supported; save it uncompressed");
        if (bitCount is not (8 or 24))
            throw new ImageFormatException($"{path}: {bitCount}-bit BMP is not supported (8-bit grey or 24-bit colour)");
        var bottomUp = height > 0;
        height = Math.Abs(height);
        PnmImage.CheckDimensions(path, width, height);
        if (bitCount == 8)
        {
            // The palette follows the header; it must be grey (R = G = B) for an 8-bit image to be MONOCHROME2.
            var entries = (int)Math.Min(256, (dataOffset - 14 - headerSize) / 4);
            var paletteStart = (int)(14 + headerSize - 54);
            for (var i = 0; i < entries && paletteStart + i * 4 + 2 < palette.Length; i++)
            {
                var p = palette.AsSpan(paletteStart + i * 4);
                if (p[0] != p[1] || p[1] != p[2] || p[0] != i)
                    throw new ImageFormatException($"{path}: 8-bit BMP with a colour palette (entry {i}); only an identity grey palette is supported");
            }
        }
        var format = new ImageFormat(width, height, bitCount == 8 ? 1 : 3, 8, 8);
        var image = new BmpImage(path, format, dataOffset, bottomUp, bitCount);
        if (length < dataOffset + (long)image._stride * height)
            throw new ImageFormatException($"{path}: pixel rows run past the end of the file ({length} bytes)");
        return image;
    }

    public byte[] DecodePixels()
    {
        var rowBytes = Format.Columns * Format.SamplesPerPixel;
        var pixels = new byte[Format.FrameLength];
        var row = new byte[_stride];
        using var s = File.OpenRead(Path);
        s.Position = _dataOffset;
        for (var r = 0; r < Format.Rows; r++)
        {
            s.ReadExactly(row);
            var target = _bottomUp ? Format.Rows - 1 - r : r;
            var dest = pixels.AsSpan(target * rowBytes, rowBytes);
            if (_bitCount == 8)
            {
                row.AsSpan(0, rowBytes).CopyTo(dest);
                continue;
            }
            for (var x = 0; x < Format.Columns; x++)
            {
                dest[x * 3] = row[x * 3 + 2];     // BMP stores B, G, R
                dest[x * 3 + 1] = row[x * 3 + 1];
                dest[x * 3 + 2] = row[x * 3];
            }
        }
        return pixels;
    }
}
