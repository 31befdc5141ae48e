using Xunit;

namespace Gateway.Dicom.Tests;

/// <summary>Issue #2 bad input: each gives a DicomFormatException naming offset and tag — never a hang, a stack overflow, or a large allocation.</summary>
public sealed class HostileInputTests
{
    private static DicomFormatException Refused(byte[] bytes, bool seekable = true)
    {
        Stream s = new MemoryStream(bytes);
        if (!seekable)
            s = new UnseekableStream(s);
        return Assert.Throws<DicomFormatException>(() => DicomFile.Read(s));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_declared_length_of_0xFFFFFFF0_in_a_1_KB_file_is_refused_without_allocating_it(bool seekable)
    {
        var bytes = Bytes.Part10().Short(0x0010, 0x0010, "PN", "A^B ").LongHeader(0x7FE0, 0x0010, "OB", 0xFFFFFFF0).Raw(new byte[900]).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refused(bytes, seekable);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("(7FE0,0010)", e.Message);
        Assert.Contains("runs past the end", e.Message);
        Assert.Equal(new DicomTag(0x7FE0, 0x0010), e.Tag);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes for a 1 KB file");
    }

    [Fact]
    public void Sequences_nested_10000_deep_are_refused_not_a_stack_overflow()
    {
        var b = Bytes.Part10();
        for (var i = 0; i < 10_000; i++)
            b.LongHeader(0x0008, 0x1140, "SQ", 0xFFFFFFFF).Tag(0xFFFE, 0xE000).U32(0xFFFFFFFF);
        var e = Refused(b.ToArray());
        Assert.Contains("nested more than 64 levels", e.Message);
    }

    [Fact]
    public void A_truncated_file_is_refused_at_every_cut_inside_an_element()
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.SOPClassUID, DicomUids.SecondaryCaptureImageStorage);
        ds.Set(DicomTags.SOPInstanceUID, "1.2.3");
        ds.Set(DicomTags.PatientName, "Doe^John");
        ds.SetSequence(DicomTags.ReferencedImageSequence, new DicomDataset().Set(DicomTags.ReferencedSOPInstanceUID, "1.2.3.4"));
        ds.SetBytes(DicomTags.PixelData, DicomVR.OW, DicomBuffer.From(new byte[64]));
        var ms = new MemoryStream();
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).WriteTo(ms);
        var whole = ms.ToArray();
        var refused = 0;
        for (var cut = 133; cut < whole.Length; cut++)
        {
            try
            {
                DicomFile.Read(new MemoryStream(whole[..cut]));
            }
            catch (DicomFormatException)
            {
                refused++;
            }
        }
        // A cut exactly between two top-level elements is a shorter, well-formed data set; every other cut is refused.
        Assert.True(refused > whole.Length - 133 - 20, $"{refused} of {whole.Length - 133} cuts refused");
    }

    [Fact]
    public void An_unknown_VR_is_refused_with_its_bytes()
    {
        var e = Refused(Bytes.Part10().Short(0x0010, 0x0010, "PN", "A^B ").Tag(0x0010, 0x0020).Ascii("ZZ").U16(2).Ascii("12").ToArray());
        Assert.Contains("unknown VR 'ZZ'", e.Message);
        Assert.Equal(new DicomTag(0x0010, 0x0020), e.Tag);
    }

    [Fact]
    public void An_odd_length_for_a_binary_VR_is_refused()
    {
        var e = Refused(Bytes.Part10().Tag(0x0028, 0x0010).Ascii("US").U16(3).Raw(1, 2, 3).ToArray());
        Assert.Contains("odd length 3 for VR US", e.Message);
    }

    [Fact]
    public void A_sequence_without_its_delimiter_is_refused()
    {
        var e = Refused(Bytes.Part10().LongHeader(0x0008, 0x1140, "SQ", 0xFFFFFFFF).Tag(0xFFFE, 0xE000).U32(0xFFFFFFFF)
            .Short(0x0008, 0x1155, "UI", "1.2.").ToArray());
        Assert.Contains("no item delimiter", e.Message);
    }

    [Fact]
    public void An_item_longer_than_its_sequence_is_refused()
    {
        var e = Refused(Bytes.Part10().LongHeader(0x0008, 0x1140, "SQ", 16).Tag(0xFFFE, 0xE000).U32(40).Raw(new byte[60]).ToArray());
        Assert.Contains("(FFFE,E000)", e.Message);
    }

    [Fact]
    public void Lenient_reading_keeps_values_that_break_their_VR_byte_for_byte()
    {
        var bytes = Bytes.Part10()
            .Short(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7\0")
            .Short(0x0008, 0x0018, "UI", "1.2.03.4")   // leading zero
            .Short(0x0008, 0x0020, "DA", "20261340")   // impossible date
            .Short(0x0020, 0x0013, "IS", "1A")         // not an integer
            .ToArray();
        var file = DicomFile.Read(new MemoryStream(bytes));
        Assert.Equal("1A", file.Dataset.GetString(DicomTags.InstanceNumber));
        Assert.Throws<DicomValueException>(() => file.Dataset.GetInt(DicomTags.InstanceNumber));
        var ms = new MemoryStream();
        // The file meta needs a valid SOP Instance UID; the data set value itself is forwarded unchanged.
        file.Meta.Set(DicomTags.MediaStorageSOPInstanceUID, "1.2.3.4");
        file.Dataset.Remove(DicomTags.SOPInstanceUID);
        new DicomFile(file.Dataset, DicomTransferSyntax.ExplicitVRLittleEndian, file.Meta).WriteTo(ms);
        ms.Position = 0;
        var back = DicomFile.Read(ms).Dataset;
        Assert.Equal("20261340", back.GetString(DicomTags.StudyDate));
        Assert.Equal("1A", back.GetString(DicomTags.InstanceNumber));
    }
}
