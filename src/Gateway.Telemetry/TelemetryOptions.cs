namespace Gateway.Telemetry;

/// <summary>Where and how the box reports: the broker, its credentials, and the topic root gateway/&lt;boxId&gt;/.</summary>
public sealed record TelemetryOptions
{
    public required string BoxId { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; } = 1883;
    /// <summary>Defaults to "gateway-&lt;boxId&gt;".</summary>
    public string? ClientId { get; init; }
    public string? Username { get; init; }
    /// <summary>Never logged, never published.</summary>
    public string? Password { get; init; }
    /// <summary>PEM file of the CA that signed the broker's certificate; TLS 1.2+ when set.</summary>
    public string? TlsCaFile { get; init; }
    public string? TlsCertificateFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(30);
    public string TopicPrefix { get; init; } = "gateway";
    /// <summary>Events kept while the broker is unreachable; the oldest are dropped beyond it (and counted).</summary>
    public int EventBuffer { get; init; } = 1000;
    public TimeSpan ReconnectMin { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(60);

    public string Topic(string leaf) => $"{TopicPrefix}/{BoxId}/{leaf}";
}
