namespace Gateway.Dicom;

/// <summary>
/// A PN value: up to three component groups (alphabetic, ideographic, phonetic) of five components each
/// (family, given, middle, prefix, suffix), PS3.5 §6.2.1.
/// </summary>
public sealed record DicomPersonName(string Alphabetic, string Ideographic = "", string Phonetic = "")
{
    public static DicomPersonName Parse(string value)
    {
        var g = value.Split('=');
        return new DicomPersonName(g[0], g.Length > 1 ? g[1] : "", g.Length > 2 ? g[2] : "");
    }

    public string FamilyName => Component(Alphabetic, 0);
    public string GivenName => Component(Alphabetic, 1);
    public string MiddleName => Component(Alphabetic, 2);
    public string Prefix => Component(Alphabetic, 3);
    public string Suffix => Component(Alphabetic, 4);

    private static string Component(string group, int index)
    {
        var parts = group.Split('^');
        return index < parts.Length ? parts[index] : "";
    }

    /// <summary>The encoded form, without trailing empty groups.</summary>
    public override string ToString() =>
        Phonetic.Length > 0 ? $"{Alphabetic}={Ideographic}={Phonetic}"
        : Ideographic.Length > 0 ? $"{Alphabetic}={Ideographic}" : Alphabetic;
}
