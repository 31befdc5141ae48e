using System.Net;

namespace Gateway.Web.Fleet;

/// <summary>Where `gateway fleet` listens, and who may read /metrics without a login.</summary>
public sealed record FleetWebOptions
{
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 9464);

    /// <summary>Networks whose addresses may read /metrics; loopback by default.</summary>
    public IReadOnlyList<IPNetwork> MetricsAllow { get; init; } = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary>The view's limits.maxBoxes: the most boxes the exporter is ever sized for (it is sized to the boxes the view has).</summary>
    public int MaxBoxes { get; init; } = 5000;

    /// <summary>Destinations kept per box (FleetOptions.MaxDestinations): with <see cref="MaxBoxes"/>, the most destination series.</summary>
    public int MaxDestinations { get; init; } = 64;
}
