namespace Gateway.Configuration;

/// <summary>
/// The Modality Worklist SCP this box queries (issue #17, IHE SWF RAD-5), the query it sends and how often: the list
/// is fetched every <see cref="RefreshSeconds"/> by `gateway run` and kept on disk for when the RIS is away.
/// </summary>
public sealed record WorklistConfig
{
    /// <summary>The worklist SCP's AE title (the RIS or its broker).</summary>
    public string AeTitle { get; init; } = "";
    public string Host { get; init; } = "";
    public int Port { get; init; }
    /// <summary>This box's AE title on the association (the RIS may allow only known callers).</summary>
    public string CallingAeTitle { get; init; } = "GATEWAY";
    public TlsConfig? Tls { get; init; }
    public WorklistQueryConfig Query { get; init; } = new();
    public double RefreshSeconds { get; init; } = 60;
    /// <summary>How long one query may take (connect, association, every response) before it counts as a failure.</summary>
    public double TimeoutSeconds { get; init; } = 30;
}
