using System.Text.Json.Nodes;

namespace Gateway.Testing;

/// <summary>
/// The dcmjs SCP as a storage commitment archive (PS3.4 J.3.3): after a successful N-ACTION (action type 1) it sends
/// N-EVENT-REPORT event type 1 (all committed) or 2 (some failed) with the request's Transaction UID, the committed
/// instances in Referenced SOP Sequence and the others in Failed SOP Sequence with <see cref="FailureReason"/>.
/// </summary>
public sealed record DcmjsCommitment
{
    public DcmjsReport Report { get; init; } = DcmjsReport.SameAssociation;

    /// <summary>Time between the N-ACTION response and the report.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>New association only: where the modality listens (its AE title defaults to the N-ACTION's calling AE).</summary>
    public string CallbackHost { get; init; } = "127.0.0.1";
    public int CallbackPort { get; init; }
    public string? CallbackAet { get; init; }

    /// <summary>SOP Instance UIDs reported as failed.</summary>
    public IReadOnlyList<string> FailedSopInstances { get; init; } = [];
    public bool FailAll { get; init; }

    /// <summary>Failure Reason (0008,1197) of failed items; 0112H "no such object instance" by default.</summary>
    public ushort FailureReason { get; init; } = 0x0112;

    internal JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["report"] = Report switch
            {
                DcmjsReport.SameAssociation => "same-association",
                DcmjsReport.NewAssociation => "new-association",
                _ => "none",
            },
            ["delayMs"] = (long)Delay.TotalMilliseconds,
            ["failedSopInstances"] = new JsonArray([.. FailedSopInstances.Select(u => JsonValue.Create(u))]),
            ["failAll"] = FailAll,
            ["failureReason"] = FailureReason,
        };
        if (Report == DcmjsReport.NewAssociation)
        {
            var callback = new JsonObject { ["host"] = CallbackHost, ["port"] = CallbackPort };
            if (CallbackAet is not null)
                callback["aet"] = CallbackAet;
            o["callback"] = callback;
        }
        return o;
    }
}
