namespace Gateway.Dicom.Network;

/// <summary>A memory stream that refuses to grow beyond a limit (a hostile data set is a protocol error, not 2 GB).</summary>
internal sealed class BoundedMemoryStream(int limit, string what) : MemoryStream
{
    private void Check(int count)
    {
        if (Length + count > limit)
            throw new DicomProtocolException($"{what} longer than {limit} bytes", AbortReason.InvalidPduParameterValue);
    }

    // MemoryStream's array overload is the primitive here: the span overload of a derived MemoryStream goes through
    // Stream.Write(span), which calls back into Write(byte[], …).
    public override void Write(byte[] buffer, int offset, int count)
    {
        Check(count);
        base.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Check(buffer.Length);
        var at = (int)Position;
        if (Length < at + buffer.Length)
            SetLength(at + buffer.Length);
        buffer.CopyTo(GetBuffer().AsSpan(at));
        Position = at + buffer.Length;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }
}
