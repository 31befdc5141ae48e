using System.Buffers.Binary;
using System.Globalization;

namespace Gateway.Dicom;

public sealed partial class DicomDataset
{
    /// <summary>Sets text value(s) with the dictionary VR, validated against the VR's rules (strict writing).</summary>
    public DicomDataset Set(DicomTag tag, params string[] values) => Set(tag, VRFor(tag), values);

    /// <summary>Sets value(s) with an explicit VR. Text VRs are validated; numeric VRs are parsed from the text.</summary>
    public DicomDataset Set(DicomTag tag, DicomVR vr, params string[] values)
    {
        switch (vr.Kind)
        {
            case DicomVRKind.Text:
                foreach (var v in values)
                {
                    if (DicomValueRules.Check(vr, v) is { } problem)
                        throw DicomValueException.For(tag, vr, problem);
                }
                var joined = string.Join('\\', values);
                // An empty value is zero values (a type 2 element present but empty).
                CheckVM(tag, vr, joined.Length == 0 ? 0 : values.Length);
                if (!vr.IsMultiValued && values.Length > 1)
                    throw DicomValueException.For(tag, vr, $"{vr.Code} holds one value, {values.Length} were given");
                if (vr == DicomVR.PN)
                    CheckPersonNameGroups(tag, values);
                return AddOrUpdate(new DicomElement(tag, vr, joined));
            case DicomVRKind.Binary when vr == DicomVR.AT:
                return Set(tag, [.. values.Select(v => DicomTag.TryParse(v, out var t) ? t : throw DicomValueException.For(tag, vr, $"'{v}' is not a tag"))]);
            case DicomVRKind.Binary:
                var numbers = values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? d : throw DicomValueException.For(tag, vr, $"'{v}' is not a number")).ToArray();
                return SetNumbers(tag, vr, numbers);
            default:
                throw DicomValueException.For(tag, vr, "cannot be set from text");
        }
    }

    private static void CheckPersonNameGroups(DicomTag tag, string[] values)
    {
        foreach (var v in values)
        {
            if (v.Length > 3 * 64 + 2)
                throw DicomValueException.For(tag, DicomVR.PN, "a person name is at most three groups of 64 characters");
        }
    }

    public DicomDataset Set(DicomTag tag, params int[] values) => SetNumbers(tag, VRFor(tag), [.. values.Select(v => (double)v)]);

    public DicomDataset Set(DicomTag tag, params ushort[] values) => SetNumbers(tag, VRFor(tag), [.. values.Select(v => (double)v)]);

    public DicomDataset Set(DicomTag tag, params double[] values) => SetNumbers(tag, VRFor(tag), values);

    public DicomDataset Set(DicomTag tag, DateOnly date) => Set(tag, DicomVR.DA, DicomDateTimeText.FormatDate(date));

    public DicomDataset Set(DicomTag tag, TimeOnly time) => Set(tag, DicomVR.TM, DicomDateTimeText.FormatTime(time));

    public DicomDataset Set(DicomTag tag, DateTimeOffset dateTime) => Set(tag, DicomVR.DT, DicomDateTimeText.FormatDateTime(dateTime));

    public DicomDataset Set(DicomTag tag, DicomPersonName name) => Set(tag, DicomVR.PN, name.ToString());

    public DicomDataset Set(DicomTag tag, params DicomTag[] tags)
    {
        var bytes = new byte[tags.Length * 4];
        for (var i = 0; i < tags.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 4), tags[i].Group);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 4 + 2), tags[i].Element);
        }
        return AddOrUpdate(new DicomElement(tag, DicomVR.AT, DicomBuffer.From(bytes)));
    }

    /// <summary>Sets 64-bit integers (SV, UV).</summary>
    public DicomDataset Set(DicomTag tag, DicomVR vr, params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            if (vr == DicomVR.UV && values[i] < 0)
                throw DicomValueException.For(tag, vr, $"{values[i]} is negative");
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }
        return vr == DicomVR.SV || vr == DicomVR.UV || vr == DicomVR.OV
            ? AddOrUpdate(new DicomElement(tag, vr, DicomBuffer.From(bytes)))
            : SetNumbers(tag, vr, [.. values.Select(v => (double)v)]);
    }

    /// <summary>Sets a binary value from little-endian bytes (OB, OW, UN, pixel data …); the bytes are not copied.</summary>
    public DicomDataset SetBytes(DicomTag tag, DicomVR vr, DicomBuffer bytes)
    {
        if (vr.Kind is DicomVRKind.Text or DicomVRKind.Sequence)
            throw DicomValueException.For(tag, vr, "is not a binary VR");
        if (vr.UnitSize > 1 && bytes.Length % vr.UnitSize != 0)
            throw DicomValueException.For(tag, vr, $"{bytes.Length} bytes is not a multiple of {vr.UnitSize}");
        return AddOrUpdate(new DicomElement(tag, vr, bytes));
    }

    public DicomDataset SetSequence(DicomTag tag, params DicomDataset[] items) => AddOrUpdate(new DicomSequence(tag, items));

    private DicomDataset SetNumbers(DicomTag tag, DicomVR vr, double[] values)
    {
        CheckVM(tag, vr, values.Length);
        if (vr == DicomVR.IS || vr == DicomVR.DS)
        {
            var text = values.Select(v => vr == DicomVR.IS ? ((long)v).ToString(CultureInfo.InvariantCulture) : FormatDecimal(v)).ToArray();
            return Set(tag, vr, text);
        }
        var size = vr.UnitSize;
        var bytes = new byte[values.Length * size];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            var s = bytes.AsSpan(i * size);
            switch (vr.Code)
            {
                case "US" or "OW": BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)Range(tag, vr, v, 0, ushort.MaxValue)); break;
                case "SS": BinaryPrimitives.WriteInt16LittleEndian(s, (short)Range(tag, vr, v, short.MinValue, short.MaxValue)); break;
                case "UL" or "OL": BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)Range(tag, vr, v, 0, uint.MaxValue)); break;
                case "SL": BinaryPrimitives.WriteInt32LittleEndian(s, (int)Range(tag, vr, v, int.MinValue, int.MaxValue)); break;
                case "FL" or "OF": BinaryPrimitives.WriteSingleLittleEndian(s, (float)v); break;
                case "FD" or "OD": BinaryPrimitives.WriteDoubleLittleEndian(s, v); break;
                case "SV": BinaryPrimitives.WriteInt64LittleEndian(s, (long)v); break;
                case "UV" or "OV": BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)Range(tag, vr, v, 0, ulong.MaxValue)); break;
                default: throw DicomValueException.For(tag, vr, "is not a numeric VR");
            }
        }
        return AddOrUpdate(new DicomElement(tag, vr, DicomBuffer.From(bytes)));
    }

    private static double Range(DicomTag tag, DicomVR vr, double v, double min, double max)
    {
        if (v < min || v > max || Math.Floor(v) != v)
            throw DicomValueException.For(tag, vr, $"{v.ToString(CultureInfo.InvariantCulture)} is not an integer from {min} to {max}");
        return v;
    }

    /// <summary>Shortest decimal string of at most 16 characters that represents the value (DS, PS3.5 §6.2).</summary>
    internal static string FormatDecimal(double v)
    {
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        for (var digits = 15; s.Length > 16 && digits > 0; digits--)
            s = v.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return s;
    }

    private static void CheckVM(DicomTag tag, DicomVR vr, int count)
    {
        var entry = DicomDictionary.Find(tag);
        if (entry is null || count == 0 || vr.Kind == DicomVRKind.Bulk)
            return;
        if (!entry.VM.Allows(count))
            throw DicomValueException.For(tag, vr, $"{count} values given, value multiplicity is {entry.VM}");
    }

    private static DicomVR VRFor(DicomTag tag) =>
        DicomDictionary.Find(tag)?.VR is { } vr && vr != DicomVR.UN
            ? vr
            : throw new DicomValueException($"{tag} is not in the data dictionary: give its VR");
}
