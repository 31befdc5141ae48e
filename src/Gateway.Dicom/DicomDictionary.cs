using System.Globalization;

namespace Gateway.Dicom;

/// <summary>
/// Lookup of the standard data dictionary (generated from PS3.6, see tools/generate-dictionary.py) by tag and by keyword,
/// including repeating groups (50xx, 60xx) and the private-creator rule of PS3.5 §7.8.1. Thread-safe.
/// </summary>
/// <remarks>
/// Start-up cost matters (every `gateway` invocation pays it): the tag → row index is static data generated with the
/// rows; an entry is parsed from its row when first asked for, and the keyword index is built on the first lookup by keyword.
/// </remarks>
public static class DicomDictionary
{
    private static readonly string Rows = DicomDictionaryData.Rows;
    // One slot per row, filled on first lookup. Racing threads may both parse a row; either result is the same.
    private static readonly DicomDictionaryEntry?[] Parsed = new DicomDictionaryEntry?[DicomDictionaryData.Tags.Length];
    private static readonly Lazy<Dictionary<string, DicomDictionaryEntry>> ByKeyword = new(BuildKeywordIndex);
    private static readonly DicomDictionaryEntry[] Repeating = LoadRepeating();

    /// <summary>Private creator elements are LO (PS3.5 §7.8.1).</summary>
    private static readonly DicomDictionaryEntry PrivateCreator =
        new(new DicomTag(0x0009, 0x0010), 0x0001FF00, [DicomVR.LO], DicomVM.One, "Private Creator", "PrivateCreator", false);

    /// <summary>The repeating-group rows (50xx, 60xx …): few, at the end of the rows, parsed at first use.</summary>
    private static DicomDictionaryEntry[] LoadRepeating()
    {
        var repeating = new List<DicomDictionaryEntry>();
        for (var start = DicomDictionaryData.RepeatingOffset; start < Rows.Length;)
        {
            var end = Rows.IndexOf('\n', start);
            repeating.Add(ParseRow(start));
            start = end < 0 ? Rows.Length : end + 1;
        }
        return [.. repeating];
    }

    /// <summary>Eight hex digits at <paramref name="at"/> (the generator writes them upper case).</summary>
    private static uint Hex(int at)
    {
        uint v = 0;
        for (var i = 0; i < 8; i++)
        {
            var c = Rows[at + i];
            v = (v << 4) | (uint)(c <= '9' ? c - '0' : c - 'A' + 10);
        }
        return v;
    }

    private static DicomDictionaryEntry ParseRow(int at)
    {
        var end = Rows.IndexOf('\n', at);
        var line = Rows.AsSpan(at, (end < 0 ? Rows.Length : end) - at);
        Span<Range> f = stackalloc Range[8];
        if (line.Split(f, '\t') != 7)
            throw new InvalidOperationException($"bad dictionary row: {line}");
        var vrs = ParseVrs(line[f[2]].ToString());
        return new DicomDictionaryEntry(
            new DicomTag(Hex(at)), uint.Parse(line[f[1]], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture), vrs,
            DicomVM.Parse(line[f[3]].ToString()), line[f[4]].ToString(), line[f[5]].ToString(), !line[f[6]].IsEmpty);
    }

    private static DicomVR[] ParseVrs(string text)
    {
        // "US or SS or OW"; PS3.6 lists no VR for the item tags (FFFE,xxxx).
        if (text.Length == 0 || text == "NONE")
            return [DicomVR.UN];
        var parts = text.Split(" or ", StringSplitOptions.TrimEntries);
        return [.. parts.Select(DicomVR.Parse)];
    }

    private static Dictionary<string, DicomDictionaryEntry> BuildKeywordIndex()
    {
        var index = new Dictionary<string, DicomDictionaryEntry>(StringComparer.Ordinal);
        foreach (var e in Entries)
        {
            if (e.Keyword.Length > 0)
                index.TryAdd(e.Keyword, e);
        }
        return index;
    }

    /// <summary>Number of public entries (including repeating-group patterns).</summary>
    public static int Count => DicomDictionaryData.Tags.Length + Repeating.Length;

    public static IEnumerable<DicomDictionaryEntry> Entries =>
        DicomDictionaryData.Tags.ToArray().Select(t => Find(new DicomTag(t))!).Concat(Repeating);

    /// <summary>The entry for a tag, or null for private and unknown tags.</summary>
    public static DicomDictionaryEntry? Find(DicomTag tag)
    {
        var v = tag.Value;
        var i = DicomDictionaryData.Tags.BinarySearch(v);
        if (i >= 0)
            return Parsed[i] ??= ParseRow(DicomDictionaryData.Offsets[i]);
        if (tag.IsPrivateCreator)
            return PrivateCreator;
        if (tag.IsPrivate)
            return null;
        // Group length elements of any group are UL (PS3.5 §7.2).
        if (tag.Element == 0)
            return Find(new DicomTag(0))! with { Tag = tag, Name = "Group Length", Keyword = "" };
        foreach (var r in Repeating)
        {
            if ((v & r.Mask) == r.Tag.Value)
                return r;
        }
        return null;
    }

    public static DicomDictionaryEntry? Find(string keyword) => ByKeyword.Value.GetValueOrDefault(keyword);

    /// <summary>The dictionary VR, or UN for tags the dictionary does not know.</summary>
    public static DicomVR DefaultVR(DicomTag tag) => Find(tag)?.VR ?? DicomVR.UN;

    public static string KeywordOf(DicomTag tag) => Find(tag)?.Keyword ?? "";

    /// <summary>Resolves a keyword (or a "(gggg,eeee)" tag) to a tag.</summary>
    public static bool TryGetTag(string keywordOrTag, out DicomTag tag)
    {
        if (ByKeyword.Value.TryGetValue(keywordOrTag, out var e))
        {
            tag = e.Tag;
            return true;
        }
        return DicomTag.TryParse(keywordOrTag, out tag);
    }
}
