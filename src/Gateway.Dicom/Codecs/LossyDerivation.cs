using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Dicom.Codecs;

/// <summary>
/// A lossy step on an existing object makes a different object (PS3.3 §C.7.6.1.1.5, PS3.4 "SOP Instance UID"
/// rules): it gets a new SOP Instance UID, says how it was derived in Derivation Description (0008,2111), and names
/// its predecessor in Source Image Sequence (0008,2112) with purpose (121320, DCM, "Uncompressed predecessor"), so a
/// PACS never holds two different pixel sets under one UID and a reader can find the original.
/// </summary>
public static class LossyDerivation
{
    /// <param name="newInstanceUid">The new object's SOP Instance UID; null: a new random one.</param>
    public static void Apply(DicomDataset result, DicomDataset source, string description, string? newInstanceUid = null)
    {
        var classUid = source.TryGetString(DicomTags.SOPClassUID)?.Trim('\0', ' ');
        var instanceUid = source.TryGetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ');
        var previous = source.TryGetString(DicomTags.DerivationDescription)?.Trim();
        var text = string.IsNullOrEmpty(previous) ? description : $"{previous}; {description}";
        result.Set(DicomTags.DerivationDescription, text.Length > 1024 ? text[^1024..] : text); // ST holds 1024 characters
        if (classUid is { Length: > 0 } && instanceUid is { Length: > 0 })
        {
            var purpose = new DicomDataset()
                .Set(DicomTags.CodeValue, "121320")
                .Set(DicomTags.CodingSchemeDesignator, "DCM")
                .Set(DicomTags.CodeMeaning, "Uncompressed predecessor");
            var reference = new DicomDataset()
                .Set(DicomTags.ReferencedSOPClassUID, classUid)
                .Set(DicomTags.ReferencedSOPInstanceUID, instanceUid)
                .SetSequence(DicomTags.PurposeOfReferenceCodeSequence, purpose);
            var earlier = source.Find(DicomTags.SourceImageSequence) is DicomSequence s ? s.Items : [];
            result.SetSequence(DicomTags.SourceImageSequence, [.. earlier, reference]);
        }
        result.Set(DicomTags.SOPInstanceUID, newInstanceUid ?? DicomUidGenerator.Default.NewUid());
    }

    /// <summary>
    /// The SOP Instance UID of the lossy derivation of <paramref name="sourceInstanceUid"/> in <paramref name="target"/>
    /// with these parameters, the same every time it is asked (so that a retry resends the identical instance, and a
    /// restart needs no record of it): "2.25." and the decimal value of a name-based UUID (RFC 9562 version 8, PS3.5
    /// §B.2) made of the first 128 bits of SHA-256 over the source UID, the target syntax and the parameters.
    /// </summary>
    public static string DerivedUid(string sourceInstanceUid, DicomTransferSyntax target, CodecOptions options)
    {
        var parameter = target.Equals(DicomTransferSyntax.JpegBaseline) ? options.Quality : options.NearLossless;
        var name = string.Create(CultureInfo.InvariantCulture, $"gateway lossy derivation\n{sourceInstanceUid.Trim('\0', ' ')}\n{target.Uid}\n{parameter}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes(name), hash);
        var uuid = hash[..16];
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x80); // version 8 (custom)
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80); // variant 10
        return DicomUidGenerator.UuidRoot + "." + new BigInteger(uuid, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }
}
