using System.Buffers.Binary;
using Gateway.Hardware.Profiles;

namespace Gateway.Hardware.Framing;

/// <summary>One header field, compiled: where it is, how to read it, and where its value goes.</summary>
public sealed record HeaderFieldLayout(string Name, int Offset, string Type, bool BigEndian, string? Keyword, double Scale)
{
    public int Size => HeaderLayout.SizeOf(Type);

    public double Read(ReadOnlySpan<byte> header)
    {
        var b = header.Slice(Offset, Size);
        // Every arm as double: left to itself the switch would take float as the common type, and a u32 above 2^24
        // (a payload length, a frame number) would come out rounded.
        return Type switch
        {
            "u8" => (double)b[0],
            "u16" => (double)(BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b)),
            "u32" => (double)(BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b)),
            "i16" => (double)(BigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b)),
            "i32" => (double)(BigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b)),
            _ => (double)(BigEndian ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b)),
        };
    }

    public void Write(Span<byte> header, double value)
    {
        var b = header.Slice(Offset, Size);
        switch (Type)
        {
            case "u8":
                b[0] = (byte)value;
                break;
            case "u16" or "i16":
                var s = Type == "u16" ? (ushort)value : (ushort)(short)value;
                if (BigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, s); else BinaryPrimitives.WriteUInt16LittleEndian(b, s);
                break;
            case "u32" or "i32":
                var u = Type == "u32" ? (uint)value : (uint)(int)value;
                if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, u); else BinaryPrimitives.WriteUInt32LittleEndian(b, u);
                break;
            default:
                if (BigEndian) BinaryPrimitives.WriteSingleBigEndian(b, (float)value); else BinaryPrimitives.WriteSingleLittleEndian(b, (float)value);
                break;
        }
    }
}

/// <summary>The header field names that describe the frame itself.</summary>
public static class HeaderLayout
{
    public const string Width = "width", Height = "height", BitsStored = "bitsStored", Samples = "samples",
        FrameNumber = "frameNumber", PayloadLength = "payloadLength";

    public static readonly IReadOnlyList<string> KnownNames = [Width, Height, BitsStored, Samples, FrameNumber, PayloadLength];

    public static int SizeOf(string type) => type switch
    {
        "u8" => 1,
        "u16" or "i16" => 2,
        "u32" or "i32" or "f32" => 4,
        _ => 0,
    };
}

/// <summary>A validated frame protocol, compiled for the decoder and the simulator's encoder.</summary>
public sealed class FrameFormat
{
    public FrameFormat(FrameProtocolSettings s)
    {
        Settings = s;
        Sync = Hex.Parse(s.Sync, "frames.sync");
        HeaderLength = s.Header.Length;
        Fields = [.. s.Header.Fields.Select(f => new HeaderFieldLayout(f.Name, f.Offset, f.Type, (f.Endian ?? s.Header.Endian) == "big", f.Keyword, f.Scale))];
        ChecksumKind = ChecksumKinds.TryParse(s.Checksum.Type, out var kind) ? kind : throw new FormatException($"frames.checksum.type: '{s.Checksum.Type}' is unknown");
        ChecksumCoversHeader = s.Checksum.Covers != "payload";
        ChecksumCoversSync = s.Checksum.Covers == "sync+header+payload";
        ChecksumBigEndian = s.Checksum.Endian == "big";
        PixelBigEndian = s.PixelEndian == "big";
        Ack = Hex.Parse(s.Ack, "frames.ack");
        Nak = Hex.Parse(s.Nak, "frames.nak");
        Request = Hex.Parse(s.Request, "frames.request");
    }

    public FrameProtocolSettings Settings { get; }
    public byte[] Sync { get; }
    public int HeaderLength { get; }
    public IReadOnlyList<HeaderFieldLayout> Fields { get; }
    public ChecksumKind ChecksumKind { get; }
    public bool ChecksumCoversHeader { get; }
    public bool ChecksumCoversSync { get; }
    public bool ChecksumBigEndian { get; }
    public bool PixelBigEndian { get; }
    public byte[] Ack { get; }
    public byte[] Nak { get; }
    public byte[] Request { get; }

    public HeaderFieldLayout? Field(string name) => Fields.FirstOrDefault(f => f.Name == name);
}
