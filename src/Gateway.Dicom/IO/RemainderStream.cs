namespace Gateway.Dicom;

/// <summary>The bytes of a stream from where a <see cref="DicomInput"/> stands: what it buffered first, then the stream.</summary>
internal sealed class RemainderStream(Stream inner, DicomInput buffered) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        var n = buffered.DrainBuffered(destination);
        return n > 0 ? n : inner.Read(destination);
    }
}
