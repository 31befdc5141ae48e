using Gateway.Dicom;

namespace Gateway.IntegrationTests;

/// <summary>What a test modality sends: small Secondary Capture objects with their own random pixels.</summary>
internal static class TestModality
{
    /// <summary>Writes a 64×64 8-bit grey SC object to <paramref name="path"/>; its pixels come from <paramref name="random"/>.</summary>
    public static (string SopInstanceUid, byte[] Pixels) Write(string path, Random random, string patientId, string studyUid, string seriesUid)
    {
        var pixels = new byte[64 * 64];
        random.NextBytes(pixels);
        var uid = DicomUidGenerator.Default.NewUid();
        var ds = new DicomDataset();
        ds.Set(DicomTags.SOPClassUID, DicomUids.SecondaryCaptureImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, uid);
        ds.Set(DicomTags.StudyInstanceUID, studyUid);
        ds.Set(DicomTags.SeriesInstanceUID, seriesUid);
        ds.Set(DicomTags.PatientID, patientId);
        ds.Set(DicomTags.Modality, "OT");
        ds.Set(DicomTags.Rows, (ushort)64);
        ds.Set(DicomTags.Columns, (ushort)64);
        ds.Set(DicomTags.SamplesPerPixel, (ushort)1);
        ds.Set(DicomTags.PhotometricInterpretation, "MONOCHROME2");
        ds.Set(DicomTags.BitsAllocated, (ushort)8);
        ds.Set(DicomTags.BitsStored, (ushort)8);
        ds.Set(DicomTags.HighBit, (ushort)7);
        ds.Set(DicomTags.PixelRepresentation, (ushort)0);
        ds.SetBytes(DicomTags.PixelData, DicomVR.OB, DicomBuffer.From(pixels));
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        return (uid, pixels);
    }
}
