using System.Text.Json;

namespace Gateway.Testing;

/// <summary>
/// One JSON line of the dcmjs peers (Dcmjs/README.md): an association, a request received ("request"), a request the
/// peer sent and its outcome ("sent"), a response ("response"), or a release, abort or error.
/// </summary>
public sealed class DcmjsMessage
{
    public DcmjsMessage(JsonElement json)
    {
        Json = json;
    }

    public JsonElement Json { get; }

    public string Event => String("event") ?? "";

    /// <summary>"C-ECHO", "N-CREATE", "N-SET", "N-GET", "N-ACTION", "N-EVENT-REPORT", "C-FIND" …</summary>
    public string? Command => String("command");
    public string? SopClass => String("sopClass");
    public string? SopInstance => String("sopInstance");
    public int? MessageId => Int("messageId");
    public int? MessageIdBeingRespondedTo => Int("messageIdBeingRespondedTo");

    /// <summary>A response's status; for a request received, the status the peer answered it with.</summary>
    public int? Status => Int("status");
    public int? ActionTypeId => Int("actionTypeId");
    public int? EventTypeId => Int("eventTypeId");
    public string? CallingAet => String("callingAet");
    public string? ErrorComment => String("errorComment");

    /// <summary>When the peer printed the line (Date.now(), ms since the epoch), or null.</summary>
    public long? At => Json.TryGetProperty("at", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    /// <summary>"same" or "new" for a request the SCP sent.</summary>
    public string? Association => String("association");

    /// <summary>The data set in the DICOM JSON model, or null when the message had none.</summary>
    public JsonElement? Dataset => Json.TryGetProperty("dataset", out var d) && d.ValueKind == JsonValueKind.Object ? d : null;

    /// <summary>The first value of a data set element as text (see <see cref="DicomJson.Text"/>).</summary>
    public string? Text(string tag) => Dataset is { } d ? DicomJson.Text(d, tag) : null;

    public IReadOnlyList<JsonElement> Items(string tag) => Dataset is { } d ? DicomJson.Items(d, tag) : [];

    /// <summary>Association lines: the presentation contexts as accepted, with the role selection answer (null when none).</summary>
    public IReadOnlyList<JsonElement> Contexts =>
        Json.TryGetProperty("contexts", out var c) ? [.. c.EnumerateArray()] : [];

    public override string ToString() => Json.GetRawText();

    /// <summary>The JSON lines of <paramref name="text"/>; other lines (and a last line not yet complete) are left out.</summary>
    public static IReadOnlyList<DcmjsMessage> ParseLines(string text)
    {
        var lines = text.Split('\n');
        var result = new List<DcmjsMessage>();
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith('{'))
                result.Add(new DcmjsMessage(JsonDocument.Parse(line).RootElement.Clone()));
        }
        return result;
    }

    private string? String(string name) =>
        Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private int? Int(string name) =>
        Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
}
