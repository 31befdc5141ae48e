using Gateway.Dicom.Network;
using Gateway.Spool;

namespace Gateway.Acquisition.Forwarding;

/// <summary>Which objects go to a destination; an empty list means "any".</summary>
public sealed record RouteFilter
{
    public IReadOnlyList<string> SopClasses { get; init; } = [];
    public IReadOnlyList<string> Modalities { get; init; } = [];
    public IReadOnlyList<string> Sources { get; init; } = [];

    public bool Accepts(SpoolObjectInfo o) =>
        (SopClasses.Count == 0 || SopClasses.Contains(o.SopClassUid)) &&
        (Modalities.Count == 0 || Modalities.Contains(o.Modality)) &&
        (Sources.Count == 0 || Sources.Contains(o.Source));
}

/// <summary>A PACS (or archive) the gateway forwards to.</summary>
public sealed record Destination
{
    /// <summary>The name the spool records deliveries under: stable, unique.</summary>
    public required string Name { get; init; }
    public required DicomClientOptions Client { get; init; }
    public RouteFilter Route { get; init; } = new();
    /// <summary>Associations used in parallel for this destination.</summary>
    public int Associations { get; init; } = 1;
    /// <summary>First retry delay; doubled each attempt up to <see cref="RetryMax"/>, with ±20 % jitter.</summary>
    public TimeSpan RetryMin { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Storage Commitment (issue #18): null — an object is forgotten once stored (C-STORE success).</summary>
    public CommitmentPolicy? Commitment { get; init; }
    /// <summary>The syntaxes proposed after the stored one and whether a lossy transcode may be made (issue #19).</summary>
    public TranscodePolicy Transcoding { get; init; } = TranscodePolicy.Default;
    /// <summary>An idle association is released after this long.</summary>
    public TimeSpan IdleRelease { get; init; } = TimeSpan.FromSeconds(30);
}
