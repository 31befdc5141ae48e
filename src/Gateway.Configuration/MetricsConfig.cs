namespace Gateway.Configuration;

/// <summary>
/// The box's own /metrics for Prometheus (issue #21): the same per-box series as the fleet view's (one dashboard for
/// both), plain HTTP on <see cref="Bind"/>:<see cref="Port"/>, readable only from the networks <see cref="Allow"/>
/// names. Off by default; the section absent is off too.
/// </summary>
public sealed record MetricsConfig
{
    public bool Enabled { get; init; }
    public string Bind { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 9465;
    /// <summary>Networks (ADDRESS/PREFIX) whose addresses may read /metrics; loopback by default.</summary>
    public IReadOnlyList<string> Allow { get; init; } = ["127.0.0.0/8", "::1/128"];
}
