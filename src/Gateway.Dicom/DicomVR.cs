namespace Gateway.Dicom;

/// <summary>How a VR's value is made of bytes.</summary>
public enum DicomVRKind
{
    /// <summary>Character string, possibly multi-valued with backslash.</summary>
    Text,
    /// <summary>Fixed-size binary numbers (US, SL, FD, AT …).</summary>
    Binary,
    /// <summary>Byte or word streams (OB, OW, OF …, UN).</summary>
    Bulk,
    /// <summary>Sequence of items.</summary>
    Sequence,
}

/// <summary>
/// A Value Representation with its encoding rules, one instance per VR of PS3.5 §6.2 (Table 6.2-1).
/// </summary>
public sealed class DicomVR
{
    private DicomVR(string code, string name, DicomVRKind kind, bool longLength, byte padding, long maxLength,
        int unitSize, bool multiValued, bool usesCharacterSet, bool lengthInCharacters = false)
    {
        Code = code;
        Name = name;
        Kind = kind;
        HasLongLength = longLength;
        PaddingByte = padding;
        MaxLength = maxLength;
        UnitSize = unitSize;
        IsMultiValued = multiValued;
        UsesCharacterSet = usesCharacterSet;
        MaxLengthInCharacters = lengthInCharacters;
        CodeValue = (ushort)((code[0] << 8) | code[1]);
    }

    /// <summary>The two-letter code, e.g. "PN".</summary>
    public string Code { get; }
    public string Name { get; }
    public DicomVRKind Kind { get; }
    /// <summary>True when Explicit VR encodes the length in 32 bits after two reserved bytes (PS3.5 §7.1.2).</summary>
    public bool HasLongLength { get; }
    /// <summary>The byte that pads an odd-length value to even length: space for text, NUL for UI and binary.</summary>
    public byte PaddingByte { get; }
    /// <summary>Maximum length of one value, in bytes (or characters when <see cref="MaxLengthInCharacters"/>); long.MaxValue for unlimited.</summary>
    public long MaxLength { get; }
    /// <summary>True for LO, SH, ST, LT, UC, PN whose limit counts characters, not bytes (PS3.5 §6.2 notes).</summary>
    public bool MaxLengthInCharacters { get; }
    /// <summary>Size of one binary number (2 for US/OW, 4 for UL/FL/AT/OF, 8 for FD/SV/OD …); 1 for bytes and text.</summary>
    public int UnitSize { get; }
    /// <summary>True when backslash separates multiple values (text VRs other than LT, ST, UT, UR).</summary>
    public bool IsMultiValued { get; }
    /// <summary>True when Specific Character Set (0008,0005) applies (SH, LO, ST, LT, UC, UT, PN).</summary>
    public bool UsesCharacterSet { get; }
    internal ushort CodeValue { get; }

    public static readonly DicomVR AE = new("AE", "Application Entity", DicomVRKind.Text, false, 0x20, 16, 1, true, false);
    public static readonly DicomVR AS = new("AS", "Age String", DicomVRKind.Text, false, 0x20, 4, 1, true, false);
    public static readonly DicomVR AT = new("AT", "Attribute Tag", DicomVRKind.Binary, false, 0, 4, 4, true, false);
    public static readonly DicomVR CS = new("CS", "Code String", DicomVRKind.Text, false, 0x20, 16, 1, true, false);
    public static readonly DicomVR DA = new("DA", "Date", DicomVRKind.Text, false, 0x20, 8, 1, true, false);
    public static readonly DicomVR DS = new("DS", "Decimal String", DicomVRKind.Text, false, 0x20, 16, 1, true, false);
    public static readonly DicomVR DT = new("DT", "Date Time", DicomVRKind.Text, false, 0x20, 26, 1, true, false);
    public static readonly DicomVR FD = new("FD", "Floating Point Double", DicomVRKind.Binary, false, 0, 8, 8, true, false);
    public static readonly DicomVR FL = new("FL", "Floating Point Single", DicomVRKind.Binary, false, 0, 4, 4, true, false);
    public static readonly DicomVR IS = new("IS", "Integer String", DicomVRKind.Text, false, 0x20, 12, 1, true, false);
    public static readonly DicomVR LO = new("LO", "Long String", DicomVRKind.Text, false, 0x20, 64, 1, true, true, true);
    public static readonly DicomVR LT = new("LT", "Long Text", DicomVRKind.Text, false, 0x20, 10240, 1, false, true, true);
    public static readonly DicomVR OB = new("OB", "Other Byte", DicomVRKind.Bulk, true, 0, uint.MaxValue - 1, 1, false, false);
    public static readonly DicomVR OD = new("OD", "Other Double", DicomVRKind.Bulk, true, 0, uint.MaxValue - 7, 8, false, false);
    public static readonly DicomVR OF = new("OF", "Other Float", DicomVRKind.Bulk, true, 0, uint.MaxValue - 3, 4, false, false);
    public static readonly DicomVR OL = new("OL", "Other Long", DicomVRKind.Bulk, true, 0, uint.MaxValue - 3, 4, false, false);
    public static readonly DicomVR OV = new("OV", "Other 64-bit Very Long", DicomVRKind.Bulk, true, 0, uint.MaxValue - 7, 8, false, false);
    public static readonly DicomVR OW = new("OW", "Other Word", DicomVRKind.Bulk, true, 0, uint.MaxValue - 1, 2, false, false);
    public static readonly DicomVR PN = new("PN", "Person Name", DicomVRKind.Text, false, 0x20, 64, 1, true, true, true);
    public static readonly DicomVR SH = new("SH", "Short String", DicomVRKind.Text, false, 0x20, 16, 1, true, true, true);
    public static readonly DicomVR SL = new("SL", "Signed Long", DicomVRKind.Binary, false, 0, 4, 4, true, false);
    public static readonly DicomVR SQ = new("SQ", "Sequence of Items", DicomVRKind.Sequence, true, 0, uint.MaxValue, 1, false, false);
    public static readonly DicomVR SS = new("SS", "Signed Short", DicomVRKind.Binary, false, 0, 2, 2, true, false);
    public static readonly DicomVR ST = new("ST", "Short Text", DicomVRKind.Text, false, 0x20, 1024, 1, false, true, true);
    public static readonly DicomVR SV = new("SV", "Signed 64-bit Very Long", DicomVRKind.Binary, true, 0, 8, 8, true, false);
    public static readonly DicomVR TM = new("TM", "Time", DicomVRKind.Text, false, 0x20, 14, 1, true, false);
    public static readonly DicomVR UC = new("UC", "Unlimited Characters", DicomVRKind.Text, true, 0x20, uint.MaxValue - 1, 1, true, true);
    public static readonly DicomVR UI = new("UI", "Unique Identifier", DicomVRKind.Text, false, 0x00, 64, 1, true, false);
    public static readonly DicomVR UL = new("UL", "Unsigned Long", DicomVRKind.Binary, false, 0, 4, 4, true, false);
    public static readonly DicomVR UN = new("UN", "Unknown", DicomVRKind.Bulk, true, 0, uint.MaxValue - 1, 1, false, false);
    public static readonly DicomVR UR = new("UR", "Universal Resource Identifier", DicomVRKind.Text, true, 0x20, uint.MaxValue - 1, 1, false, false);
    public static readonly DicomVR US = new("US", "Unsigned Short", DicomVRKind.Binary, false, 0, 2, 2, true, false);
    public static readonly DicomVR UT = new("UT", "Unlimited Text", DicomVRKind.Text, true, 0x20, uint.MaxValue - 1, 1, false, true);
    public static readonly DicomVR UV = new("UV", "Unsigned 64-bit Very Long", DicomVRKind.Binary, true, 0, 8, 8, true, false);

    /// <summary>Every VR of the current standard.</summary>
    public static IReadOnlyList<DicomVR> All { get; } =
    [
        AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI,
        UL, UN, UR, US, UT, UV,
    ];

    /// <summary>VRs by their two upper-case letters: index (first - 'A') * 26 + (second - 'A').</summary>
    private static readonly DicomVR?[] ByCode = BuildIndex();

    private static DicomVR?[] BuildIndex()
    {
        var index = new DicomVR?[26 * 26];
        foreach (var vr in All)
            index[(vr.Code[0] - 'A') * 26 + (vr.Code[1] - 'A')] = vr;
        return index;
    }

    /// <summary>Looks up a VR from the two bytes of an Explicit VR element header.</summary>
    public static bool TryGet(byte first, byte second, out DicomVR vr)
    {
        vr = null!;
        if (first is < (byte)'A' or > (byte)'Z' || second is < (byte)'A' or > (byte)'Z')
            return false;
        vr = ByCode[(first - 'A') * 26 + (second - 'A')]!;
        return vr is not null;
    }

    public static bool TryParse(string code, out DicomVR vr)
    {
        vr = null!;
        return code.Length == 2 && TryGet((byte)code[0], (byte)code[1], out vr);
    }

    public static DicomVR Parse(string code) =>
        TryParse(code, out var vr) ? vr : throw new ArgumentException($"'{code}' is not a DICOM VR", nameof(code));

    /// <summary>True for binary VRs whose values are byte-swapped between little and big endian.</summary>
    public bool IsSwapped => UnitSize > 1 && Kind is DicomVRKind.Binary or DicomVRKind.Bulk;

    public override string ToString() => Code;
}
