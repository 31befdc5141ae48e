namespace Gateway.Acquisition.Sessions;

/// <summary>What the acquisition did, for telemetry and the status page: kinds are stable strings, published as MQTT event kinds as they are.</summary>
public sealed record AcquisitionEvent(string Kind, string Detail)
{
    public const string Acquired = "acquired";
    public const string Failed = "acquisition-failed";
    public const string SeriesEnded = "series-ended";
}
