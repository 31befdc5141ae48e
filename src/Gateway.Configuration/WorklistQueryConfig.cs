namespace Gateway.Configuration;

/// <summary>
/// The matching keys of the query (PS3.4 K.6.1.2): this box's steps only — by Scheduled Station AE Title and/or
/// Modality — scheduled from today − <see cref="DaysBefore"/> to today + <see cref="DaysAfter"/> (local dates).
/// </summary>
public sealed record WorklistQueryConfig
{
    /// <summary>Scheduled Station AE Title (0040,0001) to match; usually this box's AE title as the RIS knows it.</summary>
    public string? ScheduledStationAeTitle { get; init; }
    /// <summary>Modality (0008,0060) of the scheduled step, e.g. "DX", "US", "ES".</summary>
    public string? Modality { get; init; }
    public int DaysBefore { get; init; }
    public int DaysAfter { get; init; }
    /// <summary>Scheduled Station Name (0040,0010) to match, when the RIS schedules by room name.</summary>
    public string? StationName { get; init; }
}
