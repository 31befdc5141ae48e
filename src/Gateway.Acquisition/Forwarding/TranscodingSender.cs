using System.Security.Cryptography;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;
using Gateway.Dicom.Network;

namespace Gateway.Acquisition.Forwarding;

/// <summary>
/// The forwarder's transcoding on the way (issue #19): which syntax an object goes in when the destination did not
/// accept the stored one, and the transcode itself — from bytes proven to be the ones the spool's checksum names.
/// </summary>
public static class TranscodingSender
{
    /// <summary>
    /// The largest spooled file transcoded on the way (4 GiB: what one native pixel data value can hold). Memory is not
    /// what bounds it — the transcoded pixel data go to a scratch file frame by frame — but the scratch file takes about
    /// the transcoded object's size on the spool's disk while it is sent. A larger one is a dead letter saying so.
    /// </summary>
    public const long MaxTranscodeBytes = 4L * 1024 * 1024 * 1024;

    public static bool IsLossy(DicomTransferSyntax syntax, CodecOptions codec) => TransferSyntaxNames.IsLossy(syntax, codec.NearLossless);

    /// <summary>Whether <paramref name="target"/> can be made from pixel data stored in <paramref name="stored"/> here.</summary>
    public static bool CanMake(DicomTransferSyntax stored, DicomTransferSyntax target) =>
        (!stored.IsEncapsulated || PixelDataTranscoder.CodecFor(stored) is not null)
        && (target.CanWrite || PixelDataTranscoder.CodecFor(target) is not null);

    /// <summary>
    /// The syntax to transcode to: null when the object goes as stored (the destination accepted the stored syntax, or an
    /// uncompressed one the association converts to on its own); otherwise the first of the policy's proposed syntaxes
    /// the destination accepted and that can be made from the stored one. <paramref name="refusal"/> says why nothing fits.
    /// </summary>
    public static DicomTransferSyntax? Choose(DicomTransferSyntax stored, IReadOnlyCollection<string> accepted, TranscodePolicy policy, out string? refusal)
    {
        refusal = null;
        if (accepted.Count == 0 || accepted.Contains(stored.Uid))
            return null; // nothing accepted: the association says why; or as stored
        if (!stored.IsEncapsulated && accepted.Any(a => DicomTransferSyntax.FromUid(a).CanWrite))
            return null; // uncompressed to uncompressed: converted while sent, as before
        foreach (var target in policy.Proposed)
        {
            if (accepted.Contains(target.Uid) && CanMake(stored, target))
                return target;
        }
        var names = string.Join(", ", accepted.Select(a => DicomTransferSyntax.FromUid(a).Name));
        refusal = stored.IsEncapsulated && PixelDataTranscoder.CodecFor(stored) is null
            ? $"stored as {stored.Name}, which the destination did not accept (it accepted {names}), and there is no codec here to decompress it"
            : $"stored as {stored.Name}; the destination accepted only {names}, none of which this destination's transfer syntaxes allow making from it";
        return null;
    }

    /// <summary>
    /// Checks the spooled file the caller has open against the spool's checksum in one pass (a mismatch raises
    /// <see cref="PayloadMismatchException"/> before anything is sent), then parses it through that one handle with its
    /// pixel data left on disk: the transcode reads them back one frame at a time through it too — the very file that
    /// was hashed, whatever happens to its name meanwhile (another destination's worker moving it to quarantine), and
    /// no open per frame. The frames are not hashed a second time: the spool never writes into a payload once it is in
    /// objects/. Valid while <paramref name="open"/> is.
    /// </summary>
    /// <param name="progress">Called for every 256 KiB hashed (a sign of life: 4 GiB from an SD card takes minutes).</param>
    public static DicomFile OpenVerified(FileStream open, string? sha256, Action? progress = null)
    {
        var length = RandomAccess.GetLength(open.SafeFileHandle);
        if (length > MaxTranscodeBytes)
            throw new NotSupportedException($"the object is {length} bytes, more than the {MaxTranscodeBytes >> 30} GiB transcoded on the way");
        if (sha256 is not null)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 18];
            long at = 0;
            while (RandomAccess.Read(open.SafeFileHandle, buffer, at) is var n and > 0)
            {
                hash.AppendData(buffer, 0, n);
                at += n;
                progress?.Invoke();
            }
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                throw new PayloadMismatchException($"checksum mismatch: stored {sha256}, found {actual}");
        }
        return DicomFile.Open(open);
    }

    /// <summary>
    /// The object in <paramref name="target"/>. A lossy step gets the SOP Instance UID <see cref="LossyDerivation.DerivedUid"/>
    /// gives (the same on every retry), Lossy Image Compression 01, its ratio and method, and a Source Image Sequence
    /// naming the original.
    /// </summary>
    /// <param name="store">Where the transcoded pixel data are kept until sent (a <see cref="PixelScratchFile"/>); null: in memory.</param>
    public static DicomFile Transcode(DicomFile file, DicomTransferSyntax target, TranscodePolicy policy, PixelStore? store = null)
    {
        var options = policy.Codec with { KeepSopInstanceUid = false };
        if (IsLossy(target, options) && file.Dataset.TryGetString(DicomTags.SOPInstanceUID) is { Length: > 0 } uid)
            options = options with { DerivedSopInstanceUid = LossyDerivation.DerivedUid(uid, target, options) };
        return file.Transcode(target, options, store);
    }
}
