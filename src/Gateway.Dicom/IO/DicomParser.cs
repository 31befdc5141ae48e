using System.Globalization;

namespace Gateway.Dicom;

/// <summary>
/// Reads a data set from a <see cref="DicomInput"/> (PS3.5 §7): explicit or implicit VR, little or big endian,
/// defined and undefined lengths, nested sequences (depth-bounded), encapsulated pixel data, UN of undefined length
/// (read as Implicit VR Little Endian, PS3.5 §6.2.2). Every fault is a <see cref="DicomFormatException"/> naming the
/// offset and tag; no declared length is allocated before the bytes are known to be there.
/// </summary>
internal sealed class DicomParser(DicomInput input, DicomReadOptions options)
{
    private const uint UndefinedLength = 0xFFFFFFFF;
    private static readonly DicomTag PixelData = DicomTags.PixelData;

    /// <summary>Reads elements until the end of the input, <paramref name="end"/>, or an item delimiter.</summary>
    public void ReadDataset(DicomDataset target, bool explicitVR, bool bigEndian, long end = long.MaxValue, int depth = 0, bool inUndefinedItem = false)
    {
        if (depth > options.MaxDepth)
            throw new DicomFormatException($"sequences are nested more than {options.MaxDepth} levels deep", input.Position);
        while (input.Position < end)
        {
            var start = input.Position;
            if (!input.TryEnsure(4))
            {
                if (input.AtEnd && !inUndefinedItem && end == long.MaxValue)
                    return;
                throw new DicomFormatException(inUndefinedItem ? "data ends inside an item (no item delimiter)" : "data ends inside an element header", start);
            }
            var peekGroup = bigEndian ? (ushort)((input.Peek(2)[0] << 8) | input.Peek(2)[1]) : (ushort)(input.Peek(2)[0] | (input.Peek(2)[1] << 8));
            // Items and delimiters are always encoded as in Implicit VR (PS3.5 §7.5), whatever the transfer syntax.
            if (depth == 0 && options.OnlyGroup is { } only && peekGroup != only)
                return;
            if (depth == 0 && options.StopBefore is { } stop && peekGroup >= stop.Group)
            {
                var el = bigEndian ? (ushort)((input.Peek(4)[2] << 8) | input.Peek(4)[3]) : (ushort)(input.Peek(4)[2] | (input.Peek(4)[3] << 8));
                if (new DicomTag(peekGroup, el) >= stop)
                    return;
            }
            var tag = new DicomTag(input.ReadUInt16(bigEndian), input.ReadUInt16(bigEndian));
            if (tag.Group == 0xFFFE)
            {
                var len = ReadUInt32(bigEndian, tag, start);
                if (tag == DicomTag.ItemDelimitation && inUndefinedItem)
                    return;
                throw new DicomFormatException($"unexpected {DescribeDelimiter(tag)} with length {len} inside a data set", start, tag);
            }
            var item = ReadElement(tag, start, target, explicitVR, bigEndian, depth, end);
            if (item is not null)
                target.AddOrUpdate(item);
        }
        if (input.Position > end)
            throw new DicomFormatException($"an element runs {input.Position - end} bytes past the end of its item", end);
    }

    private DicomItem? ReadElement(DicomTag tag, long start, DicomDataset context, bool explicitVR, bool bigEndian, int depth, long end)
    {
        DicomVR vr;
        uint length;
        if (explicitVR)
        {
            if (!input.TryEnsure(4))
                throw new DicomFormatException("data ends inside an element header", start, tag);
            var v = input.Peek(2);
            if (!DicomVR.TryGet(v[0], v[1], out vr))
            {
                throw new DicomFormatException(
                    $"unknown VR '{Printable(v[0])}{Printable(v[1])}' (0x{v[0]:X2}{v[1]:X2})", start, tag);
            }
            input.ReadUInt16(false);
            if (vr.HasLongLength)
            {
                if (!input.TryEnsure(6))
                    throw new DicomFormatException("data ends inside an element header", start, tag);
                input.ReadUInt16(false);
                length = input.ReadUInt32(bigEndian);
            }
            else
            {
                length = input.ReadUInt16(bigEndian);
            }
        }
        else
        {
            length = ReadUInt32(bigEndian, tag, start);
            vr = ImplicitVR(tag, context, length);
        }

        if (length == UndefinedLength)
        {
            if (vr == DicomVR.SQ)
                return ReadSequence(tag, explicitVR, bigEndian, null, depth, context);
            if (vr == DicomVR.UN)
                return ReadSequence(tag, false, false, null, depth, context);
            if (tag == PixelData || vr == DicomVR.OB || vr == DicomVR.OW)
                return ReadFragments(tag, vr, bigEndian);
            throw new DicomFormatException($"undefined length is not allowed for VR {vr.Code}", start, tag);
        }

        CheckWithin(length, end, "item", tag, start);
        if (vr == DicomVR.SQ)
        {
            CheckAvailable(length, tag, start);
            return ReadSequence(tag, explicitVR, bigEndian, input.Position + length, depth, context);
        }

        if (explicitVR && vr == DicomVR.UN && KnownTextVR(tag, length) is { } known)
        {
            // PS3.5 §6.2.2: a UN value of a tag we know is the Implicit VR Little Endian encoding of its real VR. For text
            // VRs those bytes are the text itself (no byte order), so the element is read as its real VR: its UIDs,
            // codes and names mean what they say (a SOP Class UID encoded as UN names the right abstract syntax).
            return new DicomElement(tag, known, ReadValue(length, known, false, tag, start));
        }
        if ((length & 1) == 1 && vr.Kind != DicomVRKind.Text && vr != DicomVR.OB && vr != DicomVR.UN)
        {
            // Odd lengths are not allowed (PS3.5 §7.1.1); binary VRs cannot be read past this.
            throw new DicomFormatException($"odd length {length} for VR {vr.Code}", start, tag);
        }
        return new DicomElement(tag, vr, ReadValue(length, vr, bigEndian, tag, start));
    }

    private DicomBuffer ReadValue(uint length, DicomVR vr, bool bigEndian, DicomTag tag, long start)
    {
        CheckAvailable(length, tag, start);
        var swap = bigEndian ? ByteSwap.UnitFor(vr) : 1;
        if (length >= options.LazyThreshold && input.Path is not null && input.CanSeek && vr.Kind == DicomVRKind.Bulk)
        {
            var offset = input.Position;
            if (!input.TrySkip(length))
                throw Truncated(length, tag, start);
            return new FileDicomBuffer(input.Path, offset, length, swap, input.Handle);
        }
        var bytes = input.TryReadBytes(length) ?? throw Truncated(length, tag, start);
        ByteSwap.InPlace(bytes, swap);
        return DicomBuffer.From(bytes);
    }

    private DicomSequence ReadSequence(DicomTag tag, bool explicitVR, bool bigEndian, long? end, int depth, DicomDataset parent)
    {
        var seq = new DicomSequence(tag);
        var limit = end ?? long.MaxValue;
        while (input.Position < limit)
        {
            var start = input.Position;
            if (!input.TryEnsure(8))
                throw new DicomFormatException(end is null ? "data ends inside a sequence (no sequence delimiter)" : "data ends inside a sequence", start, tag);
            var itemTag = new DicomTag(input.ReadUInt16(bigEndian), input.ReadUInt16(bigEndian));
            var length = input.ReadUInt32(bigEndian);
            if (itemTag == DicomTag.SequenceDelimitation)
            {
                if (end is null)
                    return seq;
                continue; // tolerated inside a defined-length sequence
            }
            if (itemTag != DicomTag.Item)
                throw new DicomFormatException($"expected an item in sequence {tag}, found {itemTag}", start, tag);
            if (length != UndefinedLength)
                CheckWithin(length, limit, "sequence", itemTag, start);
            var item = new DicomDataset { Parent = parent };
            seq.Add(item);
            if (length == UndefinedLength)
            {
                ReadDataset(item, explicitVR, bigEndian, long.MaxValue, depth + 1, inUndefinedItem: true);
            }
            else
            {
                CheckAvailable(length, itemTag, start);
                ReadDataset(item, explicitVR, bigEndian, input.Position + length, depth + 1);
            }
        }
        if (end is not null && input.Position > limit)
            throw new DicomFormatException($"an item runs {input.Position - limit} bytes past the end of sequence {tag}", limit, tag);
        return seq;
    }

    private DicomFragmentSequence ReadFragments(DicomTag tag, DicomVR vr, bool bigEndian)
    {
        DicomBuffer? offsetTable = null;
        var fragments = new List<DicomBuffer>();
        while (true)
        {
            var at = input.Position;
            if (!input.TryEnsure(8))
                throw new DicomFormatException("data ends inside encapsulated pixel data (no sequence delimiter)", at, tag);
            var itemTag = new DicomTag(input.ReadUInt16(bigEndian), input.ReadUInt16(bigEndian));
            var length = input.ReadUInt32(bigEndian);
            if (itemTag == DicomTag.SequenceDelimitation)
                break;
            if (itemTag != DicomTag.Item || length == UndefinedLength)
                throw new DicomFormatException($"expected a fragment item, found {itemTag} with length 0x{length:X8}", at, tag);
            var value = ReadValue(length, DicomVR.OB, false, tag, at);
            if (offsetTable is null)
                offsetTable = value;
            else
                fragments.Add(value);
        }
        return new DicomFragmentSequence(tag, vr, offsetTable ?? DicomBuffer.Empty, fragments);
    }

    /// <summary>The dictionary's VR for a UN element when it is one text VR whose length field can hold the value, else null.</summary>
    private static DicomVR? KnownTextVR(DicomTag tag, uint length)
    {
        if (tag.IsPrivate || DicomDictionary.Find(tag) is not { IsAmbiguous: false } entry)
            return null;
        var vr = entry.VR;
        if (vr.Kind != DicomVRKind.Text || (!vr.HasLongLength && length > ushort.MaxValue))
            return null;
        return vr;
    }

    /// <summary>The VR of an element in Implicit VR: from the dictionary, with ambiguous ones resolved (PS3.5 Annex A.1 notes).</summary>
    private static DicomVR ImplicitVR(DicomTag tag, DicomDataset context, uint length)
    {
        var entry = DicomDictionary.Find(tag);
        if (entry is null)
            return length == UndefinedLength ? DicomVR.SQ : DicomVR.UN;
        if (!entry.IsAmbiguous)
            return entry.VR;
        var options = entry.ValueRepresentations;
        if (options.Contains(DicomVR.SS) && options.Contains(DicomVR.US) && !options.Contains(DicomVR.OW))
            return PixelRepresentation(context) == 1 ? DicomVR.SS : DicomVR.US;
        // Pixel data, overlays, LUT data: OW in Implicit VR Little Endian (PS3.5 §A.1 c).
        return DicomVR.OW;
    }

    private static int PixelRepresentation(DicomDataset? ds)
    {
        for (; ds is not null; ds = ds.Parent)
        {
            if (ds.Find(DicomTags.PixelRepresentation) is DicomElement e && e.HasBytes && e.Buffer.Length >= 2)
                return e.Buffer.Memory.Span[0];
        }
        return 0;
    }

    private uint ReadUInt32(bool bigEndian, DicomTag tag, long start)
    {
        if (!input.TryEnsure(4))
            throw new DicomFormatException("data ends inside an element header", start, tag);
        return input.ReadUInt32(bigEndian);
    }

    /// <summary>A value must end within its enclosing item or sequence of defined length.</summary>
    private void CheckWithin(uint length, long end, string container, DicomTag tag, long start)
    {
        if (end != long.MaxValue && input.Position + length > end)
        {
            throw new DicomFormatException(string.Create(CultureInfo.InvariantCulture,
                $"declared length {length} runs {input.Position + length - end} bytes past the end of its {container}"), start, tag);
        }
    }

    private void CheckAvailable(uint length, DicomTag tag, long start)
    {
        if (input.Remaining is { } r && length > r)
            throw Truncated(length, tag, start, r);
    }

    private DicomFormatException Truncated(uint length, DicomTag tag, long start, long? remaining = null)
    {
        var left = remaining ?? input.Remaining;
        var tail = left is { } l ? string.Create(CultureInfo.InvariantCulture, $"only {l} bytes remain") : "the data ends first";
        return new DicomFormatException(string.Create(CultureInfo.InvariantCulture, $"declared length {length} (0x{length:X8}) runs past the end of the data: {tail}"), start, tag);
    }

    private static string DescribeDelimiter(DicomTag tag) =>
        tag == DicomTag.Item ? "item tag" : tag == DicomTag.ItemDelimitation ? "item delimiter" : tag == DicomTag.SequenceDelimitation ? "sequence delimiter" : tag.ToString();

    private static char Printable(byte b) => b is >= 0x20 and < 0x7F ? (char)b : '?';
}
