namespace Gateway.Configuration;

/// <summary>
/// The Modality Performed Procedure Step SCP this box reports its exams to (issue #17, IHE SWF RAD-6/RAD-7): usually
/// the RIS, or the PACS forwarding to it. Messages are queued on disk and retried with a back-off like the objects.
/// </summary>
public sealed record MppsConfig
{
    /// <summary>The MPPS SCP's AE title.</summary>
    public string AeTitle { get; init; } = "";
    public string Host { get; init; } = "";
    public int Port { get; init; }
    /// <summary>This box's AE title on the association; it is also the Performed Station AE Title of the MPPS.</summary>
    public string CallingAeTitle { get; init; } = "GATEWAY";
    public TlsConfig? Tls { get; init; }
    /// <summary>How long one attempt may take (connect, association, the response).</summary>
    public double TimeoutSeconds { get; init; } = 30;
    public double RetryMinSeconds { get; init; } = 5;
    public double RetryMaxSeconds { get; init; } = 600;
}
