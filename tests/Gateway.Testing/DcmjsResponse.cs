using System.Text.Json.Nodes;

namespace Gateway.Testing;

/// <summary>How the dcmjs SCP answers one kind of request (the default is success with no data set).</summary>
public sealed record DcmjsResponse
{
    public ushort Status { get; init; }
    public string? ErrorComment { get; init; }

    /// <summary>The response's data set in the DICOM JSON model (PS3.18 F); N-GET answers what N-CREATE/N-SET stored otherwise.</summary>
    public JsonObject? Dataset { get; init; }

    /// <summary>C-FIND only: one pending response per match before the final one.</summary>
    public IReadOnlyList<JsonObject> Matches { get; init; } = [];

    /// <summary>Waits this long before answering (a slow peer).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Sends A-ABORT instead of a response.</summary>
    public bool Abort { get; init; }

    internal JsonObject ToJson()
    {
        var o = new JsonObject { ["status"] = Status };
        if (ErrorComment is not null)
            o["errorComment"] = ErrorComment;
        if (Dataset is not null)
            o["dataset"] = Dataset.DeepClone();
        if (Matches.Count > 0)
            o["matches"] = new JsonArray([.. Matches.Select(m => m.DeepClone())]);
        if (Delay > TimeSpan.Zero)
            o["delayMs"] = (long)Delay.TotalMilliseconds;
        if (Abort)
            o["abort"] = true;
        return o;
    }
}
