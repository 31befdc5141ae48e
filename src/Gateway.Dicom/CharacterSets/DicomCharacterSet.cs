using System.Text;

namespace Gateway.Dicom;

/// <summary>
/// Specific Character Set (0008,0005): how SH, LO, ST, LT, UC, UT and PN values map to characters (PS3.3 §C.12.1.1.2,
/// PS3.5 §6.1). Reads single-byte sets, UTF-8, GB18030/GBK and the ISO 2022 code extensions with escape sequences
/// (Japanese, Korean, Chinese, and the ISO 8859 G1 sets); writes the single-code-page sets.
/// </summary>
public sealed class DicomCharacterSet
{
    static DicomCharacterSet() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static readonly Encoding Latin1 = Encoding.Latin1;
    private readonly Encoding? _single;
    private readonly Iso2022State? _initial;

    private DicomCharacterSet(IReadOnlyList<string> terms, Encoding? single, Iso2022State? initial)
    {
        Terms = terms;
        _single = single;
        _initial = initial;
    }

    /// <summary>The default repertoire (ISO-IR 6). Bytes above 0x7F in such a data set are read as Latin-1, as most readers do.</summary>
    public static DicomCharacterSet Default { get; } = new([], null, null);

    /// <summary>The values of Specific Character Set as given.</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>True when the set uses ISO 2022 escape sequences.</summary>
    public bool HasCodeExtensions => _initial is not null;

    /// <summary>The terms we know, for messages and validation.</summary>
    public static IReadOnlyCollection<string> KnownTerms => Iso2022.SingleByteTerms.Keys.Concat(Iso2022.ExtensionTerms.Keys).ToArray();

    /// <summary>
    /// The character set for the values of (0008,0005). An unknown term is read as Latin-1 rather than refused: a
    /// received object must be forwarded even when its character set is not one we know.
    /// </summary>
    public static DicomCharacterSet FromTerms(IReadOnlyList<string> terms)
    {
        var t = terms.Select(x => x.Trim()).ToArray();
        if (t.Length == 0 || (t.Length == 1 && t[0].Length == 0))
            return Default;
        if (t.Length == 1 || !t.Any(x => x.StartsWith("ISO 2022", StringComparison.Ordinal)))
        {
            if (Iso2022.SingleByteTerms.TryGetValue(t[0], out var cp))
                return new DicomCharacterSet(t, cp == 0 ? null : Encoding.GetEncoding(cp), null);
            if (!t[0].StartsWith("ISO 2022", StringComparison.Ordinal))
                return new DicomCharacterSet(t, Latin1, null);
        }
        return new DicomCharacterSet(t, null, Iso2022State.Initial(t));
    }

    /// <summary>
    /// The simplest Specific Character Set that can hold every text: none (ASCII), ISO_IR 100 (Latin-1), else ISO_IR 192 (UTF-8).
    /// </summary>
    public static string ChooseFor(IEnumerable<string> texts)
    {
        var latin1 = false;
        foreach (var s in texts)
        {
            foreach (var c in s)
            {
                if (c < 0x80)
                    continue;
                if (c > 0xFF)
                    return "ISO_IR 192";
                latin1 = true;
            }
        }
        return latin1 ? "ISO_IR 100" : "";
    }

    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr)
    {
        if (_initial is not null)
            return Iso2022.Decode(bytes, _initial, vr == DicomVR.PN);
        return (_single ?? Latin1).GetString(bytes);
    }

    /// <summary>Text of VRs outside the scope of Specific Character Set (AE, CS, DA, UI …): ASCII, with stray high bytes as Latin-1.</summary>
    public static string DecodeDefault(ReadOnlySpan<byte> bytes) => Latin1.GetString(bytes);

    /// <summary>Encodes a value we create. Throws <see cref="DicomValueException"/> when a character has no code in this set.</summary>
    public byte[] Encode(string text, DicomVR vr, DicomTag tag)
    {
        if (_initial is not null)
            throw DicomValueException.For(tag, vr, $"writing text in the ISO 2022 character set '{string.Join('\\', Terms)}' is not supported; use ISO_IR 192");
        var encoding = vr.UsesCharacterSet && _single is not null ? _single : null;
        if (encoding is null)
        {
            foreach (var c in text)
            {
                if (c > 0x7F)
                    throw DicomValueException.For(tag, vr, $"'{c}' is not in the default character repertoire; set Specific Character Set (0008,0005) to ISO_IR 100 or ISO_IR 192");
            }
            return Encoding.ASCII.GetBytes(text);
        }
        var strict = (Encoding)encoding.Clone();
        strict.EncoderFallback = EncoderFallback.ExceptionFallback;
        try
        {
            return strict.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw DicomValueException.For(tag, vr, $"'{e.CharUnknown}' cannot be written in character set '{string.Join('\\', Terms)}'");
        }
    }

    public override string ToString() => Terms.Count == 0 ? "ISO_IR 6 (default)" : string.Join('\\', Terms);
}
