using System.Buffers.Binary;
using System.Globalization;

namespace Gateway.Dicom;

public sealed partial class DicomDataset
{
    private DicomElement Element(DicomTag tag) =>
        Find(tag) switch
        {
            DicomElement e => e,
            null => throw new KeyNotFoundException($"{Describe(tag)} is not in the data set"),
            var other => throw new DicomValueException($"{Describe(tag)} is a {other.VR.Code}, not a value"),
        };

    private static string Describe(DicomTag tag)
    {
        var k = DicomDictionary.KeywordOf(tag);
        return k.Length > 0 ? $"{k} {tag}" : tag.ToString();
    }

    /// <summary>The whole text value (values separated by backslash), without padding; for binary VRs, the numbers.</summary>
    public string GetString(DicomTag tag)
    {
        var e = Element(tag);
        return e.VR.Kind == DicomVRKind.Text ? e.GetText(CharacterSet) : string.Join('\\', GetNumberStrings(e));
    }

    public string? TryGetString(DicomTag tag) => Find(tag) is DicomElement ? GetString(tag) : null;

    /// <summary>The values of a multi-valued element, each without padding.</summary>
    public string[] GetStrings(DicomTag tag)
    {
        var e = Element(tag);
        if (e.VR.Kind != DicomVRKind.Text)
            return GetNumberStrings(e);
        var text = e.GetText(CharacterSet);
        if (!e.VR.IsMultiValued)
            return text.Length == 0 ? [] : [text];
        var values = SplitValues(text);
        for (var i = 0; i < values.Length; i++)
            values[i] = DicomElement.TrimPadding(values[i], e.VR).TrimStart(' ');
        return values;
    }

    public int GetInt(DicomTag tag, int index = 0) => checked((int)GetLongs(tag)[index]);

    public int[] GetInts(DicomTag tag) => [.. GetLongs(tag).Select(v => checked((int)v))];

    /// <summary>Integers from IS, US, SS, UL, SL, SV, UV (UV values above long.MaxValue are not representable).</summary>
    public long[] GetLongs(DicomTag tag)
    {
        var e = Element(tag);
        if (e.VR == DicomVR.IS)
        {
            return [.. GetStrings(tag).Select(s => long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
                ? v : throw DicomValueException.For(tag, e.VR, $"'{s}' is not an integer"))];
        }
        var span = e.Buffer.Memory.Span;
        var size = e.VR.UnitSize;
        var n = span.Length / size;
        var result = new long[n];
        for (var i = 0; i < n; i++)
        {
            var s = span.Slice(i * size, size);
            result[i] = e.VR.Code switch
            {
                "US" or "OW" => BinaryPrimitives.ReadUInt16LittleEndian(s),
                "SS" => BinaryPrimitives.ReadInt16LittleEndian(s),
                "UL" or "OL" => BinaryPrimitives.ReadUInt32LittleEndian(s),
                "SL" => BinaryPrimitives.ReadInt32LittleEndian(s),
                "SV" => BinaryPrimitives.ReadInt64LittleEndian(s),
                "UV" or "OV" => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(s)),
                "OB" or "UN" => s[0],
                _ => throw DicomValueException.For(tag, e.VR, "is not an integer VR"),
            };
        }
        return result;
    }

    public double GetDouble(DicomTag tag, int index = 0) => GetDoubles(tag)[index];

    /// <summary>Numbers from DS, FL, FD, OF, OD (and the integer VRs).</summary>
    public double[] GetDoubles(DicomTag tag)
    {
        var e = Element(tag);
        if (e.VR == DicomVR.DS)
        {
            return [.. GetStrings(tag).Select(s => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v : throw DicomValueException.For(tag, e.VR, $"'{s}' is not a decimal number"))];
        }
        if (e.VR == DicomVR.FL || e.VR == DicomVR.OF)
        {
            var span = e.Buffer.Memory.Span;
            return [.. Enumerable.Range(0, span.Length / 4).Select(i => (double)BinaryPrimitives.ReadSingleLittleEndian(e.Buffer.Memory.Span[(i * 4)..]))];
        }
        if (e.VR == DicomVR.FD || e.VR == DicomVR.OD)
        {
            var span = e.Buffer.Memory.Span;
            return [.. Enumerable.Range(0, span.Length / 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(e.Buffer.Memory.Span[(i * 8)..]))];
        }
        return [.. GetLongs(tag).Select(v => (double)v)];
    }

    public DateOnly GetDate(DicomTag tag) =>
        DicomDateTimeText.TryParseDate(GetString(tag), out var d) ? d
        : throw DicomValueException.For(tag, DicomVR.DA, $"'{GetString(tag)}' is not a valid date");

    public TimeOnly GetTime(DicomTag tag) =>
        DicomDateTimeText.TryParseTime(GetString(tag), out var t) ? t
        : throw DicomValueException.For(tag, DicomVR.TM, $"'{GetString(tag)}' is not a valid time");

    public DateTimeOffset GetDateTime(DicomTag tag) =>
        DicomDateTimeText.TryParseDateTime(GetString(tag), out var t) ? t
        : throw DicomValueException.For(tag, DicomVR.DT, $"'{GetString(tag)}' is not a valid date-time");

    public DicomPersonName GetPersonName(DicomTag tag) => DicomPersonName.Parse(GetString(tag));

    public DicomTag[] GetTags(DicomTag tag)
    {
        var span = Element(tag).Buffer.Memory.Span;
        return [.. Enumerable.Range(0, span.Length / 4).Select(i =>
            new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(Element(tag).Buffer.Memory.Span[(i * 4)..]),
                         BinaryPrimitives.ReadUInt16LittleEndian(Element(tag).Buffer.Memory.Span[(i * 4 + 2)..])))];
    }

    public DicomSequence GetSequence(DicomTag tag) =>
        Find(tag) as DicomSequence ?? throw new KeyNotFoundException($"{Describe(tag)} is not a sequence in the data set");

    /// <summary>The raw little-endian bytes of a binary value (OB, OW, pixel data …).</summary>
    public DicomBuffer GetBuffer(DicomTag tag) => Element(tag).Buffer;

    private string[] GetNumberStrings(DicomElement e)
    {
        if (e.VR == DicomVR.AT)
            return [.. GetTags(e.Tag).Select(t => t.ToString())];
        if (e.VR == DicomVR.FL || e.VR == DicomVR.FD || e.VR == DicomVR.OF || e.VR == DicomVR.OD)
            return [.. GetDoubles(e.Tag).Select(d => d.ToString("R", CultureInfo.InvariantCulture))];
        if (e.VR == DicomVR.UV)
        {
            var span = e.Buffer.Memory.Span;
            return [.. Enumerable.Range(0, span.Length / 8).Select(i => BinaryPrimitives.ReadUInt64LittleEndian(e.Buffer.Memory.Span[(i * 8)..]).ToString(CultureInfo.InvariantCulture))];
        }
        return [.. GetLongs(e.Tag).Select(v => v.ToString(CultureInfo.InvariantCulture))];
    }
}
