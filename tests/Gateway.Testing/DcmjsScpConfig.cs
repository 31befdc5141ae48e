using System.Text.Json.Nodes;

namespace Gateway.Testing;

/// <summary>What the dcmjs SCP (Dcmjs/scp.js) accepts and how it answers; serialised as its --config (Dcmjs/README.md).</summary>
public sealed class DcmjsScpConfig
{
    /// <summary>Calling AE titles accepted; empty accepts any. The called AE title must always be the SCP's own.</summary>
    public IList<string> AllowedCallingAets { get; } = [];

    /// <summary>Per command ("C-ECHO", "N-CREATE", "N-SET", "N-GET", "N-ACTION", "N-EVENT-REPORT", "C-FIND").</summary>
    public IDictionary<string, DcmjsResponse> Responses { get; } = new Dictionary<string, DcmjsResponse>(StringComparer.Ordinal);

    /// <summary>Per SOP class, the proposed roles the SCP agrees to (default: every proposed role).</summary>
    public IDictionary<string, DcmjsRoles> Roles { get; } = new Dictionary<string, DcmjsRoles>(StringComparer.Ordinal);

    /// <summary>Transfer syntaxes accepted (default Implicit and Explicit VR Little Endian); the requestor's order picks.</summary>
    public IList<string> TransferSyntaxes { get; } = [];

    public DcmjsCommitment? Commitment { get; set; }

    /// <summary>Also accept C-STORE of every Storage SOP class (answered success): an archive for storage commitment tests.</summary>
    public bool AcceptStorage { get; set; }

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        if (AllowedCallingAets.Count > 0)
            o["allowedCallingAets"] = new JsonArray([.. AllowedCallingAets.Select(a => JsonValue.Create(a))]);
        foreach (var (command, response) in Responses)
            o[command] = response.ToJson();
        DcmjsRoles.AddNegotiation(o, Roles, TransferSyntaxes);
        if (Commitment is not null)
            o["commitment"] = Commitment.ToJson();
        if (AcceptStorage)
            o["acceptStorage"] = true;
        return o;
    }
}
