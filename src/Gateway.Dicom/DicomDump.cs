using System.Globalization;
using System.Text;

namespace Gateway.Dicom;

/// <summary>A human-readable listing of a data set, one element a line, in the manner of dcmdump.</summary>
public static class DicomDump
{
    public const int MaxValueLength = 64;

    public static void Write(TextWriter output, DicomDataset dataset, int indent = 0)
    {
        var pad = new string(' ', indent * 2);
        foreach (var item in dataset)
        {
            var keyword = DicomDictionary.KeywordOf(item.Tag);
            if (keyword.Length == 0 && dataset.GetPrivateCreator(item.Tag) is { } creator)
                keyword = $"Private [{creator}]";
            switch (item)
            {
                case DicomSequence sq:
                    output.WriteLine($"{pad}{item.Tag} SQ ({sq.Items.Count} items){Name(keyword)}");
                    for (var i = 0; i < sq.Items.Count; i++)
                    {
                        output.WriteLine($"{pad}  (FFFE,E000) item {i + 1}");
                        Write(output, sq.Items[i], indent + 2);
                    }
                    break;
                case DicomFragmentSequence f:
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{pad}{item.Tag} {item.VR.Code} encapsulated: offset table {f.OffsetTable.Length} bytes, {f.Fragments.Count} fragments, {f.Fragments.Sum(x => x.Length)} bytes{Name(keyword)}"));
                    break;
                case DicomElement e:
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{pad}{item.Tag} {item.VR.Code} {Value(dataset, e)}  # {e.Length}{Name(keyword)}"));
                    break;
            }
        }
    }

    private static string Name(string keyword) => keyword.Length > 0 ? " " + keyword : "";

    private static string Value(DicomDataset ds, DicomElement e)
    {
        try
        {
            if (e.VR.Kind == DicomVRKind.Text)
                return "[" + Truncate(Escape(e.GetText(ds.CharacterSet))) + "]";
            if (e.VR.Kind == DicomVRKind.Binary)
                return Truncate(ds.GetString(e.Tag));
            if (!e.Buffer.IsLoaded)
                return string.Create(CultureInfo.InvariantCulture, $"(not loaded, {e.Buffer.Length} bytes)");
            var span = e.Buffer.Memory.Span;
            var sb = new StringBuilder();
            for (var i = 0; i < Math.Min(span.Length, 16); i++)
                sb.Append(i == 0 ? "" : "\\").Append(span[i].ToString("x2", CultureInfo.InvariantCulture));
            if (span.Length > 16)
                sb.Append("...");
            return sb.ToString();
        }
        catch (DicomValueException ex)
        {
            return "(invalid: " + ex.Message + ")";
        }
    }

    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (char.IsControl(c))
                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            else
                sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Truncate(string s) => s.Length <= MaxValueLength ? s : s[..(MaxValueLength - 3)] + "...";
}
