using System.Net;

namespace Gateway.Web.Fleet;

/// <summary>Where `gateway fleet` listens, and who may read /metrics without a login.</summary>
public sealed record FleetWebOptions
{
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 9464);

    /// <summary>Networks whose addresses may read /metrics; loopback by default.</summary>
    public IReadOnlyList<IPNetwork> MetricsAllow { get; init; } = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];
}
