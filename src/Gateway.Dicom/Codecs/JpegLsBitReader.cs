using System.Numerics;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// Reads a JPEG-LS scan (T.87 §A.1), undoing the bit stuffing after 0xFF. The scan ends at a marker (0xFF followed by a
/// byte with its high bit set); past it the reader supplies zeros, and reading far past it is a truncated codestream.
/// </summary>
internal ref struct JpegLsBitReader
{
    private const int MaxPadBytes = 16;
    private readonly ReadOnlySpan<byte> _data;
    private ulong _bits; // left-aligned
    private int _count;
    private int _position;
    private int _end; // where the scan's marker starts, once found
    private int _padBytes;
    private bool _afterFF;

    public JpegLsBitReader(ReadOnlySpan<byte> data, int start)
    {
        _data = data;
        _position = start;
        _end = -1;
        Fill();
    }

    /// <summary>The offset of the marker that ends the scan (valid after the scan is decoded).</summary>
    public int ScanEnd
    {
        get
        {
            // Bits still buffered were read ahead: find the marker from where whole bytes were consumed.
            if (_end >= 0)
                return _end;
            var p = _position;
            while (p + 1 < _data.Length && !(_data[p] == 0xFF && _data[p + 1] >= 0x80))
                p++;
            return p;
        }
    }

    public int Position => _position;

    /// <summary>
    /// The look-ahead (left-aligned) and how many of its bits are data, for a decoder that keeps them in locals while
    /// it decodes a line and calls <see cref="Refill"/> when fewer than 32 are left.
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

    /// <summary>Tops the look-ahead up to more than 56 bits (zeros past the scan's end).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void Refill() => Fill();

    private void Fill()
    {
        while (_count <= 56)
        {
            if (_end >= 0 || _position >= _data.Length)
            {
                if (_end < 0)
                    _end = _data.Length;
                if (++_padBytes > MaxPadBytes)
                    throw new CodecDataException("the JPEG-LS scan ends before the image is complete", _end);
                _count += 8;
                continue;
            }
            var b = _data[_position];
            if (_afterFF)
            {
                if (b >= 0x80)
                {
                    _end = _position - 1; // the 0xFF before this byte starts a marker
                    continue;
                }
                _bits |= (ulong)b << (57 - _count);
                _count += 7;
                _afterFF = false;
            }
            else
            {
                if (b == 0xFF && _position + 1 < _data.Length && _data[_position + 1] >= 0x80)
                {
                    _end = _position;
                    continue;
                }
                _bits |= (ulong)b << (56 - _count);
                _count += 8;
                _afterFF = b == 0xFF;
            }
            _position++;
        }
    }

    public int ReadBit()
    {
        if (_count == 0)
            Fill();
        var bit = (int)(_bits >> 63);
        _bits <<= 1;
        _count--;
        if (_count < 8)
            Fill();
        return bit;
    }

    /// <summary>Reads <paramref name="count"/> (≤ 32) bits.</summary>
    public int Read(int count)
    {
        if (count == 0)
            return 0;
        if (_count < count)
            Fill();
        var v = (int)(_bits >> (64 - count));
        _bits <<= count;
        _count -= count;
        if (_count < 32)
            Fill();
        return v;
    }

    /// <summary>Counts zero bits up to the next one bit and consumes both; stops at <paramref name="max"/> + 1 zeros.</summary>
    public int ReadUnary(int max)
    {
        var zeros = 0;
        while (true)
        {
            if (_bits != 0)
            {
                var lz = BitOperations.LeadingZeroCount(_bits);
                if (lz < _count)
                {
                    zeros += lz;
                    _bits <<= lz + 1;
                    _count -= lz + 1;
                    if (_count < 32)
                        Fill();
                    return zeros;
                }
            }
            zeros += _count;
            _bits = 0;
            _count = 0;
            if (zeros > max)
                return zeros;
            Fill();
        }
    }
}
