namespace Gateway.Configuration;

public static partial class ConfigValidator
{
    /// <summary>The longest date window a query may span: a wider one is a RIS's whole archive, not a day's work.</summary>
    public const int MaxWorklistDays = 31;

    /// <summary>The `worklist` section (issue #17): the SCP like a destination, the query, the refresh interval.</summary>
    private static void Worklist(List<string> p, WorklistConfig w)
    {
        AeTitle(p, "worklist.aeTitle", w.AeTitle);
        AeTitle(p, "worklist.callingAeTitle", w.CallingAeTitle);
        if (string.IsNullOrWhiteSpace(w.Host))
            p.Add("worklist.host: is empty");
        Port(p, "worklist.port", w.Port);
        Tls(p, "worklist.tls", w.Tls);
        if (w.RefreshSeconds is < 5 or > 86400)
            p.Add($"worklist.refreshSeconds: {w.RefreshSeconds} is not between 5 and 86400");
        if (w.TimeoutSeconds is < 1 or > 600)
            p.Add($"worklist.timeoutSeconds: {w.TimeoutSeconds} is not between 1 and 600");
        var q = w.Query;
        // Without either key the query asks for every step of every room of the hospital (PS3.4 K.6.1.2.1: the
        // modality's own steps are selected by station AE title and/or modality).
        if (q.ScheduledStationAeTitle is null && q.Modality is null)
            p.Add("worklist.query: give scheduledStationAeTitle and/or modality (without them the RIS answers every room's steps)");
        if (q.ScheduledStationAeTitle is { } station)
            AeTitle(p, "worklist.query.scheduledStationAeTitle", station);
        if (q.Modality is { } modality && (modality.Length is 0 or > 16 || !modality.All(ch => char.IsAsciiLetterUpper(ch) || char.IsAsciiDigit(ch) || ch == '_')))
            p.Add($"worklist.query.modality: '{modality}' is not a modality (1 to 16 upper-case letters, digits or '_', e.g. DX)");
        if (q.DaysBefore is < 0 or > MaxWorklistDays)
            p.Add($"worklist.query.daysBefore: {q.DaysBefore} is not between 0 and {MaxWorklistDays}");
        if (q.DaysAfter is < 0 or > MaxWorklistDays)
            p.Add($"worklist.query.daysAfter: {q.DaysAfter} is not between 0 and {MaxWorklistDays}");
        // SH: 16 characters, no backslash (a matching value with one would be two values), no wildcard: an exact name.
        if (q.StationName is { } name && (name.Trim().Length == 0 || name.Length > 16 || name.IndexOfAny(['\\', '*', '?']) >= 0 || name.Any(char.IsControl)))
            p.Add($"worklist.query.stationName: '{name}' is not a station name (1 to 16 characters, no backslash, wildcard or control characters)");
    }

    /// <summary>The `mpps` section (issue #17): the SCP like a destination, its timeout and back-off.</summary>
    private static void Mpps(List<string> p, MppsConfig m)
    {
        AeTitle(p, "mpps.aeTitle", m.AeTitle);
        AeTitle(p, "mpps.callingAeTitle", m.CallingAeTitle);
        if (string.IsNullOrWhiteSpace(m.Host))
            p.Add("mpps.host: is empty");
        Port(p, "mpps.port", m.Port);
        Tls(p, "mpps.tls", m.Tls);
        if (m.TimeoutSeconds is < 1 or > 600)
            p.Add($"mpps.timeoutSeconds: {m.TimeoutSeconds} is not between 1 and 600");
        if (m.RetryMinSeconds is <= 0 or > 86400)
            p.Add($"mpps.retryMinSeconds: {m.RetryMinSeconds} is not more than 0 and at most 86400");
        if (m.RetryMaxSeconds is <= 0 or > 86400)
            p.Add($"mpps.retryMaxSeconds: {m.RetryMaxSeconds} is not more than 0 and at most 86400");
        else if (m.RetryMaxSeconds < m.RetryMinSeconds)
            p.Add($"mpps.retryMaxSeconds: {m.RetryMaxSeconds} is less than mpps.retryMinSeconds ({m.RetryMinSeconds})");
    }
}
