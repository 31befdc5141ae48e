using Gateway.Acquisition.Commitment;
using Gateway.Spool;
using Gateway.Testing;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>
/// Issue #18, the Storage Commitment SCP: the verdict per instance (what "committed" means for us, and each failure
/// reason), and the durable queue of modalities' requests read back as untrusted input.
/// </summary>
public sealed class ScpCommitmentStateTests : IDisposable
{
    private readonly TempDirectory _dir = new("scp-commitment");
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private const string Ct = "1.2.840.10008.5.1.4.1.1.2";
    private const string Mr = "1.2.840.10008.5.1.4.1.1.4";

    public void Dispose() => _dir.Dispose();

    private static SpoolEntry Entry(string uid, string sopClass, params (string Destination, DeliveryState State)[] deliveries) =>
        new("e-" + uid, Now, 10, new string('0', 64), sopClass, uid, "CT", "scp:MODALITY",
            deliveries.ToDictionary(d => d.Destination, d => new Delivery(d.State, 1, Now, d.State == DeliveryState.Dead ? "refused: A900" : null), StringComparer.Ordinal));

    private static CommitmentRequest Request(params RequestedInstance[] instances) =>
        new("0638999999999999999-000001", "1.2.3.99", "MODALITY", Now, instances);

    private static Dictionary<string, List<SpoolEntry>> InSpool(params SpoolEntry[] entries) =>
        entries.GroupBy(e => e.SopInstanceUid).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    [Fact]
    public void Delivered_mode_waits_until_every_destination_took_it_and_fails_what_will_never_get_there()
    {
        var request = Request(new RequestedInstance(Ct, "1.1"), new RequestedInstance(Ct, "1.2"));
        var halfway = InSpool(Entry("1.1", Ct, ("pacs", DeliveryState.Done), ("archive", DeliveryState.AwaitingCommitment)), Entry("1.2", Ct, ("pacs", DeliveryState.Done), ("archive", DeliveryState.Done)));
        Assert.Null(CommitmentVerdict.Of(request, halfway, null, CommitWhen.Delivered, Now, TimeSpan.FromHours(1)));

        var spooled = CommitmentVerdict.Of(request, halfway, null, CommitWhen.Spooled, Now, TimeSpan.FromHours(1))!;
        Assert.Equal(2, spooled.Committed.Count);
        Assert.Equal(1, spooled.EventType);

        var dead = InSpool(Entry("1.1", Ct, ("pacs", DeliveryState.Done), ("archive", DeliveryState.Dead)), Entry("1.2", Ct, ("pacs", DeliveryState.Done), ("archive", DeliveryState.Done)));
        var verdict = CommitmentVerdict.Of(request, dead, null, CommitWhen.Spooled, Now, TimeSpan.FromHours(1))!;
        Assert.Equal(2, verdict.EventType);
        var failed = Assert.Single(verdict.Failed);
        Assert.Equal(("1.1", CommitmentVerdict.ProcessingFailure), (failed.Instance.SopInstanceUid, failed.Reason));
        Assert.Contains("dead letter at archive", failed.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Still_on_its_way_after_maxWait_is_a_processing_failure_never_a_success()
    {
        var request = Request(new RequestedInstance(Ct, "1.1"));
        var pending = InSpool(Entry("1.1", Ct, ("pacs", DeliveryState.Pending)));
        Assert.Null(CommitmentVerdict.Of(request, pending, null, CommitWhen.Delivered, Now + TimeSpan.FromMinutes(59), TimeSpan.FromHours(1)));
        var late = CommitmentVerdict.Of(request, pending, null, CommitWhen.Delivered, Now + TimeSpan.FromHours(1), TimeSpan.FromHours(1))!;
        Assert.Empty(late.Committed);
        Assert.Equal(CommitmentVerdict.ProcessingFailure, Assert.Single(late.Failed).Reason);
    }

    [Fact]
    public void The_ledger_answers_for_entries_that_left_the_spool_and_each_failure_has_its_reason()
    {
        using var ledger = new OutcomeLedger(Path.Combine(_dir.Path, "outcomes"), TimeSpan.FromDays(7));
        ledger.Load();
        ledger.Append(new OutcomeRecord("2.1", Ct, "scp:MODALITY", "e1", DateTimeOffset.UtcNow, ObjectOutcome.Delivered));
        ledger.Append(new OutcomeRecord("2.2", Ct, "scp:MODALITY", "e2", DateTimeOffset.UtcNow, ObjectOutcome.Dead, "pacs: refused"));
        ledger.Append(new OutcomeRecord("2.3", Ct, "scp:MODALITY", "e3", DateTimeOffset.UtcNow, ObjectOutcome.Lost, "checksum mismatch"));
        var request = Request(new RequestedInstance(Ct, "2.1"), new RequestedInstance(Ct, "2.2"), new RequestedInstance(Ct, "2.3"),
            new RequestedInstance(Mr, "2.1"), new RequestedInstance(Ct, "2.4"), new RequestedInstance(Mr, "3.1"));
        var verdict = CommitmentVerdict.Of(request, InSpool(Entry("3.1", Ct, ("pacs", DeliveryState.Done))), ledger, CommitWhen.Delivered, Now, TimeSpan.FromHours(1))!;
        Assert.Equal(["2.1"], verdict.Committed.Select(c => c.SopInstanceUid));
        var reasons = verdict.Failed.Select(f => (f.Instance.SopClassUid, f.Instance.SopInstanceUid, f.Reason)).ToList();
        Assert.Equal(
        [
            (Ct, "2.2", CommitmentVerdict.ProcessingFailure),      // purged dead letter
            (Ct, "2.3", CommitmentVerdict.ProcessingFailure),      // lost in the spool
            (Mr, "2.1", CommitmentVerdict.ClassInstanceConflict),  // delivered as CT, asked as MR
            (Ct, "2.4", CommitmentVerdict.NoSuchObjectInstance),   // never received
            (Mr, "3.1", CommitmentVerdict.ClassInstanceConflict),  // in the spool as CT
        ], reasons);
    }

    [Fact]
    public void A_duplicate_transaction_fails_every_instance_with_0131()
    {
        var request = Request(new RequestedInstance(Ct, "1.1")) with { DuplicateOf = true };
        var verdict = CommitmentVerdict.Of(request, InSpool(Entry("1.1", Ct, ("pacs", DeliveryState.Done))), null, CommitWhen.Delivered, Now, TimeSpan.FromHours(1))!;
        Assert.Equal(CommitmentVerdict.DuplicateTransactionUid, Assert.Single(verdict.Failed).Reason);
    }

    [Fact]
    public void Requests_survive_a_restart_and_unusable_files_are_set_aside_with_their_reason()
    {
        var queue = new CommitmentRequestQueue(_dir.Path);
        var now = DateTimeOffset.UtcNow;
        var request = new CommitmentRequest(queue.NewId(now), "1.2.3.99", "MODALITY", now, [new RequestedInstance(Ct, "1.1"), new RequestedInstance(Mr, "1.2")], NextAttempt: now);
        queue.Put(request);
        var dir = queue.DirectoryPath;
        var valid = File.ReadAllText(Path.Combine(dir, request.Id + ".json"));
        void Bad(string name, string text) => File.WriteAllText(Path.Combine(dir, name), text);
        Bad("0638999999999999999-000002.json", valid.Replace(request.Id, "0638999999999999999-000002", StringComparison.Ordinal).Replace("1.2.3.99", "1.2.3.99'; rm -rf /", StringComparison.Ordinal));
        Bad("0638999999999999999-000003.json", valid.Replace(request.Id, "0638999999999999999-000003", StringComparison.Ordinal).Replace("MODALITY", "A\\\\B", StringComparison.Ordinal));
        Bad("0638999999999999999-000004.json", valid); // its id is not its name
        Bad("0638999999999999999-000005.json", "{ not json");
        Bad("0638999999999999999-000006.json", valid.Replace(request.Id, "0638999999999999999-000006", StringComparison.Ordinal).Replace("\"instances\":[", "\"instances\":[null,", StringComparison.Ordinal));
        Bad(".0638999999999999999-000007.json.abcdef12.tmp", "half");

        var again = new CommitmentRequestQueue(_dir.Path);
        var problems = again.Load();
        var loaded = Assert.Single(again.Pending);
        Assert.Equal(request.TransactionUid, loaded.TransactionUid);
        Assert.Equal(request.Instances, loaded.Instances);
        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("transactionUid is not a UID", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("callingAE is not an AE title", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("its id is not its file name", StringComparison.Ordinal));
        Assert.Equal(5, Directory.GetFiles(Path.Combine(dir, "unusable")).Length);
        Assert.False(File.Exists(Path.Combine(dir, ".0638999999999999999-000007.json.abcdef12.tmp"))); // a write that never completed

        again.Remove(request.Id);
        Assert.Empty(new CommitmentRequestQueue(_dir.Path).Pending);
        Assert.False(File.Exists(Path.Combine(dir, request.Id + ".json")));
    }
}
