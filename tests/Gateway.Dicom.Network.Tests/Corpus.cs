using Gateway.Testing;

namespace Gateway.Dicom.Network.Tests;

/// <summary>Files the network tests send: pydicom's uncompressed test images plus one we make with a private SOP class.</summary>
internal static class Corpus
{
    public static string TestFile(string name)
    {
        Peers.RequirePydicom();
        return Path.Combine(Peers.PydicomData, "test_files", name);
    }

    public static IReadOnlyList<string> Uncompressed => [TestFile("CT_small.dcm"), TestFile("MR_small.dcm"), TestFile("MR_small_bigendian.dcm"), TestFile("MR_small_implicit.dcm"), TestFile("rtplan.dcm")];

    /// <summary>Writes an object whose SOP class no PACS knows.</summary>
    public static string PrivateSopClass(string directory)
    {
        var ds = DicomFile.Open(TestFile("CT_small.dcm")).Dataset;
        ds.Set(DicomTags.SOPClassUID, "1.2.826.0.1.3680043.10.999.1");
        ds.Set(DicomTags.SOPInstanceUID, DicomUidGenerator.Default.NewUid());
        var path = Path.Combine(directory, "private-sop-class.dcm");
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        return path;
    }

    /// <summary>The data set bytes of a Part 10 file (everything after the File Meta Information).</summary>
    public static byte[] DatasetBytes(string path)
    {
        var file = DicomFile.Open(path);
        return File.ReadAllBytes(path)[(int)file.DatasetOffset..];
    }

    /// <summary>
    /// The data set bytes storescu puts on the wire: dcmtk drops a Data Set Trailing Padding (FFFC,FFFC) element,
    /// which closes CT_small.dcm; everything before it is sent as stored.
    /// </summary>
    public static byte[] DatasetBytesAsStorescuSends(string path)
    {
        var bytes = DatasetBytes(path);
        if (DicomFile.Open(path).Dataset.Find(DicomTags.DataSetTrailingPadding) is DicomElement padding)
            return bytes[..^(int)(12 + padding.Length)];
        return bytes;
    }

    public static byte[] PixelData(string path) => DicomFile.Open(path).Dataset.GetBuffer(DicomTags.PixelData).Memory.ToArray();
}
