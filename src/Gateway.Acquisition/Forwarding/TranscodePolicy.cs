using Gateway.Dicom;
using Gateway.Dicom.Codecs;

namespace Gateway.Acquisition.Forwarding;

/// <summary>
/// What a destination may be sent besides the stored transfer syntax (issue #19): the syntaxes proposed after the
/// stored one, in order of preference, and whether a lossy one may be made on the way. The forwarder sends an object
/// as stored when the destination accepted that; otherwise it transcodes to the first syntax of this list the
/// destination accepted and that it can make from the stored one.
/// </summary>
public sealed record TranscodePolicy
{
    /// <summary>Stored first, then uncompressed (what every PACS takes): no new compression unless configured.</summary>
    public static readonly TranscodePolicy Default = new();

    /// <summary>Proposed after the stored syntax, most preferred first.</summary>
    public IReadOnlyList<DicomTransferSyntax> Preferences { get; init; } =
        [DicomTransferSyntax.ExplicitVRLittleEndian, DicomTransferSyntax.ImplicitVRLittleEndian];

    /// <summary>
    /// False (the default): a lossy syntax (JPEG baseline, JPEG-LS near-lossless with NEAR &gt; 0) is never proposed nor
    /// made. True: it may be, with Lossy Image Compression set and a new SOP Instance UID (<see cref="LossyDerivation"/>).
    /// </summary>
    public bool AllowLossy { get; init; }

    /// <summary>JPEG baseline quality (1–100) and JPEG-LS NEAR of a lossy transcode.</summary>
    public CodecOptions Codec { get; init; } = CodecOptions.Default;

    /// <summary>The syntaxes proposed after the stored one: the preferences, less the lossy ones unless allowed.</summary>
    public IReadOnlyList<DicomTransferSyntax> Proposed =>
        [.. Preferences.Where(p => AllowLossy || !TranscodingSender.IsLossy(p, Codec))];
}
