using System.Buffers.Binary;

namespace Gateway.Dicom;

/// <summary>
/// Writes a data set in Explicit or Implicit VR Little Endian (PS3.5 §7). Sequences and items use undefined lengths
/// with delimiters; odd values are padded with their VR's padding byte; group lengths (retired in data sets,
/// PS3.5 §7.2) are not written. Bulk values are streamed from their buffers.
/// </summary>
internal sealed class DicomWriter(Stream output, bool explicitVR)
{
    private const uint UndefinedLength = 0xFFFFFFFF;
    private readonly byte[] _header = new byte[12];

    /// <summary>A top-level element whose position in the output is wanted (to patch its value later in place).</summary>
    public DicomTag? Mark { get; init; }

    /// <summary>Where <see cref="Mark"/>'s header began in the output (the output must be seekable), or -1.</summary>
    public long MarkedPosition { get; private set; } = -1;

    private int _depth;

    public void WriteDataset(DicomDataset dataset, bool skipGroupLengths = true)
    {
        var cs = dataset.CharacterSet;
        foreach (var item in dataset)
        {
            if (skipGroupLengths && item.Tag.IsGroupLength)
                continue;
            if (_depth == 0 && Mark is { } mark && item.Tag == mark)
                MarkedPosition = output.Position;
            switch (item)
            {
                case DicomSequence sq:
                    WriteHeader(item.Tag, DicomVR.SQ, UndefinedLength);
                    foreach (var i in sq.Items)
                    {
                        WriteTagLength(DicomTag.Item, UndefinedLength);
                        _depth++;
                        WriteDataset(i);
                        _depth--;
                        WriteTagLength(DicomTag.ItemDelimitation, 0);
                    }
                    WriteTagLength(DicomTag.SequenceDelimitation, 0);
                    break;
                case DicomFragmentSequence f:
                    WriteHeader(item.Tag, f.VR == DicomVR.OW ? DicomVR.OW : DicomVR.OB, UndefinedLength);
                    WriteFragment(f.OffsetTable);
                    foreach (var fragment in f.Fragments)
                        WriteFragment(fragment);
                    WriteTagLength(DicomTag.SequenceDelimitation, 0);
                    break;
                case DicomElement e:
                    WriteElement(e, cs);
                    break;
            }
        }
    }

    private void WriteElement(DicomElement e, DicomCharacterSet cs)
    {
        var buffer = e.GetBuffer(cs);
        var length = buffer.Length;
        var padded = length + (length & 1);
        if (padded > uint.MaxValue - 1)
            throw DicomValueException.For(e.Tag, e.VR, $"{length} bytes is more than one element can hold");
        var vr = e.VR;
        // A value too long for a 16-bit length field can only be written as UN (PS3.5 §6.2.2 note).
        if (explicitVR && !vr.HasLongLength && padded > ushort.MaxValue)
            vr = DicomVR.UN;
        WriteHeader(e.Tag, vr, (uint)padded);
        buffer.CopyTo(output);
        if ((length & 1) == 1)
            output.WriteByte(e.VR.PaddingByte);
    }

    private void WriteFragment(DicomBuffer fragment)
    {
        var length = fragment.Length;
        WriteTagLength(DicomTag.Item, (uint)(length + (length & 1)));
        fragment.CopyTo(output);
        if ((length & 1) == 1)
            output.WriteByte(0);
    }

    private void WriteHeader(DicomTag tag, DicomVR vr, uint length)
    {
        var h = _header.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(h, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], tag.Element);
        if (!explicitVR)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], length);
            output.Write(h[..8]);
            return;
        }
        h[4] = (byte)vr.Code[0];
        h[5] = (byte)vr.Code[1];
        if (vr.HasLongLength)
        {
            h[6] = h[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], length);
            output.Write(h[..12]);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)length);
            output.Write(h[..8]);
        }
    }

    private void WriteTagLength(DicomTag tag, uint length)
    {
        var h = _header.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(h, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], tag.Element);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], length);
        output.Write(h[..8]);
    }
}
