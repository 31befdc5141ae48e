namespace Gateway.Dicom;

/// <summary>
/// Lookup of the standard data dictionary (generated from PS3.6, see tools/generate-dictionary.py) by tag and by keyword,
/// including repeating groups (50xx, 60xx) and the private-creator rule of PS3.5 §7.8.1.
/// </summary>
public static class DicomDictionary
{
    private static readonly Dictionary<uint, DicomDictionaryEntry> ByTag = [];
    private static readonly Dictionary<string, DicomDictionaryEntry> ByKeyword = new(StringComparer.Ordinal);
    private static readonly List<DicomDictionaryEntry> Repeating = [];

    /// <summary>Private creator elements are LO (PS3.5 §7.8.1).</summary>
    private static readonly DicomDictionaryEntry PrivateCreator =
        new(new DicomTag(0x0009, 0x0010), 0x0001FF00, [DicomVR.LO], DicomVM.One, "Private Creator", "PrivateCreator", false);

    static DicomDictionary()
    {
        foreach (var (tag, mask, vr, vm, name, keyword, retired) in DicomDictionaryData.Entries)
        {
            var vrs = ParseVrs(vr);
            var entry = new DicomDictionaryEntry(new DicomTag(tag), mask, vrs, DicomVM.Parse(vm), name, keyword, retired);
            if (mask == 0xFFFFFFFF)
                ByTag[tag] = entry;
            else
                Repeating.Add(entry);
            if (keyword.Length > 0)
                ByKeyword.TryAdd(keyword, entry);
        }
    }

    private static DicomVR[] ParseVrs(string text)
    {
        // "US or SS or OW"; PS3.6 lists no VR for the item tags (FFFE,xxxx).
        if (text.Length == 0 || text == "NONE")
            return [DicomVR.UN];
        var parts = text.Split(" or ", StringSplitOptions.TrimEntries);
        return [.. parts.Select(DicomVR.Parse)];
    }

    /// <summary>Number of public entries (including repeating-group patterns).</summary>
    public static int Count => ByTag.Count + Repeating.Count;

    public static IEnumerable<DicomDictionaryEntry> Entries => ByTag.Values.Concat(Repeating);

    /// <summary>The entry for a tag, or null for private and unknown tags.</summary>
    public static DicomDictionaryEntry? Find(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var entry))
            return entry;
        if (tag.IsPrivateCreator)
            return PrivateCreator;
        if (tag.IsPrivate)
            return null;
        // Group length elements of any group are UL (PS3.5 §7.2).
        if (tag.Element == 0)
            return ByTag[0x00000000] with { Tag = tag, Name = "Group Length", Keyword = "" };
        foreach (var r in Repeating)
        {
            if ((tag.Value & r.Mask) == r.Tag.Value)
                return r;
        }
        return null;
    }

    public static DicomDictionaryEntry? Find(string keyword) => ByKeyword.GetValueOrDefault(keyword);

    /// <summary>The dictionary VR, or UN for tags the dictionary does not know.</summary>
    public static DicomVR DefaultVR(DicomTag tag) => Find(tag)?.VR ?? DicomVR.UN;

    public static string KeywordOf(DicomTag tag) => Find(tag)?.Keyword ?? "";

    /// <summary>Resolves a keyword (or a "(gggg,eeee)" tag) to a tag.</summary>
    public static bool TryGetTag(string keywordOrTag, out DicomTag tag)
    {
        if (ByKeyword.TryGetValue(keywordOrTag, out var e))
        {
            tag = e.Tag;
            return true;
        }
        return DicomTag.TryParse(keywordOrTag, out tag);
    }
}
