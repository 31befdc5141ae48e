namespace Gateway.Dicom.Codecs;

/// <summary>Parameters for lossy or tunable encoders; the defaults are lossless where the syntax allows.</summary>
public sealed record CodecOptions
{
    public static readonly CodecOptions Default = new();

    /// <summary>JPEG-LS NEAR (maximum absolute error per sample) for JPEG-LS Near-Lossless; 0 is lossless.</summary>
    public int NearLossless { get; init; } = 2;
}
