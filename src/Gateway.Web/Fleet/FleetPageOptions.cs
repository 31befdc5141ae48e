using System.Net;

namespace Gateway.Web.Fleet;

/// <summary>
/// The fleet page of `gateway fleet --listen-page ADDR:PORT --state DIR` (issue #21): HTTPS on its own address,
/// apart from the plain-HTTP /metrics that Prometheus scrapes. The state directory holds what the box's page keeps in
/// its own: the users (PBKDF2), the first-start setup code, the session and antiforgery keys, the self-signed certificate.
/// </summary>
public sealed record FleetPageOptions
{
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 9443);

    public string StateDirectory { get; init; } = "/var/lib/gateway/fleet";

    /// <summary>The hospital's certificate and key (PEM); without them a self-signed one is made and kept.</summary>
    public string? CertificateFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>A session that saw no person's request for this long ends (the page's own refreshes do not count).</summary>
    public int IdleMinutes { get; init; } = 15;

    /// <summary>The list and a box's page reload themselves this often (a meta refresh: no script needed).</summary>
    public int RefreshSeconds { get; init; } = 5;
}
