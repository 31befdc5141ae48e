using System.Globalization;
using System.Text;

namespace Gateway.Dicom.Imaging;

/// <summary>Binary PGM (P5, grey) and PPM (P6, RGB), 8 or 16 bits (Netpbm: maxval &gt; 255 means two big-endian bytes).</summary>
public sealed class PnmImage : IImageSource
{
    private readonly long _dataOffset;

    private PnmImage(string path, ImageFormat format, long dataOffset, int maxValue)
    {
        Path = path;
        Format = format;
        _dataOffset = dataOffset;
        MaxValue = maxValue;
    }

    public string Path { get; }
    public ImageFormat Format { get; }
    public int MaxValue { get; }

    public static bool Sniff(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == (byte)'P' && head[1] is (byte)'5' or (byte)'6';

    public static PnmImage Open(string path)
    {
        using var s = File.OpenRead(path);
        var magic = Token(s, path);
        var samples = magic switch
        {
            "P5" => 1,
            "P6" => 3,
            _ => throw new ImageFormatException($"{path}: '{magic}' is not a binary PGM (P5) or PPM (P6)"),
        };
        var width = Number(s, path, "width");
        var height = Number(s, path, "height");
        var max = Number(s, path, "maxval");
        if (max is < 1 or > 65535)
            throw new ImageFormatException($"{path}: maxval {max} is outside 1–65535");
        var bits = max > 255 ? 16 : 8;
        var stored = Math.Max(1, (int)Math.Ceiling(Math.Log2(max + 1.0)));
        var format = new ImageFormat(width, height, samples, bits, bits == 8 ? 8 : stored);
        CheckDimensions(path, width, height);
        var offset = s.Position; // exactly one whitespace byte after maxval was consumed by Token
        if (s.Length - offset < format.FrameLength)
            throw new ImageFormatException($"{path}: {format} needs {format.FrameLength} bytes of pixels, the file has {s.Length - offset}");
        return new PnmImage(path, format, offset, max);
    }

    internal static void CheckDimensions(string path, long width, long height)
    {
        if (width is < 1 or > ImageFormat.MaxDimension || height is < 1 or > ImageFormat.MaxDimension)
            throw new ImageFormatException($"{path}: {width}×{height} is not a size DICOM can hold (1 to {ImageFormat.MaxDimension} per side)");
    }

    public byte[] DecodePixels()
    {
        var pixels = new byte[Format.FrameLength];
        using var s = File.OpenRead(Path);
        s.Position = _dataOffset;
        s.ReadExactly(pixels);
        if (Format.BitsAllocated == 16)
        {
            for (var i = 0; i < pixels.Length; i += 2)
                (pixels[i], pixels[i + 1]) = (pixels[i + 1], pixels[i]); // Netpbm is big endian
        }
        return pixels;
    }

    private static string Token(Stream s, string path)
    {
        var sb = new StringBuilder();
        while (true)
        {
            var b = s.ReadByte();
            if (b < 0)
                throw new ImageFormatException($"{path}: the header ends early");
            if (b == '#')
            {
                while (b is >= 0 and not '\n')
                    b = s.ReadByte();
                continue;
            }
            if (char.IsWhiteSpace((char)b))
            {
                if (sb.Length > 0)
                    return sb.ToString();
                continue;
            }
            if (sb.Length > 10)
                throw new ImageFormatException($"{path}: header token '{sb}…' is too long");
            sb.Append((char)b);
        }
    }

    private static int Number(Stream s, string path, string what)
    {
        var t = Token(s, path);
        return int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v : throw new ImageFormatException($"{path}: {what} '{t}' is not a number");
    }
}
