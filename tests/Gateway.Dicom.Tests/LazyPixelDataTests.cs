using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Tests;

/// <summary>Issue #2: large pixel data is streamed — reading the metadata of a big multi-frame file does not load its pixel data.</summary>
public sealed class LazyPixelDataTests
{
    private static string WriteMultiFrame(string path, int frames)
    {
        var frame = DicomBuffer.From(new byte[512 * 512 * 2]);
        var ds = new DicomDataset();
        ds.Set(DicomTags.SOPClassUID, DicomUids.MultiFrameGrayscaleWordSecondaryCaptureImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, DicomUidGenerator.Default.NewUid());
        ds.Set(DicomTags.NumberOfFrames, frames);
        ds.Set(DicomTags.Rows, (ushort)512);
        ds.Set(DicomTags.Columns, (ushort)512);
        ds.Set(DicomTags.BitsAllocated, (ushort)16);
        // The same frame buffer 'frames' times: writing streams it, the series is never concatenated in memory.
        ds.SetBytes(DicomTags.PixelData, DicomVR.OW, DicomBuffer.Concat(Enumerable.Repeat(frame, frames).ToList()));
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);
        return path;
    }

    [Fact]
    public void Metadata_of_a_200_frame_file_is_read_without_loading_pixel_data()
    {
        using var temp = new TempDirectory();
        var small = WriteMultiFrame(temp.File("10.dcm"), 10);
        var big = WriteMultiFrame(temp.File("200.dcm"), 200);
        Assert.True(new FileInfo(big).Length > 200L * 512 * 512 * 2);

        DicomFile.Open(small); // warm up
        var b0 = GC.GetAllocatedBytesForCurrentThread();
        var f10 = DicomFile.Open(small);
        var b1 = GC.GetAllocatedBytesForCurrentThread();
        var f200 = DicomFile.Open(big);
        var b2 = GC.GetAllocatedBytesForCurrentThread();

        var pixels = (DicomElement)f200.Dataset.Find(DicomTags.PixelData)!;
        Assert.False(pixels.Buffer.IsLoaded);
        Assert.Equal(200L * 512 * 512 * 2, pixels.Buffer.Length);
        Assert.Equal(200, f200.Dataset.GetInt(DicomTags.NumberOfFrames));
        Assert.True(b2 - b1 < 512 * 1024, $"reading the 100 MB file's metadata allocated {b2 - b1} bytes");
        Assert.True(Math.Abs((b2 - b1) - (b1 - b0)) < 64 * 1024, $"allocations depend on pixel data size: {b1 - b0} vs {b2 - b1}");
        Assert.Equal(10, f10.Dataset.GetInt(DicomTags.NumberOfFrames));
    }

    [Fact]
    public void Converting_a_big_file_streams_its_pixel_data_and_keeps_it_byte_for_byte()
    {
        using var temp = new TempDirectory();
        var src = WriteMultiFrame(temp.File("src.dcm"), 50);
        var dst = temp.File("dst.dcm");
        var before = GC.GetAllocatedBytesForCurrentThread();
        DicomFile.Open(src).Save(dst, DicomTransferSyntax.ImplicitVRLittleEndian);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8 << 20, $"converting a 26 MB file allocated {allocated} bytes");
        var back = DicomFile.Open(dst);
        Assert.Equal(DicomTransferSyntax.ImplicitVRLittleEndian, back.TransferSyntax);
        Assert.Equal(50L * 512 * 512 * 2, back.Dataset.GetBuffer(DicomTags.PixelData).Length);
    }

    [Fact]
    public void A_failed_save_leaves_neither_a_partial_file_nor_a_temporary_one()
    {
        using var temp = new TempDirectory();
        var ds = new DicomDataset();
        ds.Set(DicomTags.SOPClassUID, DicomUids.SecondaryCaptureImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, "1.2.3");
        ds.Set(DicomTags.PatientName, "Müller"); // no Specific Character Set: cannot be written
        var target = temp.File("out.dcm");
        Assert.Throws<DicomValueException>(() => new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(target));
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}
