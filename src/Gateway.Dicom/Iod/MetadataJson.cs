using System.Globalization;
using System.Text.Json;

namespace Gateway.Dicom.Iod;

/// <summary>
/// Acquisition metadata as JSON: DICOM keywords to values — strings, numbers, arrays for multi-valued elements,
/// arrays of objects for sequences, null for an empty (type 2) value. Every value is checked against its VR as it is
/// read: an unknown keyword or a bad value is a <see cref="DicomValueException"/> naming the keyword (and the path
/// inside sequences), before anything is written.
/// </summary>
public static class MetadataJson
{
    public static DicomDataset Parse(string json, string source = "metadata")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new DicomValueException($"{source}: not valid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new DicomValueException($"{source}: expected a JSON object of DICOM keywords");
            return Object(doc.RootElement, source);
        }
    }

    private static DicomDataset Object(JsonElement obj, string path)
    {
        var ds = new DicomDataset();
        foreach (var property in obj.EnumerateObject())
        {
            var where = $"{path}: {property.Name}";
            var entry = DicomDictionary.Find(property.Name)
                ?? throw new DicomValueException($"{where}: unknown keyword (DICOM keywords are case-sensitive, e.g. PatientName)");
            if (entry.IsRetired)
                throw new DicomValueException($"{where}: {entry.Name} is retired from the standard; use its successor");
            var tag = entry.Tag;
            var vr = entry.VR;
            var value = property.Value;
            try
            {
                if (vr == DicomVR.SQ)
                {
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        ds.SetSequence(tag);
                        continue;
                    }
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.Object))
                        throw new DicomValueException($"{where}: a sequence is an array of objects");
                    ds.SetSequence(tag, [.. value.EnumerateArray().Select((item, i) => Object(item, $"{path}: {property.Name}[{i}]"))]);
                    continue;
                }
                var values = value.ValueKind switch
                {
                    JsonValueKind.Null => [],
                    JsonValueKind.Array => value.EnumerateArray().Select(v => Scalar(v, where)).ToArray(),
                    _ => new[] { Scalar(value, where) },
                };
                if (vr.Kind == DicomVRKind.Bulk)
                    throw new DicomValueException($"{where}: {vr.Code} values cannot be given in JSON");
                if (values.Length == 0)
                    ds.Set(tag, vr, "");
                else
                    ds.Set(tag, vr, values);
            }
            catch (DicomValueException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw new DicomValueException($"{path}: {e.Message}");
            }
        }
        return ds;
    }

    private static string Scalar(JsonElement v, string where) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number => v.TryGetInt64(out var l) ? l.ToString(CultureInfo.InvariantCulture) : v.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        _ => throw new DicomValueException($"{where}: {v.ValueKind} is not a value (use a string, a number, an array or null)"),
    };
}
