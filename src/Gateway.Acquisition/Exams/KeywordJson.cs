using System.Text.Json;
using Gateway.Dicom;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// Writes a data set of text values as the keyword JSON that <see cref="Gateway.Dicom.Iod.MetadataJson"/> reads back
/// (keyword → string, array for several values, array of objects for a sequence, null for an empty value), so a file
/// we wrote is read by the same strict reader as a person's.
/// </summary>
internal static class KeywordJson
{
    public static void Write(Utf8JsonWriter w, DicomDataset ds)
    {
        w.WriteStartObject();
        foreach (var item in ds)
        {
            if (item.Tag == DicomTags.SpecificCharacterSet)
                continue; // chosen again when the data set is written as DICOM
            w.WritePropertyName(DicomDictionary.KeywordOf(item.Tag));
            switch (item)
            {
                case DicomSequence sq:
                    w.WriteStartArray();
                    foreach (var i in sq.Items)
                        Write(w, i);
                    w.WriteEndArray();
                    break;
                default:
                    var text = ds.TryGetString(item.Tag) ?? "";
                    if (text.Length == 0)
                        w.WriteNullValue();
                    else if (text.Contains('\\', StringComparison.Ordinal))
                    {
                        w.WriteStartArray();
                        foreach (var v in text.Split('\\'))
                            w.WriteStringValue(v);
                        w.WriteEndArray();
                    }
                    else
                        w.WriteStringValue(text);
                    break;
            }
        }
        w.WriteEndObject();
    }
}
