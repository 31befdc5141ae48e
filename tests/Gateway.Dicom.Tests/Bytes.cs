using System.Buffers.Binary;
using System.Text;

namespace Gateway.Dicom.Tests;

/// <summary>Builds hand-annotated DICOM byte streams for hostile-input tests.</summary>
internal sealed class Bytes
{
    private readonly List<byte> _ms = [];

    public Bytes Raw(params byte[] b)
    {
        _ms.AddRange(b.ToArray());
        return this;
    }

    public Bytes Tag(ushort group, ushort element)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(b, group);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], element);
        _ms.AddRange(b.ToArray());
        return this;
    }

    public Bytes U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        _ms.AddRange(b.ToArray());
        return this;
    }

    public Bytes U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _ms.AddRange(b.ToArray());
        return this;
    }

    public Bytes Ascii(string s) => Raw(Encoding.ASCII.GetBytes(s));

    /// <summary>An Explicit VR LE element with a 16-bit length.</summary>
    public Bytes Short(ushort group, ushort element, string vr, string value) =>
        Tag(group, element).Ascii(vr).U16((ushort)value.Length).Ascii(value);

    /// <summary>An Explicit VR LE element header with a 32-bit length.</summary>
    public Bytes LongHeader(ushort group, ushort element, string vr, uint length) =>
        Tag(group, element).Ascii(vr).U16(0).U32(length);

    /// <summary>A Part 10 preamble and minimal meta declaring the transfer syntax.</summary>
    public static Bytes Part10(string transferSyntax = "1.2.840.10008.1.2.1")
    {
        var ts = transferSyntax.Length % 2 == 1 ? transferSyntax + "\0" : transferSyntax;
        var b = new Bytes().Raw(new byte[128]).Ascii("DICM");
        b.Tag(0x0002, 0x0000).Ascii("UL").U16(4).U32((uint)(8 + ts.Length));
        return b.Short(0x0002, 0x0010, "UI", ts);
    }

    public byte[] ToArray() => [.. _ms];

    public MemoryStream Stream() => new(ToArray());
}

/// <summary>A stream that hides its length and cannot seek, like inflated data or a socket.</summary>
internal sealed class UnseekableStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
