namespace Gateway.Dicom.Codecs;

/// <summary>
/// The short names configuration files use for the transfer syntaxes the codecs write (the same as `gateway convert
/// --ts`): a destination's preference list, a device profile's output syntax.
/// </summary>
public static class TransferSyntaxNames
{
    private static readonly (string Name, DicomTransferSyntax Syntax)[] All =
    [
        ("explicit", DicomTransferSyntax.ExplicitVRLittleEndian),
        ("implicit", DicomTransferSyntax.ImplicitVRLittleEndian),
        ("rle", DicomTransferSyntax.RleLossless),
        ("jpeg-lossless", DicomTransferSyntax.JpegLosslessSV1),
        ("jpeg-ls", DicomTransferSyntax.JpegLsLossless),
        ("jpeg-ls-near", DicomTransferSyntax.JpegLsNearLossless),
        ("jpeg-baseline", DicomTransferSyntax.JpegBaseline),
    ];

    /// <summary>Every name, in the order the documentation lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(a => a.Name)];

    public static bool TryParse(string? name, out DicomTransferSyntax syntax)
    {
        foreach (var (n, s) in All)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                syntax = s;
                return true;
            }
        }
        syntax = DicomTransferSyntax.ExplicitVRLittleEndian;
        return false;
    }

    /// <summary>The short name of <paramref name="syntax"/>, or its UID when it has none.</summary>
    public static string NameOf(DicomTransferSyntax syntax) =>
        Array.Find(All, a => a.Syntax.Equals(syntax)).Name ?? syntax.Uid;

    /// <summary>
    /// Whether encoding to <paramref name="syntax"/> loses information: JPEG baseline always, JPEG-LS near-lossless
    /// when NEAR is above 0 (PS3.5 §8.2.3).
    /// </summary>
    public static bool IsLossy(DicomTransferSyntax syntax, int nearLossless) =>
        syntax.Equals(DicomTransferSyntax.JpegBaseline) || (syntax.Equals(DicomTransferSyntax.JpegLsNearLossless) && nearLossless > 0);

    /// <summary>
    /// Why a codec cannot write <paramref name="syntax"/> for pixel data of <paramref name="bitsStored"/> bits in
    /// <paramref name="bitsAllocated"/>, or null when it can (JPEG baseline: 8 bits; JPEG lossless and JPEG-LS: 2–16
    /// bits; RLE: any depth here).
    /// </summary>
    public static string? CannotEncode(DicomTransferSyntax syntax, int bitsAllocated, int bitsStored)
    {
        if (syntax.Equals(DicomTransferSyntax.JpegBaseline) && (bitsAllocated != 8 || bitsStored > 8))
            return $"JPEG baseline holds 8-bit samples only, not {bitsStored} bits stored in {bitsAllocated}";
        if ((syntax.Equals(DicomTransferSyntax.JpegLsLossless) || syntax.Equals(DicomTransferSyntax.JpegLsNearLossless)
            || syntax.Equals(DicomTransferSyntax.JpegLosslessSV1)) && (bitsStored < 2 || bitsAllocated > 16))
            return $"{syntax.Name} holds 2 to 16 bits per sample, not {bitsStored}";
        return null;
    }
}
