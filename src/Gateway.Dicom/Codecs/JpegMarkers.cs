using System.Buffers.Binary;

namespace Gateway.Dicom.Codecs;

/// <summary>Marker and marker-segment parsing shared by the JPEG codecs (T.81 §B.1.1.2–B.1.1.4), bounds-checked.</summary>
internal static class JpegMarkers
{
    /// <summary>The next marker at <paramref name="at"/>, skipping fill bytes (0xFF) before it.</summary>
    public static (byte Marker, int Start) Next(ReadOnlySpan<byte> data, ref int at)
    {
        var start = at;
        if (at >= data.Length || data[at] != 0xFF)
            throw new CodecDataException(at >= data.Length ? "the codestream ends without EOI" : $"expected a marker, found 0x{data[at]:X2}", at);
        while (at < data.Length && data[at] == 0xFF)
            at++;
        if (at >= data.Length)
            throw new CodecDataException("the codestream ends without EOI", start);
        return (data[at++], start);
    }

    public static ReadOnlySpan<byte> Segment(ReadOnlySpan<byte> data, ref int at, int start)
    {
        if (at + 2 > data.Length)
            throw new CodecDataException("a marker segment is cut off", start);
        var length = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
        if (length < 2 || at + length > data.Length)
            throw new CodecDataException($"a marker segment of {length} bytes does not fit the codestream", start);
        var segment = data.Slice(at + 2, length - 2);
        at += length;
        return segment;
    }

    /// <summary>The offset of the first marker (0xFF followed by neither 0x00 nor 0xFF… fill) at or after <paramref name="at"/>.</summary>
    public static int FindMarker(ReadOnlySpan<byte> data, int at)
    {
        while (at + 1 < data.Length && !(data[at] == 0xFF && data[at + 1] != 0x00))
            at++;
        return at;
    }

    /// <summary>B.2.4.2: one or more tables; DC-class ones go to <paramref name="dc"/>, AC-class ones to <paramref name="ac"/>.</summary>
    public static void ReadHuffmanTables(ReadOnlySpan<byte> segment, int start, JpegHuffmanTable?[] dc, JpegHuffmanTable?[]? ac)
    {
        var p = 0;
        while (p < segment.Length)
        {
            if (p + 17 > segment.Length)
                throw new CodecDataException("a DHT segment is cut off", start);
            var tc = segment[p] >> 4;
            var th = segment[p] & 0x0F;
            if (tc > 1 || th > 3)
                throw new CodecDataException($"Huffman table class {tc} destination {th} is not valid", start);
            var bits = segment.Slice(p + 1, 16);
            var total = 0;
            foreach (var b in bits)
                total += b;
            if (total > 256 || p + 17 + total > segment.Length)
                throw new CodecDataException("a DHT segment is cut off", start);
            JpegHuffmanTable table;
            try
            {
                table = new JpegHuffmanTable(bits, segment.Slice(p + 17, total));
            }
            catch (CodecDataException e)
            {
                throw new CodecDataException(e.Message, start);
            }
            if (tc == 0)
                dc[th] = table;
            else if (ac is not null)
                ac[th] = table;
            p += 17 + total;
        }
    }
}
