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

    private static readonly DicomTransferSyntax[] Native =
        [ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian];

    /// <summary>
    /// The transfer syntax for a UID. Every transfer syntax other than the four native ones encodes the data set in
    /// Explicit VR Little Endian with encapsulated pixel data (PS3.5 §A.4), which is how an unknown one is read.
    /// </summary>
    public static DicomTransferSyntax FromUid(string uid)
    {
        uid = uid.TrimEnd('\0', ' ');
        foreach (var ts in Native)
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
