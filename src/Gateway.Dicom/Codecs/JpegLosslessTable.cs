using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// A Huffman table of JPEG lossless differences read in one step (T.81 §H.1.2.2 with §F.2.2.1): for the next
/// <see cref="LookupBits"/> bits of the scan, the difference category's code and its extra bits together, as
/// difference (modulo 2^16) &lt;&lt; 16 | bits used. Categories whose code and extra bits do not fit in the look-up
/// (and bit patterns that match no code) have 0 there and are decoded by <see cref="Slow"/> from the table's own
/// F.2.2.3 decoding, so the two give the same differences for every bit pattern.
/// </summary>
internal sealed class JpegLosslessTable
{
    /// <summary>12 bits: 16 KB a table (in the L1 cache), and most code + extra bits of detector and video noise fit.</summary>
    public const int LookupBits = 12;

    private readonly uint[] _entries = new uint[1 << LookupBits];
    private readonly JpegHuffmanTable _table;

    public JpegLosslessTable(JpegHuffmanTable table)
    {
        _table = table;
        // C.2: the codes in order of length (the table's constructor has checked that they fit their lengths).
        var code = 0;
        var k = 0;
        for (var length = 1; length <= 16; length++)
        {
            for (var i = 0; i < table.Bits[length]; i++, code++)
            {
                var ssss = table.Values[k++];
                var extra = ssss < 16 ? ssss : 0;
                if (ssss > 16 || length + extra > LookupBits)
                    continue;
                var free = LookupBits - length - extra;
                for (var bits = 0; bits < 1 << extra; bits++)
                {
                    var entry = (uint)(Difference(ssss, bits) & 0xFFFF) << 16 | (uint)(length + extra);
                    var first = ((code << extra) | bits) << free;
                    _entries.AsSpan(first, 1 << free).Fill(entry);
                }
            }
            code <<= 1;
        }
    }

    /// <summary>
    /// The entry for the look-ahead <paramref name="bits"/> (left-aligned): difference &lt;&lt; 16 | bits used, 0 when
    /// <see cref="Slow"/> must decode it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Entry(ulong bits) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), (nint)(bits >> (64 - LookupBits)));

    /// <summary>
    /// The same entry for a code or extra bits beyond the look-up, from a look-ahead with at least 31 bits of data
    /// (a 16-bit code and 15 extra bits); a pattern that matches no code, or a category above 16, is corrupt data.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public uint Slow(ulong bits, int position)
    {
        var e = _table.Symbol(bits, position);
        var length = e >> 8;
        var ssss = e & 0xFF;
        if (ssss > 16)
            throw new CodecDataException($"difference category {ssss} is above 16", position);
        var extra = ssss < 16 ? ssss : 0;
        var value = extra == 0 ? 0 : (int)((bits << length) >> (64 - extra));
        return (uint)(Difference(ssss, value) & 0xFFFF) << 16 | (uint)(length + extra);
    }

    /// <summary>H.1.2.2 / F.2.2.1: category 0 is 0, 16 is 32768 (no extra bits), otherwise EXTEND of the extra bits.</summary>
    private static int Difference(int ssss, int bits) => ssss switch
    {
        0 => 0,
        16 => 32768,
        _ => bits < 1 << (ssss - 1) ? bits - ((1 << ssss) - 1) : bits,
    };
}
