using System.Buffers.Binary;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Reads JPEG entropy-coded data (T.81 §F.2.2.5): removes the 0x00 stuffed after 0xFF and stops at a marker, past
/// which it supplies one bits; reading far past it is a truncated codestream.
/// </summary>
internal ref struct JpegBitReader
{
    private const int MaxPadBytes = 16;
    private readonly ReadOnlySpan<byte> _data;
    private ulong _bits; // left-aligned
    private int _count;
    private int _position;
    private int _padBytes;
    private bool _atMarker;

    public JpegBitReader(ReadOnlySpan<byte> data, int start)
    {
        _data = data;
        _position = start;
        Fill();
    }

    /// <summary>The offset of the next unread byte (the marker that ends the scan once the scan is decoded).</summary>
    public readonly int Position => _position;

    /// <summary>
    /// The look-ahead (left-aligned) and how many of its bits are data, for a decoder that keeps them in locals while
    /// it decodes a block and calls <see cref="Refill"/> when fewer than 32 are left.
    /// </summary>
    public ulong Bits
    {
        readonly get => _bits;
        set => _bits = value;
    }

    public int Count
    {
        readonly get => _count;
        set => _count = value;
    }

    /// <summary>Tops the look-ahead up to more than 56 bits (one bits past a marker).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void Refill() => Fill();

    /// <summary>
    /// <see cref="Refill"/> for a look-ahead the caller keeps in locals: whole bytes at once, inline, while the next
    /// eight hold no 0xFF; otherwise through the stuffing- and marker-aware fill.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Refill(ref ulong bits, ref int count)
    {
        if (!_atMarker && count <= 56 && _position <= _data.Length - 8)
        {
            var word = BinaryPrimitives.ReadUInt64BigEndian(_data.Slice(_position, 8));
            if (((~word - 0x0101010101010101UL) & word & 0x8080808080808080UL) == 0)
            {
                var take = (64 - count) >> 3;
                bits |= (word >> (64 - 8 * take)) << (64 - count - 8 * take);
                count += 8 * take;
                _position += take;
                return;
            }
        }
        (_bits, _count) = (bits, count);
        Refill();
        (bits, count) = (_bits, _count);
    }

    private void Fill()
    {
        // Whole bytes at once while the next eight hold no 0xFF (so no stuffing and no marker among them).
        if (!_atMarker && _count <= 56 && _position <= _data.Length - 8)
        {
            var word = BinaryPrimitives.ReadUInt64BigEndian(_data[_position..]);
            if (((~word - 0x0101010101010101UL) & word & 0x8080808080808080UL) == 0)
            {
                var take = (64 - _count) >> 3;
                _bits |= (word >> (64 - 8 * take)) << (64 - _count - 8 * take);
                _count += 8 * take;
                _position += take;
                return;
            }
        }
        while (_count <= 56)
        {
            if (_atMarker || _position >= _data.Length)
            {
                if (++_padBytes > MaxPadBytes)
                    throw new CodecDataException("the JPEG scan ends before the image is complete", _position);
                _bits |= 0xFFUL << (56 - _count);
                _count += 8;
                continue;
            }
            var b = _data[_position];
            if (b == 0xFF)
            {
                var next = _position + 1 < _data.Length ? _data[_position + 1] : 0xD9;
                if (next != 0)
                {
                    _atMarker = true; // leave _position on the marker
                    continue;
                }
                _position += 2;
            }
            else
            {
                _position++;
            }
            _bits |= (ulong)b << (56 - _count);
            _count += 8;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Peek16()
    {
        if (_count < 16)
            Fill();
        return (int)(_bits >> 48);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Skip(int count)
    {
        _bits <<= count;
        _count -= count;
        if (_count < 32)
            Fill();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Read(int count)
    {
        if (count == 0)
            return 0;
        if (_count < count)
            Fill();
        var v = (int)(_bits >> (64 - count));
        Skip(count);
        return v;
    }
}
