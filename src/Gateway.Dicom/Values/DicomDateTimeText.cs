using System.Globalization;

namespace Gateway.Dicom;

/// <summary>Parsing and formatting of DA, TM and DT values (PS3.5 §6.2), including the partial forms the standard allows.</summary>
public static class DicomDateTimeText
{
    /// <summary>YYYYMMDD (also the old YYYY.MM.DD form when reading).</summary>
    public static bool TryParseDate(string text, out DateOnly date)
    {
        var s = text.Trim();
        if (s.Length == 10 && s[4] == '.' && s[7] == '.')
            s = string.Concat(s.AsSpan(0, 4), s.AsSpan(5, 2), s.AsSpan(8, 2));
        return DateOnly.TryParseExact(s, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    /// <summary>HH, HHMM, HHMMSS, HHMMSS.F{1-6} (and HH:MM:SS when reading).</summary>
    public static bool TryParseTime(string text, out TimeOnly time)
    {
        time = default;
        var s = text.Trim().Replace(":", "", StringComparison.Ordinal);
        if (s.Length < 2 || s.Length > 13)
            return false;
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? s : s[..dot];
        if (whole.Length is not (2 or 4 or 6) || !whole.All(char.IsAsciiDigit))
            return false;
        var h = int.Parse(whole[..2], CultureInfo.InvariantCulture);
        var m = whole.Length >= 4 ? int.Parse(whole[2..4], CultureInfo.InvariantCulture) : 0;
        var sec = whole.Length == 6 ? int.Parse(whole[4..6], CultureInfo.InvariantCulture) : 0;
        var ticks = 0L;
        if (dot >= 0)
        {
            var frac = s[(dot + 1)..];
            if (whole.Length != 6 || frac.Length is < 1 or > 6 || !frac.All(char.IsAsciiDigit))
                return false;
            ticks = long.Parse(frac.PadRight(7, '0'), CultureInfo.InvariantCulture);
        }
        // 60 is allowed for a leap second; TimeOnly cannot hold it, so it reads as 59.
        if (h > 23 || m > 59 || sec > 60)
            return false;
        time = new TimeOnly(h, m, Math.Min(sec, 59)).Add(TimeSpan.FromTicks(ticks));
        return true;
    }

    /// <summary>YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&amp;ZZXX].</summary>
    public static bool TryParseDateTime(string text, out DateTimeOffset value)
    {
        value = default;
        var s = text.Trim();
        var offset = TimeSpan.Zero;
        var zone = s.IndexOfAny(['+', '-'], 4);
        if (zone > 0)
        {
            var z = s[zone..];
            if (z.Length != 5 || !z[1..].All(char.IsAsciiDigit))
                return false;
            var zh = int.Parse(z[1..3], CultureInfo.InvariantCulture);
            var zm = int.Parse(z[3..5], CultureInfo.InvariantCulture);
            if (zh > 14 || zm > 59)
                return false;
            offset = new TimeSpan(zh, zm, 0) * (z[0] == '-' ? -1 : 1);
            s = s[..zone];
        }
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? s : s[..dot];
        if (whole.Length is not (4 or 6 or 8 or 10 or 12 or 14) || !whole.All(char.IsAsciiDigit))
            return false;
        var padded = whole + "0101000000"[(whole.Length - 4)..];
        if (!DateTime.TryParseExact(padded, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt))
            return false;
        if (dot >= 0)
        {
            var frac = s[(dot + 1)..];
            if (whole.Length != 14 || frac.Length is < 1 or > 6 || !frac.All(char.IsAsciiDigit))
                return false;
            dt = dt.AddTicks(long.Parse(frac.PadRight(7, '0'), CultureInfo.InvariantCulture));
        }
        value = new DateTimeOffset(dt, offset);
        return true;
    }

    public static string FormatDate(DateOnly d) => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string FormatTime(TimeOnly t) =>
        t.Ticks % TimeSpan.TicksPerSecond == 0
            ? t.ToString("HHmmss", CultureInfo.InvariantCulture)
            : t.ToString("HHmmss.ffffff", CultureInfo.InvariantCulture);

    public static string FormatDateTime(DateTimeOffset v, bool withOffset = true)
    {
        var s = v.Ticks % TimeSpan.TicksPerSecond == 0
            ? v.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)
            : v.ToString("yyyyMMddHHmmss.ffffff", CultureInfo.InvariantCulture);
        if (!withOffset)
            return s;
        var o = v.Offset;
        return s + (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString("hhmm", CultureInfo.InvariantCulture);
    }
}
