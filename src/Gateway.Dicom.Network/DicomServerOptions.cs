using System.Net;

namespace Gateway.Dicom.Network;

/// <summary>An object a storage SCP received and stored (durably, unless <see cref="DicomServerOptions.SyncReceived"/> is false).</summary>
/// <param name="Path">Where it is: a name we generated, never one taken from the received data.</param>
public sealed record ReceivedObject(string Path, string SopClassUid, string SopInstanceUid, string TransferSyntaxUid, string CallingAE, long Length)
{
    /// <summary>SHA-256 of the file's bytes (lower-case hex), computed as they were written.</summary>
    public string? Sha256 { get; init; }
}

/// <summary>How a storage SCP listens, whom it accepts and where it writes.</summary>
public sealed record DicomServerOptions : DicomAssociationOptions
{
    public required string AeTitle { get; init; }
    /// <summary>The port; 0 picks a free one (see <see cref="DicomServer.Port"/>).</summary>
    public required int Port { get; init; }
    public IPAddress Address { get; init; } = IPAddress.Loopback;
    /// <summary>Only these calling AE titles may associate; null accepts any.</summary>
    public IReadOnlySet<string>? AllowedCallingAEs { get; init; }
    /// <summary>Reject associations whose called AE title is not ours (reason 7).</summary>
    public bool CheckCalledAE { get; init; } = true;
    /// <summary>Further called AE titles taken as ours (asked per association, so it may follow a live configuration).</summary>
    public Func<string, bool>? AlsoCalled { get; init; }
    public required string OutputDirectory { get; init; }
    /// <summary>
    /// True (the default): a received object is fsync'd and renamed into <see cref="OutputDirectory"/> (and that
    /// directory fsync'd) before <see cref="OnStored"/> is called. False: it is handed to <see cref="OnStored"/> as
    /// written, under its temporary name in <c>OutputDirectory/.incoming</c>, not yet durable — for a receiver that
    /// makes it durable itself before it answers (the gateway's spool, issue #22: one group commit instead of two).
    /// </summary>
    public bool SyncReceived { get; init; } = true;
    /// <summary>More concurrent associations than this are rejected as transient (local limit exceeded).</summary>
    public int MaxAssociations { get; init; } = 32;
    /// <summary>Which abstract syntaxes to accept; default: Verification and every storage SOP class of PS3.6.</summary>
    public Func<string, bool> AcceptSopClass { get; init; } = DefaultAcceptSopClass;
    /// <summary>Called after an object is durable on disk; its status is what the SCU gets. Default: success.</summary>
    public Func<ReceivedObject, CancellationToken, ValueTask<DicomStatus>>? OnStored { get; init; }
    /// <summary>Further services performed here (MPPS N-CREATE/N-SET, Storage Commitment N-ACTION, its N-EVENT-REPORT …).</summary>
    public DimseHandlers? Handlers { get; init; }

    public static bool DefaultAcceptSopClass(string uid) =>
        uid == DicomUids.Verification ||
        (DicomUid.Find(uid) is { Type: "SOP Class" } info && info.Name.Contains("Storage", StringComparison.Ordinal));
}
