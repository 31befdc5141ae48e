namespace Gateway.Dicom;

/// <summary>A transfer syntax and how it encodes a data set (PS3.5 §10, Annex A).</summary>
public sealed class DicomTransferSyntax
{
    private DicomTransferSyntax(string uid, bool explicitVR, bool bigEndian, bool deflated, bool encapsulated)
    {
        Uid = uid;
        IsExplicitVR = explicitVR;
        IsBigEndian = bigEndian;
        IsDeflated = deflated;
        IsEncapsulated = encapsulated;
    }

    public string Uid { get; }
    public string Name => DicomUid.NameOf(Uid);
    public bool IsExplicitVR { get; }
    public bool IsBigEndian { get; }
    public bool IsDeflated { get; }
    /// <summary>Pixel data is encapsulated (compressed fragments), PS3.5 §A.4.</summary>
    public bool IsEncapsulated { get; }

    public static readonly DicomTransferSyntax ImplicitVRLittleEndian = new(DicomUids.ImplicitVRLittleEndian, false, false, false, false);
    public static readonly DicomTransferSyntax ExplicitVRLittleEndian = new(DicomUids.ExplicitVRLittleEndian, true, false, false, false);
    public static readonly DicomTransferSyntax ExplicitVRBigEndian = new(DicomUids.ExplicitVRBigEndian, true, true, false, false);
    public static readonly DicomTransferSyntax DeflatedExplicitVRLittleEndian = new(DicomUids.DeflatedExplicitVRLittleEndian, true, false, true, false);

    /// <summary>RLE Lossless (PS3.5 Annex G).</summary>
    public static readonly DicomTransferSyntax RleLossless = new(DicomUids.RLELossless, true, false, false, true);
    /// <summary>JPEG-LS Lossless (PS3.5 §8.2.3, ISO/IEC 14495-1 with NEAR = 0).</summary>
    public static readonly DicomTransferSyntax JpegLsLossless = new(DicomUids.JPEGLSLossless, true, false, false, true);
    /// <summary>JPEG-LS Lossy (Near-Lossless) (PS3.5 §8.2.3).</summary>
    public static readonly DicomTransferSyntax JpegLsNearLossless = new(DicomUids.JPEGLSNearLossless, true, false, false, true);
    /// <summary>JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, selection value 1; PS3.5 §8.2.1).</summary>
    public static readonly DicomTransferSyntax JpegLosslessSV1 = new(DicomUids.JPEGLosslessSV1, true, false, false, true);
    /// <summary>JPEG Baseline (Process 1), 8 bits (PS3.5 §8.2.1).</summary>
    public static readonly DicomTransferSyntax JpegBaseline = new(DicomUids.JPEGBaseline8Bit, true, false, false, true);

    /// <summary>MPEG-4 AVC/H.264 High Profile / Level 4.1 (PS3.5 §8.2.7): an H.264 byte stream (Annex B) in one
    /// fragment (more only past 0xFFFFFFFE bytes), empty Basic Offset Table.</summary>
    public static readonly DicomTransferSyntax Mpeg4HighProfile41 = new(DicomUids.MPEG4HP41, true, false, false, true);

    private static readonly DicomTransferSyntax[] Known =
        [ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian,
         RleLossless, JpegLsLossless, JpegLsNearLossless, JpegLosslessSV1, JpegBaseline, Mpeg4HighProfile41];

    /// <summary>
    /// The transfer syntax for a UID. Every transfer syntax other than the four native ones encodes the data set in
    /// Explicit VR Little Endian with encapsulated pixel data (PS3.5 §A.4), which is how an unknown one is read.
    /// </summary>
    public static DicomTransferSyntax FromUid(string uid)
    {
        uid = uid.TrimEnd('\0', ' ');
        foreach (var ts in Known)
        {
            if (ts.Uid == uid)
                return ts;
        }
        return new DicomTransferSyntax(uid, true, false, false, true);
    }

    /// <summary>True for the syntaxes we can write: Implicit LE, Explicit LE, Deflated Explicit LE.</summary>
    public bool CanWrite => !IsBigEndian && !IsEncapsulated;

    public override string ToString() => $"{Name} ({Uid})";

    public override bool Equals(object? obj) => obj is DicomTransferSyntax t && t.Uid == Uid;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Uid);
}
