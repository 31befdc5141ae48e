using Gateway.Dicom;

namespace Gateway.Benchmarks;

/// <summary>The files the DICOM benchmarks run on, written once into a scratch folder.</summary>
public static class BenchmarkFiles
{
    public static string Folder { get; } = Path.Combine(Path.GetTempPath(), "gateway-bench");

    /// <summary>200 frames of 512×512 16-bit (100 MB of pixel data).</summary>
    public static string MultiFrame => Ensure("mf-200x512x512x16.dcm", () => Image(512, 512, 200));

    /// <summary>One 3000×3000 16-bit frame (18 MB), the size of a flat-panel DX image.</summary>
    public static string Dx18MB => Ensure("dx-3000x3000x16.dcm", () => Image(3000, 3000, 1));

    private static string Ensure(string name, Func<DicomDataset> build)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path))
            new DicomFile(build(), DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        return path;
    }

    public static DicomDataset Image(int columns, int rows, int frames)
    {
        var frame = new byte[columns * rows * 2];
        new Random(1).NextBytes(frame);
        for (var i = 1; i < frame.Length; i += 2)
            frame[i] &= 0x0F; // 12 bits stored
        var ds = new DicomDataset();
        ds.Set(DicomTags.SpecificCharacterSet, "ISO_IR 100");
        ds.Set(DicomTags.ImageType, "DERIVED", "SECONDARY");
        ds.Set(DicomTags.SOPClassUID, frames > 1 ? DicomUids.MultiFrameGrayscaleWordSecondaryCaptureImageStorage : DicomUids.SecondaryCaptureImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, DicomUidGenerator.Default.NewUid());
        ds.Set(DicomTags.StudyDate, new DateOnly(2026, 11, 23));
        ds.Set(DicomTags.Modality, "OT");
        ds.Set(DicomTags.PatientName, "Bench^Mark");
        ds.Set(DicomTags.PatientID, "BENCH");
        ds.Set(DicomTags.StudyInstanceUID, DicomUidGenerator.Default.NewUid());
        ds.Set(DicomTags.SeriesInstanceUID, DicomUidGenerator.Default.NewUid());
        ds.Set(DicomTags.SamplesPerPixel, (ushort)1);
        ds.Set(DicomTags.PhotometricInterpretation, "MONOCHROME2");
        if (frames > 1)
            ds.Set(DicomTags.NumberOfFrames, frames);
        ds.Set(DicomTags.Rows, (ushort)rows);
        ds.Set(DicomTags.Columns, (ushort)columns);
        ds.Set(DicomTags.BitsAllocated, (ushort)16);
        ds.Set(DicomTags.BitsStored, (ushort)12);
        ds.Set(DicomTags.HighBit, (ushort)11);
        ds.Set(DicomTags.PixelRepresentation, (ushort)0);
        var buffer = DicomBuffer.From(frame);
        ds.SetBytes(DicomTags.PixelData, DicomVR.OW, frames == 1 ? buffer : DicomBuffer.Concat(Enumerable.Repeat(buffer, frames).ToList()));
        return ds;
    }
}
