using Gateway.Spool;

namespace Gateway.Acquisition.Commitment;

/// <summary>When the gateway tells a modality that it holds an instance safely (`localScp.commitment.answerWhen`).</summary>
public enum CommitWhen
{
    /// <summary>End to end: every destination the object is routed to took responsibility for it (committed where that destination has commitment, C-STORE success where not).</summary>
    Delivered,
    /// <summary>Once it is durable in our spool (fsync'd, routed, not a dead letter).</summary>
    Spooled,
}

/// <summary>An instance the report names as failed: its Failure Reason (PS3.4 J.3.3.1.1) and, for our log, why.</summary>
public sealed record FailedInstance(RequestedInstance Instance, ushort Reason, string Why);

/// <summary>A report ready to go: the committed instances and the failed ones (empty when all are committed).</summary>
public sealed record CommitmentVerdict(IReadOnlyList<RequestedInstance> Committed, IReadOnlyList<FailedInstance> Failed)
{
    /// <summary>PS3.4 J.3.3.1: 1 "storage commitment request successful", 2 "… complete – failures exist".</summary>
    public ushort EventType => Failed.Count == 0 ? (ushort)1 : (ushort)2;

    public const ushort ProcessingFailure = 0x0110;
    public const ushort NoSuchObjectInstance = 0x0112;
    public const ushort ClassInstanceConflict = 0x0119;
    public const ushort DuplicateTransactionUid = 0x0131;

    /// <summary>
    /// What can be said of <paramref name="request"/> now, or null while an instance may still be committed (wait).
    /// Per instance, the live spool first (its entries are the truth while they exist), then the outcome ledger (the
    /// entry left: the ledger was written before it did): committed when an entry of the requested SOP class is
    /// delivered to all its destinations (or, <see cref="CommitWhen.Spooled"/>, is in the spool with no dead letter)
    /// or the ledger says delivered; 0119 when we hold the instance under another SOP class only; 0110 when it is a
    /// dead letter somewhere, was purged as one, or was lost (quarantined); 0112 when we never received it (or forgot
    /// it after the ledger's retention). An instance still on its way waits — until <paramref name="maxWait"/> after
    /// the request, then it is 0110 too: never "committed" for what is not.
    /// </summary>
    public static CommitmentVerdict? Of(CommitmentRequest request, IReadOnlyDictionary<string, List<SpoolEntry>> inSpool, OutcomeLedger? ledger,
        CommitWhen when, DateTimeOffset now, TimeSpan maxWait)
    {
        var committed = new List<RequestedInstance>();
        var failed = new List<FailedInstance>();
        var waiting = false;
        var expired = now - request.Received >= maxWait;
        foreach (var i in request.Instances)
        {
            if (request.DuplicateOf)
            {
                failed.Add(new FailedInstance(i, DuplicateTransactionUid, "the transaction UID was already pending with other instances"));
                continue;
            }
            switch (StateOf(i, inSpool, ledger, when, out var reason, out var why))
            {
                case State.Committed:
                    committed.Add(i);
                    break;
                case State.Failed:
                    failed.Add(new FailedInstance(i, reason, why));
                    break;
                default:
                    if (expired)
                        failed.Add(new FailedInstance(i, ProcessingFailure, $"not delivered to every destination within {maxWait.TotalSeconds:0} s of the request"));
                    else
                        waiting = true;
                    break;
            }
        }
        return waiting ? null : new CommitmentVerdict(committed, failed);
    }

    private enum State { Committed, Waiting, Failed }

    private static State StateOf(RequestedInstance i, IReadOnlyDictionary<string, List<SpoolEntry>> inSpool, OutcomeLedger? ledger, CommitWhen when,
        out ushort reason, out string why)
    {
        reason = 0;
        why = "";
        if (inSpool.TryGetValue(i.SopInstanceUid, out var entries) && entries.Count > 0)
        {
            var same = entries.Where(e => e.SopClassUid == i.SopClassUid).ToList();
            if (same.Count == 0)
            {
                (reason, why) = (ClassInstanceConflict, $"held as SOP class {entries[0].SopClassUid}, asked as {i.SopClassUid}");
                return State.Failed;
            }
            if (same.Any(e => e.Deliveries.Values.All(d => d.State == DeliveryState.Done)))
                return State.Committed;
            if (same.Any(e => !e.HasDeadLetters))
                return when == CommitWhen.Spooled ? State.Committed : State.Waiting;
            var dead = same[0].Deliveries.First(d => d.Value.State == DeliveryState.Dead);
            (reason, why) = (ProcessingFailure, $"a dead letter at {dead.Key}: {dead.Value.LastError}");
            return State.Failed;
        }
        if (ledger?.Find(i.SopInstanceUid) is { } record)
        {
            if (record.SopClassUid != i.SopClassUid)
            {
                (reason, why) = (ClassInstanceConflict, $"received as SOP class {record.SopClassUid}, asked as {i.SopClassUid}");
                return State.Failed;
            }
            if (record.Outcome == ObjectOutcome.Delivered)
                return State.Committed;
            (reason, why) = (ProcessingFailure, record.Outcome == ObjectOutcome.Dead ? $"purged as a dead letter ({record.Detail})" : $"lost in the spool ({record.Detail})");
            return State.Failed;
        }
        (reason, why) = (NoSuchObjectInstance, "never received (or forgotten after the ledger's retention)");
        return State.Failed;
    }
}
