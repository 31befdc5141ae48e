using System.IO.Hashing;

namespace Gateway.Hardware.Framing;

/// <summary>The checksums a frame protocol may declare.</summary>
public enum ChecksumKind
{
    None,
    /// <summary>Sum of the covered bytes modulo 256 (1 byte).</summary>
    Sum8,
    /// <summary>CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR (2 bytes; "123456789" → 0x29B1).</summary>
    Crc16Ccitt,
    /// <summary>CRC-32 of IEEE 802.3 / zlib (4 bytes; "123456789" → 0xCBF43926).</summary>
    Crc32,
}

public static class ChecksumKinds
{
    public static int Size(this ChecksumKind kind) => kind switch
    {
        ChecksumKind.None => 0,
        ChecksumKind.Sum8 => 1,
        ChecksumKind.Crc16Ccitt => 2,
        _ => 4,
    };

    /// <summary>The profile's names: none, sum8, crc16-ccitt, crc32.</summary>
    public static bool TryParse(string name, out ChecksumKind kind)
    {
        kind = name switch
        {
            "none" => ChecksumKind.None,
            "sum8" => ChecksumKind.Sum8,
            "crc16-ccitt" => ChecksumKind.Crc16Ccitt,
            "crc32" => ChecksumKind.Crc32,
            _ => (ChecksumKind)(-1),
        };
        return Enum.IsDefined(kind);
    }
}

/// <summary>A checksum computed as the bytes arrive, so a frame is checked without a second pass over its payload.</summary>
public sealed class Checksum
{
    private static readonly ushort[] Crc16Table = BuildCrc16Table();
    private readonly ChecksumKind _kind;
    private readonly Crc32? _crc32;
    private uint _value;

    public Checksum(ChecksumKind kind)
    {
        _kind = kind;
        _crc32 = kind == ChecksumKind.Crc32 ? new Crc32() : null;
        Reset();
    }

    public void Reset()
    {
        _value = _kind == ChecksumKind.Crc16Ccitt ? 0xFFFFu : 0u;
        _crc32?.Reset();
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        switch (_kind)
        {
            case ChecksumKind.Sum8:
                uint sum = 0;
                foreach (var b in data)
                    sum += b;
                _value = (_value + sum) & 0xFF;
                break;
            case ChecksumKind.Crc16Ccitt:
                var crc = (ushort)_value;
                foreach (var b in data)
                    crc = (ushort)((crc << 8) ^ Crc16Table[(crc >> 8) ^ b]);
                _value = crc;
                break;
            case ChecksumKind.Crc32:
                _crc32!.Append(data);
                break;
        }
    }

    public uint Value => _kind == ChecksumKind.Crc32 ? _crc32!.GetCurrentHashAsUInt32() : _value;

    public static uint Compute(ChecksumKind kind, ReadOnlySpan<byte> data)
    {
        var c = new Checksum(kind);
        c.Append(data);
        return c.Value;
    }

    private static ushort[] BuildCrc16Table()
    {
        var table = new ushort[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ushort)(i << 8);
            for (var bit = 0; bit < 8; bit++)
                crc = (ushort)((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
            table[i] = crc;
        }
        return table;
    }
}
