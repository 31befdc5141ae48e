namespace Gateway.Dicom.Codecs;

/// <summary>
/// The tables of ITU-T T.81 a baseline (Process 1) encoder uses: the zig-zag order (Figure A.6), the example
/// quantization tables of Annex K.1 (Tables K.1, K.2) scaled by a quality 1–100, and the typical Huffman tables of
/// Annex K.3 (Tables K.3–K.6, given as BITS and HUFFVAL).
/// </summary>
internal static class JpegBaselineTables
{
    /// <summary>ZigZag[i] is the natural (row-major, row = vertical frequency) index of the i-th coefficient in zig-zag order.</summary>
    public static readonly byte[] ZigZag = BuildZigZag();

    /// <summary>Where the i-th zig-zag coefficient sits in <see cref="JpegDct"/>'s transposed block: (v, u) at u·8 + v.</summary>
    public static readonly byte[] ZigZagTransposed = [.. ZigZag.Select(k => (byte)((k & 7) * 8 + (k >> 3)))];

    /// <summary>Table K.1, luminance, natural order.</summary>
    public static ReadOnlySpan<byte> Luminance =>
    [
        16, 11, 10, 16, 24, 40, 51, 61,
        12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77,
        24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101,
        72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>Table K.2, chrominance, natural order.</summary>
    public static ReadOnlySpan<byte> Chrominance =>
    [
        17, 18, 24, 47, 99, 99, 99, 99,
        18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99,
    ];

    /// <summary>
    /// A K.1/K.2 table scaled for <paramref name="quality"/> 1–100 with the scaling the Independent JPEG Group made the
    /// common convention (quality 50 is the table as printed, below it 5000/q percent, above it 200 − 2q percent),
    /// so that "quality 90" means what it means to cjpeg and to users. Entries are clamped to 1–255 (8-bit DQT).
    /// </summary>
    public static byte[] Scaled(ReadOnlySpan<byte> table, int quality)
    {
        if (quality is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(quality), quality, "JPEG quality is 1–100");
        var percent = quality < 50 ? 5000 / quality : 200 - 2 * quality;
        var result = new byte[64];
        for (var i = 0; i < 64; i++)
            result[i] = (byte)Math.Clamp((table[i] * percent + 50) / 100, 1, 255);
        return result;
    }

    // Table K.3: luminance DC. Table K.4: chrominance DC.
    public static ReadOnlySpan<byte> DcLuminanceBits => [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    public static ReadOnlySpan<byte> DcChrominanceBits => [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    public static ReadOnlySpan<byte> DcValues => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    // Table K.5: luminance AC.
    public static ReadOnlySpan<byte> AcLuminanceBits => [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D];
    public static ReadOnlySpan<byte> AcLuminanceValues =>
    [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
        0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
        0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
        0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
        0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
        0xF9, 0xFA,
    ];

    // Table K.6: chrominance AC.
    public static ReadOnlySpan<byte> AcChrominanceBits => [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
    public static ReadOnlySpan<byte> AcChrominanceValues =>
    [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
        0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
        0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
        0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
        0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
        0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
        0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
        0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
        0xF9, 0xFA,
    ];

    public static readonly JpegHuffmanTable DcLuminance = new(DcLuminanceBits, DcValues);
    public static readonly JpegHuffmanTable DcChrominance = new(DcChrominanceBits, DcValues);
    public static readonly JpegHuffmanTable AcLuminance = new(AcLuminanceBits, AcLuminanceValues);
    public static readonly JpegHuffmanTable AcChrominance = new(AcChrominanceBits, AcChrominanceValues);

    /// <summary>Figure A.6: walk the anti-diagonals, alternating direction, starting to the right.</summary>
    private static byte[] BuildZigZag()
    {
        var order = new byte[64];
        var i = 0;
        for (var s = 0; s < 15; s++)
        {
            var rowFirst = Math.Max(0, s - 7);
            var rowLast = Math.Min(7, s);
            if (s % 2 == 0)
            {
                for (var row = rowLast; row >= rowFirst; row--)
                    order[i++] = (byte)(row * 8 + s - row); // up and to the right
            }
            else
            {
                for (var row = rowFirst; row <= rowLast; row++)
                    order[i++] = (byte)(row * 8 + s - row); // down and to the left
            }
        }
        return order;
    }
}
