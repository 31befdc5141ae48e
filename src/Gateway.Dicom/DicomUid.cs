namespace Gateway.Dicom;

/// <summary>A registered UID of PS3.6 Annex A (SOP classes, transfer syntaxes, …).</summary>
public sealed record DicomUidInfo(string Uid, string Name, string Type, string Keyword, bool IsRetired);

/// <summary>UID rules (PS3.5 §9.1) and the PS3.6 UID registry.</summary>
public static class DicomUid
{
    private static readonly Dictionary<string, DicomUidInfo> Registry = Load();

    private static Dictionary<string, DicomUidInfo> Load()
    {
        var registry = new Dictionary<string, DicomUidInfo>(StringComparer.Ordinal);
        foreach (var line in DicomUidData.Rows.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\t');
            registry[f[0]] = new DicomUidInfo(f[0], f[1], f[2], f[3], f[4].Length > 0);
        }
        return registry;
    }

    public static DicomUidInfo? Find(string uid) => Registry.GetValueOrDefault(uid);

    public static IEnumerable<DicomUidInfo> All => Registry.Values;

    /// <summary>The registered name, or the UID itself.</summary>
    public static string NameOf(string uid) => Find(uid)?.Name ?? uid;

    /// <summary>
    /// Why a string is not a valid UID, or null when it is: at most 64 characters, components of digits separated by
    /// single periods, no component with a leading zero unless it is "0" (PS3.5 §9.1).
    /// </summary>
    public static string? Validate(string uid)
    {
        if (uid.Length == 0)
            return "a UID is empty";
        if (uid.Length > 64)
            return $"a UID is at most 64 characters, this one has {uid.Length}";
        var start = 0;
        for (var i = 0; i <= uid.Length; i++)
        {
            if (i < uid.Length && uid[i] != '.')
            {
                if (uid[i] is < '0' or > '9')
                    return $"'{uid[i]}' at position {i + 1} is not a digit or '.'";
                continue;
            }
            var len = i - start;
            if (len == 0)
                return $"empty component at position {i + 1}";
            if (len > 1 && uid[start] == '0')
                return $"component '{uid[start..i]}' has a leading zero";
            start = i + 1;
        }
        return null;
    }

    public static bool IsValid(string uid) => Validate(uid) is null;
}
