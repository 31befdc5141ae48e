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
    /// The largest spooled file transcoded on the way: the file and its transcoded form are held in memory (one object
    /// at a time per worker). A larger one that the destination takes only in another syntax is a dead letter saying so.
    /// </summary>
    public const long MaxTranscodeBytes = 512L * 1024 * 1024;

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
    /// Reads the spooled file whole into memory, computing its SHA-256 from the very bytes parsed: the transcode works on
    /// what was verified, with no second read that could differ. A mismatch raises <see cref="PayloadMismatchException"/>
    /// before anything is sent.
    /// </summary>
    public static DicomFile ReadVerified(string path, string? sha256)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (file.Length > MaxTranscodeBytes)
            throw new NotSupportedException($"the object is {file.Length} bytes, more than the {MaxTranscodeBytes >> 20} MiB transcoded on the way");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var hashing = new HashingReadStream(file, hash);
        var dicom = DicomFile.Read(hashing);
        hashing.Drain(); // whatever the parser left unread is summed too
        if (sha256 is not null)
        {
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                throw new PayloadMismatchException($"checksum mismatch: stored {sha256}, found {actual}");
        }
        return dicom;
    }

    /// <summary>
    /// The object in <paramref name="target"/>. A lossy step gets the SOP Instance UID <see cref="LossyDerivation.DerivedUid"/>
    /// gives (the same on every retry), Lossy Image Compression 01, its ratio and method, and a Source Image Sequence
    /// naming the original.
    /// </summary>
    public static DicomFile Transcode(DicomFile file, DicomTransferSyntax target, TranscodePolicy policy)
    {
        var options = policy.Codec with { KeepSopInstanceUid = false };
        if (IsLossy(target, options) && file.Dataset.TryGetString(DicomTags.SOPInstanceUID) is { Length: > 0 } uid)
            options = options with { DerivedSopInstanceUid = LossyDerivation.DerivedUid(uid, target, options) };
        return file.Transcode(target, options);
    }

    /// <summary>A read-only view of a stream that adds every byte read to a hash.</summary>
    private sealed class HashingReadStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            hash.AppendData(buffer[..n]);
            return n;
        }

        public void Drain()
        {
            var rest = new byte[1 << 16];
            while (Read(rest) > 0)
            {
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
