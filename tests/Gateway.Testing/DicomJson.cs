using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Testing;

/// <summary>
/// Small helpers for data sets in the DICOM JSON model (PS3.18 Annex F: keys "GGGGEEEE", {"vr", "Value"}), the form the
/// dcmjs peers read and log.
/// </summary>
public static class DicomJson
{
    /// <summary>A data set from (tag, element) pairs: <c>Dataset(("00400252", Element("CS", "COMPLETED")))</c>.</summary>
    public static JsonObject Dataset(params (string Tag, JsonObject Element)[] elements)
    {
        var o = new JsonObject();
        foreach (var (tag, element) in elements)
            o[tag] = element;
        return o;
    }

    /// <summary>A text element; PN values become {"Alphabetic": …}; no value gives a zero-length element.</summary>
    public static JsonObject Element(string vr, params string[] values)
    {
        var o = new JsonObject { ["vr"] = vr };
        if (values.Length > 0)
        {
            o["Value"] = vr == "PN"
                ? new JsonArray([.. values.Select(v => (JsonNode)new JsonObject { ["Alphabetic"] = v })])
                : new JsonArray([.. values.Select(v => JsonValue.Create(v))]);
        }
        return o;
    }

    /// <summary>A numeric element (US, UL, IS, DS, FD …).</summary>
    public static JsonObject Number(string vr, params double[] values) =>
        new() { ["vr"] = vr, ["Value"] = new JsonArray([.. values.Select(v => JsonValue.Create(v))]) };

    /// <summary>A sequence of items (none gives an empty sequence).</summary>
    public static JsonObject Sequence(params JsonObject[] items)
    {
        var o = new JsonObject { ["vr"] = "SQ" };
        if (items.Length > 0)
            o["Value"] = new JsonArray([.. items]);
        return o;
    }

    /// <summary>The first value of <paramref name="tag"/> as text (a PN's Alphabetic group), or null when absent or empty.</summary>
    public static string? Text(JsonElement dataset, string tag)
    {
        if (dataset.ValueKind != JsonValueKind.Object || !dataset.TryGetProperty(tag, out var element)
            || !element.TryGetProperty("Value", out var value) || value.GetArrayLength() == 0)
            return null;
        var first = value[0];
        return first.ValueKind switch
        {
            JsonValueKind.Object => first.TryGetProperty("Alphabetic", out var a) ? a.GetString() : first.GetRawText(),
            JsonValueKind.Number => first.GetDouble().ToString(CultureInfo.InvariantCulture),
            _ => first.ToString(),
        };
    }

    /// <summary>The items of sequence <paramref name="tag"/> (none when absent or empty).</summary>
    public static IReadOnlyList<JsonElement> Items(JsonElement dataset, string tag) =>
        dataset.ValueKind == JsonValueKind.Object && dataset.TryGetProperty(tag, out var element) && element.TryGetProperty("Value", out var value)
            ? [.. value.EnumerateArray()]
            : [];
}
