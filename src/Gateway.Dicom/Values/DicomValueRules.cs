using System.Globalization;

namespace Gateway.Dicom;

/// <summary>
/// The rules of PS3.5 §6.2 (Table 6.2-1) for one text value we create. Returns why a value breaks its VR, or null.
/// Applied when values are set (strict writing), never to values read from a file (lenient reading).
/// </summary>
public static class DicomValueRules
{
    public static string? Check(DicomVR vr, string value)
    {
        if (value.Length == 0)
            return null;
        if (vr.Kind != DicomVRKind.Text)
            return $"{vr.Code} is not a text VR";
        var length = value.Length;
        // Dates and times: their format check says more than a length would.
        var formatted = vr == DicomVR.DA || vr == DicomVR.TM || vr == DicomVR.DT;
        if (vr != DicomVR.PN && !formatted && length > vr.MaxLength)
            return $"'{Shorten(value)}' has {length} characters, {vr.Code} allows at most {vr.MaxLength}";
        if (vr.IsMultiValued && value.Contains('\\', StringComparison.Ordinal))
            return "a single value cannot contain '\\' (it separates values)";
        if (vr != DicomVR.LT && vr != DicomVR.ST && vr != DicomVR.UT && vr != DicomVR.PN)
        {
            foreach (var c in value)
            {
                if (char.IsControl(c))
                    return $"control character U+{(int)c:X4} is not allowed in {vr.Code}";
            }
        }
        return vr.Code switch
        {
            "AE" => value.Trim().Length == 0 ? "an AE title of only spaces is not allowed" : null,
            "AS" => value.Length == 4 && char.IsAsciiDigit(value[0]) && char.IsAsciiDigit(value[1]) && char.IsAsciiDigit(value[2]) && value[3] is 'D' or 'W' or 'M' or 'Y'
                ? null : $"'{value}' is not an age like 045Y (nnnD, nnnW, nnnM or nnnY)",
            "CS" => value.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or ' ' or '_')
                ? null : $"'{value}' may only hold upper-case letters, digits, space and underscore",
            "DA" => value.Length == 8 && DicomDateTimeText.TryParseDate(value, out _) ? null : $"'{value}' is not a valid date YYYYMMDD",
            "TM" => value.Length <= 14 && !value.Contains(':', StringComparison.Ordinal) && DicomDateTimeText.TryParseTime(value, out _) ? null : $"'{value}' is not a valid time HHMMSS.FFFFFF",
            "DT" => value.Length <= 26 && DicomDateTimeText.TryParseDateTime(value, out _) ? null : $"'{value}' is not a valid date-time YYYYMMDDHHMMSS.FFFFFF&ZZXX",
            "DS" => IsDecimalString(value) ? null : $"'{value}' is not a decimal number",
            "IS" => long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n is >= int.MinValue and <= int.MaxValue
                ? null : $"'{value}' is not an integer between -2^31 and 2^31-1",
            "UI" => DicomUid.Validate(value),
            "PN" => CheckPersonName(value),
            "UR" => value.EndsWith(' ') || value.StartsWith(' ') ? "a URI may not begin or end with a space" : null,
            _ => null,
        };
    }

    private static string? CheckPersonName(string value)
    {
        var groups = value.Split('=');
        if (groups.Length > 3)
            return $"'{value}' has {groups.Length} component groups, PN allows 3";
        foreach (var g in groups)
        {
            if (g.Length > 64)
                return $"a person name component group has {g.Length} characters, PN allows 64";
            if (g.Split('^').Length > 5)
                return $"'{g}' has more than 5 components";
        }
        return null;
    }

    private static bool IsDecimalString(string value)
    {
        var s = value.Trim();
        if (s.Length == 0)
            return false;
        foreach (var c in s)
        {
            if (!(char.IsAsciiDigit(c) || c is '+' or '-' or '.' or 'e' or 'E'))
                return false;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
