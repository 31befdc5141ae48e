namespace Gateway.Dicom.Codecs;

/// <summary>
/// Writes JPEG entropy-coded data (ITU-T T.81 §F.1.2.3 / §B.1.1.5): bits most significant first, a 0x00 stuffed after
/// every 0xFF so the data holds no marker, the last byte padded with one bits.
/// </summary>
internal sealed class JpegBitWriter(int capacity)
{
    private byte[] _buffer = new byte[Math.Max(capacity, 64)];
    private ulong _bits; // left-aligned
    private int _count;
    private int _position;

    public int Position => _position;
    public byte[] Buffer => _buffer;

    public void EnsureCapacity(int bytes)
    {
        if (_position + bytes + 16 <= _buffer.Length)
            return;
        var size = Math.Min(Array.MaxLength, Math.Max(_buffer.Length * 2L, _position + bytes + 16L));
        Array.Resize(ref _buffer, (int)size);
    }

    /// <summary>Appends the low <paramref name="count"/> (≤ 32) bits of <paramref name="value"/>.</summary>
    public void Write(uint value, int count)
    {
        if (count == 0)
            return;
        _bits |= ((ulong)value << (64 - count)) >> _count;
        _count += count;
        while (_count >= 8)
        {
            var b = (byte)(_bits >> 56);
            _bits <<= 8;
            _count -= 8;
            _buffer[_position++] = b;
            if (b == 0xFF)
                _buffer[_position++] = 0;
        }
    }

    public void Flush()
    {
        if (_count > 0)
            Write((1u << (8 - _count)) - 1, 8 - _count);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        EnsureCapacity(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }
}
