using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// A JPEG Huffman table (T.81 §B.2.4.2, Annex C): BITS (codes of each length 1–16) and HUFFVAL. Built from symbol
/// counts by the procedure of Annex K.2 (code lengths limited to 16, the all-ones code reserved), and turned into an
/// encoding table (§C.2) or a decoding table (§F.2.2.3 with a 9-bit look-up for short codes).
/// </summary>
internal sealed class JpegHuffmanTable
{
    private const int LookupBits = 9;
    private const int AcBits = 10;

    public byte[] Bits { get; } = new byte[17]; // Bits[1..16]
    public byte[] Values { get; }

    // Encoding: code and length per symbol.
    private readonly ushort[] _code = new ushort[256];
    private readonly byte[] _size = new byte[256];

    // Decoding.
    private readonly int[] _maxCode = new int[18];
    private readonly int[] _valPtr = new int[17];
    private readonly int[] _minCode = new int[17];
    private readonly ushort[] _lookup = new ushort[1 << LookupBits]; // (length << 8) | value, 0 = not short
    private readonly int[] _ac = new int[1 << AcBits]; // AC code and extra bits at once: value << 16 | run << 8 | length, 0 = not here

    public JpegHuffmanTable(ReadOnlySpan<byte> bits16, ReadOnlySpan<byte> values)
    {
        bits16.CopyTo(Bits.AsSpan(1));
        Values = values.ToArray();
        var total = 0;
        for (var l = 1; l <= 16; l++)
            total += Bits[l];
        if (total != Values.Length || total > 256)
            throw new CodecDataException($"a Huffman table declares {total} codes and holds {Values.Length}", 0);
        Build();
    }

    public int SizeOf(int symbol) => _size[symbol];

    /// <summary>The code of each symbol (its length in <see cref="CodeSizes"/>), for encoders that write bits themselves.</summary>
    public ReadOnlySpan<ushort> Codes => _code;

    public ReadOnlySpan<byte> CodeSizes => _size;

    /// <summary>K.2: optimal code lengths for <paramref name="counts"/> (symbol → count, 256 entries), at most 16 bits.</summary>
    public static JpegHuffmanTable FromCounts(ReadOnlySpan<long> counts)
    {
        var freq = new long[257];
        counts.CopyTo(freq);
        freq[256] = 1; // reserved so that no code is all ones (K.2)
        var codeSize = new int[257];
        var others = new int[257];
        Array.Fill(others, -1);
        while (true)
        {
            int v1 = -1, v2 = -1;
            for (var i = 0; i < 257; i++)
            {
                if (freq[i] == 0)
                    continue;
                if (v1 < 0 || freq[i] <= freq[v1])
                {
                    v2 = v1;
                    v1 = i;
                }
                else if (v2 < 0 || freq[i] <= freq[v2])
                {
                    v2 = i;
                }
            }
            if (v2 < 0)
                break;
            // Merge the two least frequent trees (v2 into v1, which keeps the combined count).
            freq[v1] += freq[v2];
            freq[v2] = 0;
            codeSize[v1]++;
            var t = v1;
            while (others[t] >= 0)
            {
                t = others[t];
                codeSize[t]++;
            }
            others[t] = v2;
            codeSize[v2]++;
            t = v2;
            while (others[t] >= 0)
            {
                t = others[t];
                codeSize[t]++;
            }
        }
        var bits = new int[33];
        for (var i = 0; i < 257; i++)
        {
            if (codeSize[i] > 0)
                bits[codeSize[i]]++;
        }
        // K.3 Adjust_BITS: no code longer than 16 bits.
        for (var i = 32; i > 16; i--)
        {
            while (bits[i] > 0)
            {
                var j = i - 2;
                while (bits[j] == 0)
                    j--;
                bits[i] -= 2;
                bits[i - 1]++;
                bits[j + 1] += 2;
                bits[j]--;
            }
        }
        var longest = 16;
        while (bits[longest] == 0)
            longest--;
        bits[longest]--; // drop the reserved code
        // K.4 Sort_input: symbols by code size.
        var values = new List<byte>();
        for (var size = 1; size <= 32; size++)
        {
            for (var s = 0; s < 256; s++)
            {
                if (codeSize[s] == size)
                    values.Add((byte)s);
            }
        }
        var b16 = new byte[16];
        for (var l = 1; l <= 16; l++)
            b16[l - 1] = (byte)bits[l];
        return new JpegHuffmanTable(b16, values.ToArray());
    }

    private void Build()
    {
        // C.2: code lengths and codes in order.
        var code = 0;
        var k = 0;
        for (var l = 1; l <= 16; l++)
        {
            _valPtr[l] = k;
            _minCode[l] = code;
            for (var i = 0; i < Bits[l]; i++)
            {
                var v = Values[k++];
                _code[v] = (ushort)code;
                _size[v] = (byte)l;
                var extra = v & 15;
                if (extra > 0 && l + extra <= AcBits)
                {
                    // F.2.2.2 read as an AC symbol: run (high nibble), then a coefficient of `extra` bits (EXTEND).
                    var free = AcBits - l - extra;
                    for (var bits = 0; bits < 1 << extra; bits++)
                    {
                        var value = bits < 1 << (extra - 1) ? bits - (1 << extra) + 1 : bits;
                        var entry = (value << 16) | ((v >> 4) << 8) | (l + extra);
                        var prefix = ((code << extra) | bits) << free;
                        for (var fill = 0; fill < 1 << free; fill++)
                            _ac[prefix | fill] = entry;
                    }
                }
                if (l <= LookupBits)
                {
                    var shift = LookupBits - l;
                    for (var fill = 0; fill < 1 << shift; fill++)
                        _lookup[(code << shift) | fill] = (ushort)((l << 8) | v);
                }
                code++;
            }
            _maxCode[l] = Bits[l] > 0 ? code - 1 : -1;
            if (code > 1 << l)
                throw new CodecDataException("a Huffman table has more codes of a length than the length allows", 0);
            code <<= 1;
        }
        _maxCode[17] = int.MaxValue;
    }

    public void Encode(JpegBitWriter writer, int symbol)
    {
        var size = _size[symbol];
        if (size == 0)
            throw new InvalidOperationException($"symbol {symbol} has no code in this table");
        writer.Write(_code[symbol], size);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Decode(ref JpegBitReader reader)
    {
        var peek = reader.Peek16();
        int e = _lookup[peek >> (16 - LookupBits)];
        if (e == 0)
            e = DecodeLong(peek, reader.Position);
        reader.Skip(e >> 8);
        return e & 0xFF;
    }

    /// <summary>
    /// The symbol the look-ahead <paramref name="bits"/> (left-aligned, at least 16 of them data) starts with:
    /// length &lt;&lt; 8 | value, nothing consumed.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Symbol(ulong bits, int position)
    {
        int e = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lookup), (nint)(bits >> (64 - LookupBits)));
        return e != 0 ? e : DecodeLong((int)(bits >> 48), position);
    }

    /// <summary>
    /// An AC symbol with a coefficient, when its code and extra bits fit in the look-ahead <paramref name="bits"/>
    /// (left-aligned): value &lt;&lt; 16 | run &lt;&lt; 8 | bits used. 0 for EOB, ZRL and longer ones: then <see cref="Symbol"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int AcEntry(ulong bits) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_ac), (nint)(bits >> (64 - AcBits)));

    /// <summary>F.2.2.3 DECODE for codes longer than the look-up: length &lt;&lt; 8 | value.</summary>
    private int DecodeLong(int peek, int position)
    {
        for (var l = LookupBits + 1; l <= 16; l++)
        {
            var code = peek >> (16 - l);
            if (code <= _maxCode[l] && _maxCode[l] >= 0)
                return (l << 8) | Values[_valPtr[l] + code - _minCode[l]];
        }
        throw new CodecDataException("a bit pattern matches no code of the Huffman table", position);
    }
}
