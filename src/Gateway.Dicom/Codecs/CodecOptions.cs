namespace Gateway.Dicom.Codecs;

/// <summary>Parameters for lossy or tunable encoders; the defaults are lossless where the syntax allows.</summary>
public sealed record CodecOptions
{
    public static readonly CodecOptions Default = new();

    /// <summary>JPEG-LS NEAR (maximum absolute error per sample) for JPEG-LS Near-Lossless; 0 is lossless.</summary>
    public int NearLossless { get; init; } = 2;

    /// <summary>JPEG baseline quality 1–100: the Annex K tables scaled as cjpeg scales them (50 = as printed).</summary>
    public int Quality { get; init; } = 90;

    /// <summary>
    /// False (the default): a lossy step makes a new object — new SOP Instance UID, Derivation Description, Source Image
    /// Sequence naming the uncompressed predecessor (<see cref="LossyDerivation"/>). True only where the object is being
    /// created (wrap, a device profile's output syntax): no uncompressed instance of it ever existed.
    /// </summary>
    public bool KeepSopInstanceUid { get; init; }

    /// <summary>
    /// The SOP Instance UID a lossy step gives the new object (when <see cref="KeepSopInstanceUid"/> is false); null: a
    /// new random one. The forwarder sets <see cref="LossyDerivation.DerivedUid"/>, so that every retry of a lossy
    /// transcode sends the same instance.
    /// </summary>
    public string? DerivedSopInstanceUid { get; init; }
}
