using System.Text.Json.Nodes;

namespace Gateway.Testing;

/// <summary>An SCP/SCU role selection pair (PS3.7 D.3.3.4): the roles proposed, or the roles an acceptor agrees to.</summary>
public sealed record DcmjsRoles(bool Scu, bool Scp)
{
    /// <summary>The negotiation keys both scripts read: "roles" per SOP class and "transferSyntaxes", each when given.</summary>
    internal static void AddNegotiation(JsonObject o, IDictionary<string, DcmjsRoles> roles, IList<string> transferSyntaxes)
    {
        if (roles.Count > 0)
        {
            var json = new JsonObject();
            foreach (var (sopClass, r) in roles)
                json[sopClass] = new JsonObject { ["scu"] = r.Scu, ["scp"] = r.Scp };
            o["roles"] = json;
        }
        if (transferSyntaxes.Count > 0)
            o["transferSyntaxes"] = new JsonArray([.. transferSyntaxes.Select(t => JsonValue.Create(t))]);
    }
}
