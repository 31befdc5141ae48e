using System.Text;

namespace Gateway.Dicom;

/// <summary>
/// A graphic character set that can be designated to G0 or G1 (PS3.3 Tables C.12-3 and C.12-4). Its code page is
/// loaded on first use: the CJK tables are large and most data sets never need them.
/// </summary>
internal sealed class GraphicSet(string name, Func<Encoding> encoding, int bytesPerChar, GraphicSetKind kind)
{
    private readonly Lazy<Encoding> _encoding = new(encoding);

    public GraphicSet(string name, int codePage, int bytesPerChar, GraphicSetKind kind)
        : this(name, () => Encoding.GetEncoding(codePage), bytesPerChar, kind) { }

    public string Name { get; } = name;
    public Encoding Encoding => _encoding.Value;
    public int BytesPerChar { get; } = bytesPerChar;
    public GraphicSetKind Kind { get; } = kind;
}

internal enum GraphicSetKind
{
    /// <summary>Bytes decoded as they are (ASCII, ISO 8859 upper halves, JIS X 0201 katakana via Shift_JIS, EUC-KR, GB2312).</summary>
    Direct,
    /// <summary>JIS X 0208 in G0: 7-bit pairs, decoded as EUC-JP after setting the high bits.</summary>
    JisX0208,
    /// <summary>JIS X 0212 in G0: 7-bit pairs, decoded with code page 20932 (lead byte with its high bit set, trail byte without).</summary>
    JisX0212,
}

/// <summary>The G0/G1 designations in force (PS3.5 §6.1.2.5).</summary>
internal sealed record Iso2022State(GraphicSet G0, GraphicSet? G1)
{
    public static Iso2022State Initial(IReadOnlyList<string> terms)
    {
        // Value 1 of Specific Character Set is the initial state; an empty value 1 means ISO-IR 6 in G0.
        var first = terms[0];
        if (first.Length == 0 || first == "ISO 2022 IR 6")
            return new Iso2022State(Iso2022.Ascii, null);
        if (Iso2022.ExtensionTerms.TryGetValue(first, out var e))
        {
            // PS3.3 Table C.12-4 lists the multi-byte G0 sets for values 2 to n only. A producer that puts one in value 1
            // still starts each value in ASCII and escapes into it (Orthanc answers C-FIND with a single-valued
            // "ISO 2022 IR 87" when its DefaultEncoding is JapaneseKanji): read it as if value 1 were empty.
            if (e.G0Only && e.Set.BytesPerChar == 2)
                return new Iso2022State(Iso2022.Ascii, null);
            return e.G0Only ? new Iso2022State(e.Set, null) : new Iso2022State(e.G0 ?? Iso2022.Ascii, e.Set);
        }
        return new Iso2022State(Iso2022.Ascii, Iso2022.Latin1Upper);
    }
}

internal static class Iso2022
{
    private const byte Esc = 0x1B;

    public static readonly GraphicSet Ascii = new("ISO-IR 6", () => Encoding.Latin1, 1, GraphicSetKind.Direct);
    public static readonly GraphicSet Latin1Upper = new("ISO-IR 100", () => Encoding.Latin1, 1, GraphicSetKind.Direct);

    private static GraphicSet Single(string name, int codePage) => new(name, codePage, 1, GraphicSetKind.Direct);

    /// <summary>Terms without code extensions and their code pages (0 = default repertoire).</summary>
    public static readonly Dictionary<string, int> SingleByteTerms = new(StringComparer.Ordinal)
    {
        ["ISO_IR 6"] = 0, ["ISO_IR 100"] = 28591, ["ISO_IR 101"] = 28592, ["ISO_IR 109"] = 28593, ["ISO_IR 110"] = 28594,
        ["ISO_IR 144"] = 28595, ["ISO_IR 127"] = 28596, ["ISO_IR 126"] = 28597, ["ISO_IR 138"] = 28598,
        ["ISO_IR 148"] = 28599, ["ISO_IR 203"] = 28605, ["ISO_IR 13"] = 932, ["ISO_IR 166"] = 874, ["ISO_IR 192"] = 65001,
        ["GB18030"] = 54936, ["GBK"] = 936,
    };

    internal sealed record Extension(GraphicSet Set, bool G0Only, GraphicSet? G0 = null);

    private static readonly Lazy<Dictionary<string, GraphicSet>> Designations = new(BuildDesignations);

    /// <summary>Terms with code extensions: the set each designates (PS3.3 Table C.12-3/4).</summary>
    public static readonly Dictionary<string, Extension> ExtensionTerms = new(StringComparer.Ordinal)
    {
        ["ISO 2022 IR 6"] = new(Ascii, true),
        ["ISO 2022 IR 100"] = new(Single("ISO-IR 100", 28591), false),
        ["ISO 2022 IR 101"] = new(Single("ISO-IR 101", 28592), false),
        ["ISO 2022 IR 109"] = new(Single("ISO-IR 109", 28593), false),
        ["ISO 2022 IR 110"] = new(Single("ISO-IR 110", 28594), false),
        ["ISO 2022 IR 144"] = new(Single("ISO-IR 144", 28595), false),
        ["ISO 2022 IR 127"] = new(Single("ISO-IR 127", 28596), false),
        ["ISO 2022 IR 126"] = new(Single("ISO-IR 126", 28597), false),
        ["ISO 2022 IR 138"] = new(Single("ISO-IR 138", 28598), false),
        ["ISO 2022 IR 148"] = new(Single("ISO-IR 148", 28599), false),
        ["ISO 2022 IR 203"] = new(Single("ISO-IR 203", 28605), false),
        ["ISO 2022 IR 166"] = new(Single("ISO-IR 166", 874), false),
        ["ISO 2022 IR 13"] = new(Single("ISO-IR 13", 932), false, Ascii),
        ["ISO 2022 IR 87"] = new(new("ISO-IR 87", EucJp, 2, GraphicSetKind.JisX0208), true),
        ["ISO 2022 IR 159"] = new(new("ISO-IR 159", JisX0212CodePage, 2, GraphicSetKind.JisX0212), true),
        ["ISO 2022 IR 149"] = new(new("ISO-IR 149", EucKr, 2, GraphicSetKind.Direct), false),
        ["ISO 2022 IR 58"] = new(new("ISO-IR 58", Gb2312, 2, GraphicSetKind.Direct), false),
    };

    private const int EucJp = 51932;
    // .NET's 51932 has no JIS X 0212 (its 0x8F three-byte codes decode to U+30FB); 20932 carries JIS X 0212 as a lead
    // byte with the high bit set and a 7-bit trail byte (checked: 20932 encodes 'ü', JIS X 0212 0x2B64, as AB 64).
    private const int JisX0212CodePage = 20932;
    private const int EucKr = 51949;
    private const int Gb2312 = 936;

    /// <summary>Escape sequences (the bytes after ESC) and the set each designates; G0 sets start with '(' or '$B'/'$(', G1 with ')' '-' or '$)'.</summary>
    private static Dictionary<string, GraphicSet> BuildDesignations()
    {
        var d = new Dictionary<string, GraphicSet>(StringComparer.Ordinal)
        {
            ["(B"] = Ascii,
            ["(J"] = Ascii, // JIS X 0201 Romaji: ASCII but for ¥ and ‾, read as ASCII like most readers
            [")I"] = ExtensionTerms["ISO 2022 IR 13"].Set,
            ["$B"] = ExtensionTerms["ISO 2022 IR 87"].Set,
            ["$@"] = ExtensionTerms["ISO 2022 IR 87"].Set,
            ["$(D"] = ExtensionTerms["ISO 2022 IR 159"].Set,
            ["$)C"] = ExtensionTerms["ISO 2022 IR 149"].Set,
            ["$)A"] = ExtensionTerms["ISO 2022 IR 58"].Set,
            ["-A"] = ExtensionTerms["ISO 2022 IR 100"].Set,
            ["-B"] = ExtensionTerms["ISO 2022 IR 101"].Set,
            ["-C"] = ExtensionTerms["ISO 2022 IR 109"].Set,
            ["-D"] = ExtensionTerms["ISO 2022 IR 110"].Set,
            ["-L"] = ExtensionTerms["ISO 2022 IR 144"].Set,
            ["-G"] = ExtensionTerms["ISO 2022 IR 127"].Set,
            ["-F"] = ExtensionTerms["ISO 2022 IR 126"].Set,
            ["-H"] = ExtensionTerms["ISO 2022 IR 138"].Set,
            ["-M"] = ExtensionTerms["ISO 2022 IR 148"].Set,
            ["-b"] = ExtensionTerms["ISO 2022 IR 203"].Set,
            ["-T"] = ExtensionTerms["ISO 2022 IR 166"].Set,
        };
        return d;
    }

    /// <summary>
    /// Decodes a value with code extensions. The designations return to the initial state at each value separator
    /// and control character, and for PN at each component and group delimiter (PS3.5 §6.1.2.5.3).
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes, Iso2022State initial, bool personName)
    {
        var sb = new StringBuilder(bytes.Length);
        var g0 = initial.G0;
        var g1 = initial.G1;
        var run = new List<byte>(bytes.Length);
        GraphicSet? runSet = null;

        void Flush()
        {
            if (run.Count > 0 && runSet is not null)
                sb.Append(DecodeRun(run, runSet));
            run.Clear();
        }

        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == Esc)
            {
                Flush();
                var matched = false;
                foreach (var len in (int[])[3, 2])
                {
                    if (i + 1 + len > bytes.Length)
                        continue;
                    var seq = Encoding.Latin1.GetString(bytes.Slice(i + 1, len));
                    if (Designations.Value.TryGetValue(seq, out var set))
                    {
                        if (seq[0] == '(' || seq == "$B" || seq == "$@" || seq.StartsWith("$(", StringComparison.Ordinal))
                            g0 = set;
                        else
                            g1 = set;
                        i += 1 + len;
                        matched = true;
                        break;
                    }
                }
                if (!matched)
                {
                    // An escape sequence we do not know: keep the ESC as a character rather than lose text.
                    sb.Append('\u001B');
                    i++;
                }
                continue;
            }
            var current = b < 0x80 ? g0 : g1 ?? Latin1Upper;
            if (!ReferenceEquals(current, runSet))
            {
                Flush();
                runSet = current;
            }
            if (current.BytesPerChar == 2 && i + 1 < bytes.Length && bytes[i + 1] != Esc)
            {
                run.Add(b);
                run.Add(bytes[i + 1]);
                i += 2;
                continue;
            }
            run.Add(b);
            i++;
            if (current.BytesPerChar == 1 && b < 0x80 && IsReset(b, personName))
            {
                Flush();
                g0 = initial.G0;
                g1 = initial.G1;
                runSet = null;
            }
        }
        Flush();
        return sb.ToString();
    }

    private static bool IsReset(byte b, bool personName) =>
        b is (byte)'\\' or 0x0D or 0x0A or 0x09 or 0x0C || (personName && b is (byte)'^' or (byte)'=');

    private static string DecodeRun(List<byte> run, GraphicSet set)
    {
        var bytes = run.ToArray();
        switch (set.Kind)
        {
            case GraphicSetKind.JisX0208:
                for (var k = 0; k < bytes.Length; k++)
                    bytes[k] |= 0x80;
                return set.Encoding.GetString(bytes);
            case GraphicSetKind.JisX0212:
                for (var k = 0; k + 1 < bytes.Length; k += 2)
                {
                    bytes[k] |= 0x80;
                    bytes[k + 1] &= 0x7F;
                }
                return set.Encoding.GetString(bytes);
            default:
                return set.Encoding.GetString(bytes);
        }
    }
}
