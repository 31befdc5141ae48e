namespace Gateway.Testing;

/// <summary>What one run of the dcmjs SCU printed: exit 0 when every request was sent and answered (whatever its status).</summary>
public sealed class DcmjsScuResult(ProcessResult process)
{
    public int ExitCode => process.ExitCode;

    /// <summary>Every JSON line, in order.</summary>
    public IReadOnlyList<DcmjsMessage> Messages { get; } = DcmjsMessage.ParseLines(process.StdOut);

    /// <summary>The responses to our requests (C-FIND: pending ones, then the final one).</summary>
    public IReadOnlyList<DcmjsMessage> Responses => [.. Messages.Where(m => m.Event == "response")];

    /// <summary>Requests the peer sent on the association (e.g. N-EVENT-REPORT), as answered.</summary>
    public IReadOnlyList<DcmjsMessage> PeerRequests => [.. Messages.Where(m => m.Event == "request")];

    /// <summary>The association as accepted (contexts and role selection answers), or null when it was not.</summary>
    public DcmjsMessage? Association => Messages.FirstOrDefault(m => m.Event == "association");

    public string StdErr => process.StdErr;

    /// <summary>Everything printed, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n{process.StdOut}{process.StdErr}";
}
