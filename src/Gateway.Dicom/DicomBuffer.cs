namespace Gateway.Dicom;

/// <summary>
/// The bytes of one value, always little endian. Either held in memory or a range of a file that is read only when
/// asked for, so that parsing the metadata of a 1 GB multi-frame file does not touch its pixel data.
/// </summary>
public abstract class DicomBuffer
{
    public static readonly DicomBuffer Empty = new MemoryDicomBuffer(ReadOnlyMemory<byte>.Empty);

    public abstract long Length { get; }

    /// <summary>True when the bytes are in memory.</summary>
    public abstract bool IsLoaded { get; }

    /// <summary>The bytes, loaded if needed. Values over 2 GB cannot be loaded whole: stream them with <see cref="CopyTo"/>.</summary>
    public abstract ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Writes the bytes to a stream without holding more than a small buffer of them at once.</summary>
    public abstract void CopyTo(Stream destination);

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes starting at <paramref name="offset"/> (one frame of a
    /// multi-frame value) without loading the rest.
    /// </summary>
    public virtual void CopyRange(long offset, Span<byte> destination) =>
        Memory.Span.Slice(checked((int)offset), destination.Length).CopyTo(destination);

    public static DicomBuffer From(byte[] bytes) => new MemoryDicomBuffer(bytes);

    public static DicomBuffer From(ReadOnlyMemory<byte> bytes) => new MemoryDicomBuffer(bytes);

    /// <summary>Several buffers one after the other (e.g. the frames of a multi-frame image), never concatenated in memory.</summary>
    /// <summary>A range of a file, read when written (multi-frame pixel data collected on disk frame by frame).</summary>
    public static DicomBuffer FromFile(string path, long offset, long length) => new FileDicomBuffer(path, offset, length, 1);

    public static DicomBuffer Concat(IReadOnlyList<DicomBuffer> parts) => new CompositeDicomBuffer(parts);
}

internal sealed class MemoryDicomBuffer(ReadOnlyMemory<byte> bytes) : DicomBuffer
{
    public override long Length => bytes.Length;
    public override bool IsLoaded => true;
    public override ReadOnlyMemory<byte> Memory => bytes;
    public override void CopyTo(Stream destination) => destination.Write(bytes.Span);
}

/// <summary>
/// A range of a file, read on demand. <paramref name="swapUnit"/> &gt; 1 converts big-endian words while reading. With
/// <paramref name="handle"/> the range is read through it (the file the caller has open), else the file is opened by
/// <paramref name="path"/> for each read.
/// </summary>
internal sealed class FileDicomBuffer(string path, long offset, long length, int swapUnit, Microsoft.Win32.SafeHandles.SafeFileHandle? handle = null) : DicomBuffer
{
    private const int ChunkSize = 1 << 20;
    private ReadOnlyMemory<byte>? _loaded;

    public override long Length => length;
    public override bool IsLoaded => _loaded is not null;

    public override ReadOnlyMemory<byte> Memory
    {
        get
        {
            if (_loaded is { } m)
                return m;
            if (length > Array.MaxLength)
                throw new InvalidOperationException($"a value of {length} bytes is too large to load; stream it instead");
            var bytes = GC.AllocateUninitializedArray<byte>((int)length);
            using (var fs = Open())
                fs.ReadExactly(bytes);
            ByteSwap.InPlace(bytes, swapUnit);
            _loaded = bytes;
            return bytes;
        }
    }

    public override void CopyTo(Stream destination)
    {
        if (_loaded is { } m)
        {
            destination.Write(m.Span);
            return;
        }
        using var fs = Open();
        var chunk = new byte[(int)Math.Min(ChunkSize, Math.Max(length, 1))];
        var left = length;
        while (left > 0)
        {
            var n = (int)Math.Min(chunk.Length, left);
            fs.ReadExactly(chunk, 0, n);
            ByteSwap.InPlace(chunk.AsSpan(0, n), swapUnit);
            destination.Write(chunk, 0, n);
            left -= n;
        }
    }

    public override void CopyRange(long offset, Span<byte> destination)
    {
        if (_loaded is { } m)
        {
            m.Span.Slice(checked((int)offset), destination.Length).CopyTo(destination);
            return;
        }
        if (offset < 0 || offset + destination.Length > length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + destination.Length} are outside a {length}-byte value");
        using var fs = Open();
        var skew = (int)(offset % swapUnit);
        if (swapUnit > 1 && (skew != 0 || destination.Length % swapUnit != 0))
        {
            // A range that does not start and end on a word (8-bit samples in big-endian OW, frames of an odd number of
            // bytes): the words are counted from the value's start, as when it is loaded whole, so read the whole words
            // around the range, swap them and keep the part asked for.
            var end = Math.Min(length, (offset + destination.Length + swapUnit - 1) / swapUnit * swapUnit);
            var words = System.Buffers.ArrayPool<byte>.Shared.Rent((int)(end - (offset - skew)));
            try
            {
                var span = words.AsSpan(0, (int)(end - (offset - skew)));
                fs.Position += offset - skew;
                fs.ReadExactly(span);
                ByteSwap.InPlace(span, swapUnit);
                span.Slice(skew, destination.Length).CopyTo(destination);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(words);
            }
            return;
        }
        fs.Position += offset;
        fs.ReadExactly(destination);
        ByteSwap.InPlace(destination, swapUnit);
    }

    private Stream Open()
    {
        Stream fs = handle is not null ? new HandleReadStream(handle) : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (fs.Length < offset + length)
        {
            fs.Dispose();
            throw new IOException($"{path} is shorter than when it was read: a value at offset {offset} of {length} bytes is gone");
        }
        fs.Position = offset;
        return fs;
    }
}

/// <summary>Positional reads through a handle someone else owns (disposing this leaves it open).</summary>
internal sealed class HandleReadStream(Microsoft.Win32.SafeHandles.SafeFileHandle handle) : Stream
{
    private long _position;
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => RandomAccess.GetLength(handle);
    public override long Position { get => _position; set => _position = value; }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = RandomAccess.Read(handle, buffer, _position);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal sealed class CompositeDicomBuffer(IReadOnlyList<DicomBuffer> parts) : DicomBuffer
{
    public override long Length { get; } = parts.Sum(p => p.Length);
    public override bool IsLoaded => parts.All(p => p.IsLoaded);

    public override ReadOnlyMemory<byte> Memory
    {
        get
        {
            var all = new byte[checked((int)Length)];
            var at = 0;
            foreach (var p in parts)
            {
                p.Memory.Span.CopyTo(all.AsSpan(at));
                at += (int)p.Length;
            }
            return all;
        }
    }

    public override void CopyTo(Stream destination)
    {
        foreach (var p in parts)
            p.CopyTo(destination);
    }

    public override void CopyRange(long offset, Span<byte> destination)
    {
        foreach (var p in parts)
        {
            if (destination.IsEmpty)
                return;
            if (offset >= p.Length)
            {
                offset -= p.Length;
                continue;
            }
            var n = (int)Math.Min(p.Length - offset, destination.Length);
            p.CopyRange(offset, destination[..n]);
            destination = destination[n..];
            offset = 0;
        }
        if (!destination.IsEmpty)
            throw new ArgumentOutOfRangeException(nameof(offset), "the range reaches past the end of the value");
    }
}

/// <summary>A range of a file open for us (a scratch file that may have no name any more), read through its handle when asked for.</summary>
internal sealed class HandleDicomBuffer(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) : DicomBuffer
{
    private const int ChunkSize = 1 << 20;

    public override long Length => length;
    public override bool IsLoaded => false;

    public override ReadOnlyMemory<byte> Memory
    {
        get
        {
            if (length > Array.MaxLength)
                throw new InvalidOperationException($"a value of {length} bytes is too large to load; stream it instead");
            var bytes = GC.AllocateUninitializedArray<byte>((int)length);
            CopyRange(0, bytes);
            return bytes;
        }
    }

    public override void CopyTo(Stream destination)
    {
        // Pooled: a value of many frames is written as many of these, one after the other.
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkSize, Math.Max(length, 1)));
        try
        {
            for (long at = 0; at < length;)
            {
                var n = (int)Math.Min(Math.Min(chunk.Length, ChunkSize), length - at);
                CopyRange(at, chunk.AsSpan(0, n));
                destination.Write(chunk, 0, n);
                at += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public override void CopyRange(long start, Span<byte> destination)
    {
        if (start < 0 || start + destination.Length > length)
            throw new ArgumentOutOfRangeException(nameof(start), $"bytes {start}..{start + destination.Length} are outside a {length}-byte value");
        var at = offset + start;
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, at);
            if (n == 0)
                throw new IOException($"a scratch file is shorter than what was written to it: {destination.Length} bytes at offset {at} are gone");
            destination = destination[n..];
            at += n;
        }
    }
}
