using System.Text.Json.Nodes;

namespace Gateway.Testing;

/// <summary>The association the dcmjs SCU proposes and what it waits for before releasing it.</summary>
public sealed class DcmjsScuOptions
{
    /// <summary>Role selection items to propose, per SOP class (e.g. Storage Commitment as SCU and SCP).</summary>
    public IDictionary<string, DcmjsRoles> Roles { get; } = new Dictionary<string, DcmjsRoles>(StringComparer.Ordinal);

    /// <summary>Transfer syntaxes proposed in every context, in order (default Explicit then Implicit VR Little Endian).</summary>
    public IList<string> TransferSyntaxes { get; } = [];

    /// <summary>Extra presentation contexts, by SOP class, beside those the requests need.</summary>
    public IList<string> ExtraSopClasses { get; } = [];

    /// <summary>Requests the peer must send on the association (e.g. 1 N-EVENT-REPORT after an N-ACTION) before release.</summary>
    public int ExpectRequests { get; set; }

    /// <summary>How long to wait for them after the last response.</summary>
    public TimeSpan Wait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Status for requests from the peer, per command (default success).</summary>
    public IDictionary<string, ushort> Answers { get; } = new Dictionary<string, ushort>(StringComparer.Ordinal);

    internal JsonObject ToJson(IEnumerable<DcmjsRequest> requests)
    {
        var o = new JsonObject { ["requests"] = new JsonArray([.. requests.Select(r => r.ToJson())]) };
        DcmjsRoles.AddNegotiation(o, Roles, TransferSyntaxes);
        if (ExtraSopClasses.Count > 0)
            o["contexts"] = new JsonArray([.. ExtraSopClasses.Select(s => (JsonNode)new JsonObject { ["sopClass"] = s })]);
        if (ExpectRequests > 0)
        {
            o["expectRequests"] = ExpectRequests;
            o["waitMs"] = (long)Wait.TotalMilliseconds;
        }
        if (Answers.Count > 0)
        {
            var answers = new JsonObject();
            foreach (var (command, status) in Answers)
                answers[command] = new JsonObject { ["status"] = status };
            o["answers"] = answers;
        }
        return o;
    }
}
