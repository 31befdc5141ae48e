using System.Buffers.Binary;

namespace Gateway.Dicom;

/// <summary>
/// A buffered, forward-only reader over a stream that tracks the absolute offset and, when the stream has a known
/// length, how many bytes remain, so that no declared length is trusted before the bytes are there.
/// </summary>
internal sealed class DicomInput
{
    private const int BufferSize = 64 * 1024;
    private const int UnknownLengthChunk = 1 << 20;

    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private int _pos;
    private int _len;
    private long _bufferStart;
    private readonly long _origin;

    public DicomInput(Stream stream, string? path = null, long origin = 0, int bufferSize = BufferSize)
    {
        _buffer = new byte[bufferSize];
        _stream = stream;
        Path = path;
        _origin = origin;
        _bufferStart = stream.CanSeek ? stream.Position : 0;
        Length = stream.CanSeek ? stream.Length : null;
    }

    /// <summary>The file behind the stream, when values may be left on disk.</summary>
    public string? Path { get; }

    /// <summary>When set, values left on disk are read through this handle (the very file opened), not by <see cref="Path"/>.</summary>
    public Microsoft.Win32.SafeHandles.SafeFileHandle? Handle { get; init; }

    /// <summary>The stream's length, or null when unknown (inflated, network).</summary>
    public long? Length { get; }

    /// <summary>Absolute offset of the next byte (in the inflated data for deflated files, plus <c>origin</c>).</summary>
    public long Position => _bufferStart + _pos + _origin;

    public long? Remaining => Length is { } l ? l - (_bufferStart + _pos) : null;

    public bool CanSeek => _stream.CanSeek;

    /// <summary>Makes <paramref name="count"/> bytes available in the buffer; false at the end of the stream.</summary>
    public bool TryEnsure(int count)
    {
        if (_len - _pos >= count)
            return true;
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _len - _pos);
            _bufferStart += _pos;
            _len -= _pos;
            _pos = 0;
        }
        while (_len < count)
        {
            var n = _stream.Read(_buffer, _len, _buffer.Length - _len);
            if (n == 0)
                return false;
            _len += n;
        }
        return true;
    }

    public bool AtEnd => !TryEnsure(1);

    public ReadOnlySpan<byte> Peek(int count) => _buffer.AsSpan(_pos, count);

    public ushort ReadUInt16(bool bigEndian)
    {
        var s = _buffer.AsSpan(_pos, 2);
        _pos += 2;
        return bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    }

    public uint ReadUInt32(bool bigEndian)
    {
        var s = _buffer.AsSpan(_pos, 4);
        _pos += 4;
        return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
    }

    public byte ReadByte() => _buffer[_pos++];

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes. When the stream's length is unknown the array grows with the
    /// bytes that actually arrive, so a lying length cannot make us allocate more than is there (plus one chunk).
    /// </summary>
    public byte[]? TryReadBytes(long count)
    {
        if (count > Array.MaxLength)
            return null;
        if (Remaining is { } r && count > r)
            return null;
        var n = (int)count;
        if (Length is null && n > UnknownLengthChunk)
        {
            using var ms = new MemoryStream();
            var chunk = new byte[UnknownLengthChunk];
            var left = n;
            while (left > 0)
            {
                var got = ReadInto(chunk.AsSpan(0, Math.Min(left, chunk.Length)));
                if (got == 0)
                    return null;
                ms.Write(chunk, 0, got);
                left -= got;
            }
            return ms.ToArray();
        }
        var bytes = GC.AllocateUninitializedArray<byte>(n);
        var at = 0;
        while (at < n)
        {
            var got = ReadInto(bytes.AsSpan(at));
            if (got == 0)
                return null;
            at += got;
        }
        return bytes;
    }

    private int ReadInto(Span<byte> destination)
    {
        var buffered = _len - _pos;
        if (buffered > 0)
        {
            var n = Math.Min(buffered, destination.Length);
            _buffer.AsSpan(_pos, n).CopyTo(destination);
            _pos += n;
            return n;
        }
        if (destination.Length >= _buffer.Length)
        {
            var got = _stream.Read(destination);
            _bufferStart += got;
            return got;
        }
        return TryEnsure(1) ? ReadInto(destination) : 0;
    }

    /// <summary>Skips bytes (seeking when possible); false when fewer remain.</summary>
    public bool TrySkip(long count)
    {
        if (Remaining is { } r && count > r)
            return false;
        var buffered = _len - _pos;
        if (count <= buffered)
        {
            _pos += (int)count;
            return true;
        }
        if (_stream.CanSeek)
        {
            var target = _bufferStart + _pos + count;
            _stream.Position = target;
            _bufferStart = target;
            _pos = _len = 0;
            return true;
        }
        var left = count;
        while (left > 0)
        {
            if (!TryEnsure(1))
                return false;
            var n = (int)Math.Min(left, _len - _pos);
            _pos += n;
            left -= n;
        }
        return true;
    }

    /// <summary>Hands out the bytes already buffered (to continue reading the raw stream elsewhere).</summary>
    public int DrainBuffered(Span<byte> destination)
    {
        var n = Math.Min(_len - _pos, destination.Length);
        _buffer.AsSpan(_pos, n).CopyTo(destination);
        _pos += n;
        return n;
    }
}
