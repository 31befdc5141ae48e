using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Dicom;

/// <summary>
/// A data set in the DICOM JSON Model (PS3.18 Annex F): an object keyed by the tag as eight upper-case hex digits,
/// each attribute with its "vr" and, when it has a value, "Value" (strings, numbers, Person Name objects with
/// "Alphabetic"/"Ideographic"/"Phonetic", nested data sets for SQ) or "InlineBinary" (base64) for bulk VRs. Text is
/// decoded through the data set's Specific Character Set, so the output is always UTF-8.
/// </summary>
public static class DicomJson
{
    public static string Serialize(DicomDataset dataset)
    {
        using var buffer = new MemoryStream();
        // Names stay readable (é, not \u00E9): the output is a terminal's or a program's, never an HTML page's.
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Write(w, dataset);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter w, DicomDataset ds)
    {
        w.WriteStartObject();
        foreach (var item in ds)
        {
            w.WritePropertyName(((uint)(item.Tag.Group << 16 | item.Tag.Element)).ToString("X8", CultureInfo.InvariantCulture));
            w.WriteStartObject();
            w.WriteString("vr", item.VR.Code);
            switch (item)
            {
                case DicomSequence sq:
                    if (sq.Items.Count > 0)
                    {
                        w.WriteStartArray("Value");
                        foreach (var i in sq.Items)
                            Write(w, i);
                        w.WriteEndArray();
                    }
                    break;
                case DicomElement e when e.Length > 0:
                    WriteValue(w, ds, e);
                    break;
                case DicomFragmentSequence:
                    break; // encapsulated pixel data is bulk data: left out (PS3.18 F.2.7 allows a BulkDataURI instead)
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, DicomDataset ds, DicomElement e)
    {
        var vr = e.VR;
        if (vr.Kind == DicomVRKind.Bulk || vr == DicomVR.UN)
        {
            w.WriteString("InlineBinary", Convert.ToBase64String(e.GetBuffer(ds.CharacterSet).Memory.Span));
            return;
        }
        var values = ds.GetStrings(e.Tag);
        w.WriteStartArray("Value");
        foreach (var v in values)
        {
            if (vr == DicomVR.PN)
            {
                var groups = v.Split('=');
                w.WriteStartObject();
                string[] names = ["Alphabetic", "Ideographic", "Phonetic"];
                for (var i = 0; i < groups.Length && i < 3; i++)
                {
                    if (groups[i].Length > 0)
                        w.WriteString(names[i], groups[i]);
                }
                w.WriteEndObject();
            }
            else if ((vr == DicomVR.IS || vr == DicomVR.DS) && double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                w.WriteNumberValue(number);
            else if (vr.Kind == DicomVRKind.Text || vr == DicomVR.AT)
                w.WriteStringValue(v);
            else if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var binaryNumber))
                w.WriteNumberValue(binaryNumber);
            else
                w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }
}
