namespace Gateway.Testing;

/// <summary>Where the dcmjs SCP sends the storage commitment N-EVENT-REPORT after a successful N-ACTION.</summary>
public enum DcmjsReport
{
    /// <summary>No report (the request is only logged and answered).</summary>
    None,

    /// <summary>On the association that carried the N-ACTION, after its response.</summary>
    SameAssociation,

    /// <summary>On a new association the SCP opens to <see cref="DcmjsCommitment.CallbackPort"/>, as an archive does.</summary>
    NewAssociation,
}
