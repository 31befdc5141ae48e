namespace Gateway.Dicom.Codecs;

/// <summary>
/// Writes a JPEG-LS scan's bits most significant first (T.87 §A.1). After a 0xFF byte the next byte carries only seven
/// bits behind a zero (marker-free stuffing, §A.1 and §9.1), so the scan never contains a marker.
/// </summary>
internal sealed class JpegLsBitWriter(byte[] buffer, int start)
{
    private byte[] _buffer = buffer;
    private ulong _bits; // pending bits, left-aligned
    private int _count;
    private int _position = start;
    private bool _afterFF;

    public int Position => _position;

    /// <summary>The bytes written so far start at 0 of this array (it grows as needed).</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Makes room for <paramref name="bytes"/> more bytes (call before each line with its worst case).</summary>
    public void EnsureCapacity(int bytes)
    {
        if (_position + bytes + 16 <= _buffer.Length)
            return;
        var grown = new byte[Math.Max(_buffer.Length * 2L, _position + bytes + 16L) is var n && n > Array.MaxLength ? Array.MaxLength : (int)n];
        _buffer.AsSpan(0, _position).CopyTo(grown);
        _buffer = grown;
    }

    /// <summary>Appends whole bytes (marker segments) after <see cref="Flush"/>.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        EnsureCapacity(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    /// <summary>Appends the low <paramref name="count"/> (≤ 32) bits of <paramref name="value"/>.</summary>
    public void Write(uint value, int count)
    {
        if (count == 0)
            return;
        _bits |= (ulong)value << (64 - count) >> _count;
        _count += count;
        if (_count >= 8)
            Drain();
    }

    public void WriteZeros(int count)
    {
        while (count > 0)
        {
            var n = Math.Min(count, 24);
            _count += n;
            count -= n;
            Drain();
        }
    }

    private void Drain()
    {
        while (true)
        {
            if (_afterFF)
            {
                if (_count < 7)
                    return;
                var b = (byte)(_bits >> 57);
                _bits <<= 7;
                _count -= 7;
                _buffer[_position++] = b;
                _afterFF = false;
            }
            else
            {
                if (_count < 8)
                    return;
                var b = (byte)(_bits >> 56);
                _bits <<= 8;
                _count -= 8;
                _buffer[_position++] = b;
                _afterFF = b == 0xFF;
            }
        }
    }

    /// <summary>Pads the last byte with zeros; a final 0xFF gets a zero byte after it so no marker is formed.</summary>
    public void Flush()
    {
        if (_count > 0)
            _count = _afterFF ? 7 : 8;
        Drain();
        if (_afterFF)
        {
            _buffer[_position++] = 0;
            _afterFF = false;
        }
    }
}
