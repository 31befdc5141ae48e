using System.Buffers.Binary;
using Gateway.Dicom.Codecs;
using Xunit;

namespace Gateway.Dicom.Tests.Codecs;

/// <summary>PS3.5 §A.4 and PS3.3 §C.7.6.3.1.8: 32-bit Basic Offset Table while it fits, else the Extended Offset Table.</summary>
public sealed class OffsetTableTests
{
    /// <summary>A fragment that only has a length (the offset tables never read the bytes).</summary>
    private sealed class SizedBuffer(long length) : DicomBuffer
    {
        public override long Length => length;
        public override bool IsLoaded => false;
        public override ReadOnlyMemory<byte> Memory => throw new NotSupportedException();
        public override void CopyTo(Stream destination) => throw new NotSupportedException();
    }

    [Fact]
    public void Past_4_GiB_the_Basic_Offset_Table_is_empty_and_the_Extended_one_holds_64_bit_offsets_and_lengths()
    {
        var fragments = Enumerable.Range(0, 3).Select(_ => (DicomBuffer)new SizedBuffer(1_600_000_001)).ToList();
        var ds = new DicomDataset();
        PixelDataTranscoder.SetOffsetTables(ds, fragments, fragments.Sum(f => f.Length + 1), out var basic);
        Assert.Equal(0, basic.Length);
        var offsets = ds.GetBuffer(DicomTags.ExtendedOffsetTable).Memory.ToArray();
        var lengths = ds.GetBuffer(DicomTags.ExtendedOffsetTableLengths).Memory.ToArray();
        Assert.Equal(DicomVR.OV, ds.Find(DicomTags.ExtendedOffsetTable)!.VR);
        Assert.Equal([0UL, 1_600_000_010UL, 3_200_000_020UL], Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadUInt64LittleEndian(offsets.AsSpan(8 * i))));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(1_600_000_002UL, BinaryPrimitives.ReadUInt64LittleEndian(lengths.AsSpan(8 * i))));
    }

    [Fact]
    public void Below_4_GiB_only_the_Basic_Offset_Table_is_written()
    {
        var fragments = new List<DicomBuffer> { new SizedBuffer(11), new SizedBuffer(20), new SizedBuffer(7) };
        var ds = new DicomDataset();
        PixelDataTranscoder.SetOffsetTables(ds, fragments, 12 + 20 + 8, out var basic);
        var table = basic.Memory.ToArray();
        Assert.Equal([0u, 20u, 48u], Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4 * i))));
        Assert.False(ds.Contains(DicomTags.ExtendedOffsetTable));
    }
}
