using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

public sealed class DurableSpoolTests : IDisposable
{
    private readonly TempDirectory _dir = new("spool");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test");

    public void Dispose() => _dir.Dispose();

    private DurableSpool Spool(ISpoolFileSystem? fs = null, long quota = 0, TimeSpan? keep = null) =>
        new(new SpoolOptions { Directory = _dir.Path, QuotaBytes = quota, MinFreeBytes = 0, KeepDelivered = keep ?? TimeSpan.Zero }, fs, _time);

    private static MemoryStream Payload(int size, int seed = 1)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return new MemoryStream(b);
    }

    [Fact]
    public void An_enqueued_object_is_on_disk_with_its_checksum_and_survives_a_restart()
    {
        var spool = Spool();
        var entry = spool.Enqueue(Payload(1000), 1000, Info, ["PACS", "ARCHIVE"]);
        Assert.True(File.Exists(spool.PayloadPath(entry.Id)));
        Assert.Equal(1000, entry.Size);
        Assert.Equal(2, entry.Deliveries.Count);
        var again = Spool();
        var report = again.Recover();
        Assert.Equal(1, report.Entries);
        Assert.Equal(entry, again.Entries.Single() with { Deliveries = entry.Deliveries });
        Assert.True(again.Verify(again.Entries.Single()));
    }

    /// <summary>
    /// Review of issue #22: a PACS's error comment may be 64 KiB. Kept whole (JSON escapes "<" as six characters) it
    /// pushed the state file past MaxStateBytes, and the next read quarantined an object nobody had given up on.
    /// </summary>
    [Fact]
    public void A_huge_error_comment_is_cut_and_the_entry_stays_due()
    {
        var spool = Spool();
        spool.Recover();
        var entry = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        spool.MarkRetry(entry.Id, "PACS", "A700 (out of resources): " + new string('<', 60_000), _time.GetUtcNow());
        var after = spool.NextDue("PACS", _time.GetUtcNow(), new HashSet<string>());
        Assert.NotNull(after);
        Assert.Equal(DurableSpool.MaxErrorChars + 2, after.Deliveries["PACS"].LastError!.Length);
        Assert.EndsWith(" …", after.Deliveries["PACS"].LastError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(spool.QuarantineDir));
        Assert.Equal(0, spool.Retry()); // not a dead letter: nothing to put back
    }

    /// <summary>Issue #17: a held entry is committed (on disk, recovered after a restart) but no destination sees it until released.</summary>
    [Fact]
    public void A_held_entry_is_committed_but_not_due_until_released_and_a_restart_ends_the_hold()
    {
        var spool = Spool();
        var events = new List<SpoolEvent>();
        spool.Changed += events.Add;
        var file = Path.Combine(spool.IncomingDir, "held.dcm");
        File.WriteAllBytes(file, new byte[100]);
        var held = spool.EnqueueByMove(file, Info, ["PACS"], held: true);
        Assert.True(spool.IsHeld(held.Id));
        Assert.Null(spool.NextDue("PACS", DateTimeOffset.MaxValue, new HashSet<string>()));
        Assert.Null(spool.NextAttemptTime("PACS"));
        Assert.DoesNotContain(events, e => e.Kind == SpoolEvent.Stored); // the forwarder is not woken for it
        var again = Spool();
        again.Recover();
        Assert.Equal(held.Id, again.NextDue("PACS", DateTimeOffset.MaxValue, new HashSet<string>())?.Id); // the hold was in memory only
        spool.Release(held.Id);
        Assert.False(spool.IsHeld(held.Id));
        Assert.Equal(held.Id, spool.NextDue("PACS", DateTimeOffset.MaxValue, new HashSet<string>())?.Id);
        Assert.Contains(events, e => e.Kind == SpoolEvent.Stored && e.EntryId == held.Id);
    }

    [Fact]
    public void Entries_come_out_first_in_first_out_per_destination()
    {
        var spool = Spool();
        var ids = Enumerable.Range(0, 20).Select(i => spool.Enqueue(Payload(10, i), 10, Info, ["PACS"]).Id).ToList();
        var busy = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var next = spool.NextDue("PACS", _time.GetUtcNow(), busy)!;
            Assert.Equal(ids[i], next.Id);
            busy.Add(next.Id);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a volume that keeps metadata in order (ext4 with a journal): no directory fsync, one of the state file
    public void A_crash_before_any_step_of_an_enqueue_leaves_a_consistent_spool(bool ordered)
    {
        // Count the steps of one enqueue, then crash before each of them in turn.
        var probe = new FaultInjectingFileSystem(int.MaxValue, ordered: ordered);
        Spool(probe).Enqueue(Payload(5000), 5000, Info, ["PACS"]);
        var steps = probe.Operations;
        var log = string.Join(", ", probe.Log);
        if (ordered)
        {
            // create, create, fsync both, rename payload, rename state, fsync the state file
            Assert.DoesNotContain("fsync dir", log, StringComparison.Ordinal);
            Assert.StartsWith("rename ", probe.Log[^2], StringComparison.Ordinal);
            Assert.Contains(" -> state/", probe.Log[^2], StringComparison.Ordinal);
            Assert.Equal("fsync file " + probe.Log[^2].Split('/')[^1], probe.Log[^1]);
        }
        else
        {
            Assert.True(steps >= 6, log); // create, fsync, create, fsync, rename, fsync dir, rename, fsync dir
        }
        foreach (var dir in Directory.GetDirectories(_dir.Path))
            Directory.Delete(dir, true);

        for (var crashAt = 1; crashAt <= steps; crashAt++)
        {
            var faulty = new FaultInjectingFileSystem(crashAt, ordered: ordered);
            var committed = false;
            try
            {
                Spool(faulty).Enqueue(Payload(5000, crashAt), 5000, Info, ["PACS"]);
                committed = true;
            }
            catch (CrashException)
            {
            }
            var recovered = Spool();
            var report = recovered.Recover();
            Assert.Empty(Directory.GetFiles(recovered.TempDir));
            Assert.Empty(report.Quarantined);
            var stateFiles = Directory.GetFiles(recovered.StateDir).Length;
            var payloads = Directory.GetFiles(recovered.ObjectsDir).Length;
            Assert.Equal(stateFiles, payloads); // never a payload without its entry or the reverse
            Assert.All(recovered.Entries, e => Assert.True(recovered.Verify(e), $"crash before step {crashAt}: entry {e.Id} is damaged"));
            if (committed)
                Assert.Contains(recovered.Entries, e => e.Size == 5000);
            // Every one of these steps is needed: one that did not happen (its failure, the power gone) is never
            // acknowledged — not the last fsync either, which the ordered path once retried as directory fsyncs.
            Assert.False(committed, $"acknowledged although step {crashAt} ({faulty.Log[crashAt - 1]}) never happened");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_crash_before_any_step_of_an_enqueue_by_move_leaves_a_consistent_spool(bool ordered)
    {
        var entriesBefore = 0;
        for (var crashAt = 1; crashAt <= 6; crashAt++)
        {
            var source = Path.Combine(_dir.Path, $"incoming-{crashAt}.dcm");
            File.WriteAllBytes(source, Payload(3000, crashAt).ToArray());
            var committed = false;
            try
            {
                Spool(new FaultInjectingFileSystem(crashAt, ordered: ordered)).EnqueueByMove(source, Info, ["PACS"]);
                committed = true;
            }
            catch (CrashException)
            {
            }
            var recovered = Spool();
            var report = recovered.Recover();
            Assert.Empty(report.Quarantined);
            Assert.Equal(Directory.GetFiles(recovered.StateDir).Length, Directory.GetFiles(recovered.ObjectsDir).Length);
            Assert.All(recovered.Entries, e => Assert.True(recovered.Verify(e)));
            // Returned: one more entry. Crashed: none (a payload already moved in was an orphan that recovery removed),
            // or — crash between the state rename and its directory fsync — one, which the producer, never told
            // "stored", sends again: at least once, never damaged.
            if (committed)
                Assert.Equal(entriesBefore + 1, recovered.Entries.Count);
            else
                Assert.InRange(recovered.Entries.Count, entriesBefore, entriesBefore + 1);
            entriesBefore = recovered.Entries.Count;
            if (committed)
                Assert.False(File.Exists(source));
        }
        var spool = Spool();
        spool.Recover();
        var moved = Path.Combine(_dir.Path, "incoming-ok.dcm");
        File.WriteAllBytes(moved, Payload(3000, 99).ToArray());
        var entry = spool.EnqueueByMove(moved, Info, ["PACS"]);
        Assert.False(File.Exists(moved));
        Assert.True(spool.Verify(entry));
        Assert.Equal(3000, entry.Size);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_crash_during_a_state_change_leaves_the_old_or_the_new_state(bool ordered)
    {
        var spool = Spool();
        var entry = spool.Enqueue(Payload(100), 100, Info, ["PACS", "ARCHIVE"]);
        for (var crashAt = 1; crashAt <= 4; crashAt++)
        {
            var fs = new FaultInjectingFileSystem(crashAt, armed: false, ordered: ordered);
            var faulty = Spool(fs);
            faulty.Recover();
            fs.Armed = true;
            try
            {
                faulty.MarkRetry(entry.Id, "PACS", "connection refused", _time.GetUtcNow().AddSeconds(5));
            }
            catch (CrashException)
            {
            }
            var recovered = Spool();
            recovered.Recover();
            var d = recovered.Find(entry.Id)!.Deliveries["PACS"];
            Assert.Equal(DeliveryState.Pending, d.State);
            Assert.True(d.LastError is null or "connection refused");
            Assert.Empty(Directory.GetFiles(recovered.TempDir));
        }
    }

    [Fact]
    public void Half_written_temp_files_and_uncommitted_payloads_are_removed_at_recovery()
    {
        var spool = Spool();
        spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        File.WriteAllBytes(Path.Combine(spool.TempDir, "half.dcm"), new byte[10]);
        File.WriteAllBytes(Path.Combine(spool.ObjectsDir, "0000000000000000000-000000-dead.dcm"), new byte[10]);
        var report = Spool().Recover();
        Assert.Equal(1, report.Entries);
        Assert.Equal(1, report.TempFilesRemoved);
        Assert.Equal(1, report.OrphansRemoved);
    }

    [Fact]
    public void A_corrupt_entry_is_quarantined_and_reported_and_the_others_stay()
    {
        var spool = Spool();
        var bad = spool.Enqueue(Payload(100, 1), 100, Info, ["PACS"]);
        var good = spool.Enqueue(Payload(100, 2), 100, Info, ["PACS"]);
        var truncated = spool.Enqueue(Payload(100, 3), 100, Info, ["PACS"]);
        var bytes = File.ReadAllBytes(spool.PayloadPath(bad.Id));
        bytes[50] ^= 0xFF;
        File.WriteAllBytes(spool.PayloadPath(bad.Id), bytes);
        File.WriteAllBytes(spool.PayloadPath(truncated.Id), new byte[60]);

        var events = new List<SpoolEvent>();
        var recovered = Spool();
        recovered.Changed += events.Add;
        var report = recovered.Recover();
        Assert.Single(report.Quarantined); // the size mismatch is found at start
        Assert.Contains("60 bytes", report.Quarantined[0]);
        Assert.False(recovered.Verify(recovered.Find(bad.Id)!)); // the flipped byte when it is about to be sent
        Assert.Contains(events, e => e.Kind == SpoolEvent.Quarantined && e.Detail!.Contains("checksum mismatch", StringComparison.Ordinal));
        Assert.Equal([good.Id], recovered.Entries.Select(e => e.Id));
        Assert.True(File.Exists(Path.Combine(recovered.QuarantineDir, bad.Id + ".dcm")));
    }

    [Fact]
    public void The_quota_refuses_new_objects_with_a_clear_error_and_keeps_the_spooled_ones()
    {
        var spool = Spool(quota: 2500);
        var events = new List<SpoolEvent>();
        spool.Changed += events.Add;
        spool.Enqueue(Payload(1000), 1000, Info, ["PACS"]);
        spool.Enqueue(Payload(1000), 1000, Info, ["PACS"]);
        var e = Assert.Throws<SpoolFullException>(() => spool.Enqueue(Payload(1000), 1000, Info, ["PACS"]));
        Assert.Contains("quota", e.Message);
        Assert.Contains("keeps flowing", e.Message);
        Assert.Contains(events, x => x.Kind == SpoolEvent.QuotaReached);
        Assert.Equal(2, spool.Entries.Count);
        Assert.Empty(Directory.GetFiles(spool.TempDir));
        // Delivering frees room.
        spool.MarkDone(spool.Entries[0].Id, "PACS");
        spool.Enqueue(Payload(1000), 1000, Info, ["PACS"]);
    }

    [Fact]
    public void An_object_leaves_the_spool_only_when_every_destination_has_it()
    {
        var spool = Spool();
        var entry = spool.Enqueue(Payload(100), 100, Info, ["PACS", "ARCHIVE"]);
        spool.MarkDone(entry.Id, "PACS");
        Assert.NotNull(spool.Find(entry.Id));
        Assert.True(File.Exists(spool.PayloadPath(entry.Id)));
        spool.MarkDone(entry.Id, "ARCHIVE");
        Assert.Null(spool.Find(entry.Id));
        Assert.Empty(Directory.GetFiles(spool.StateDir)); // gone for every reader at once
        spool.FlushDeletions(); // its files are unlinked by the deletion flush (within the deletion window)
        Assert.False(File.Exists(spool.PayloadPath(entry.Id)));
        Assert.Empty(Directory.GetFiles(spool.TempDir));
    }

    [Fact]
    public void Dead_letters_stay_visible_until_retried_or_purged()
    {
        var spool = Spool();
        var entry = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        spool.MarkDead(entry.Id, "PACS", "0122 (refused: SOP class not supported)");
        Assert.True(spool.Find(entry.Id)!.HasDeadLetters);
        Assert.Null(spool.NextDue("PACS", _time.GetUtcNow(), new HashSet<string>()));
        Assert.Equal(1, spool.Retry());
        Assert.Equal(entry.Id, spool.NextDue("PACS", _time.GetUtcNow(), new HashSet<string>())!.Id);
        spool.MarkDead(entry.Id, "PACS", "again");
        Assert.Equal(1, spool.PurgeDeadLetters());
        Assert.Empty(spool.Entries);
        spool.FlushDeletions();
        Assert.Empty(Directory.GetFiles(spool.ObjectsDir));
    }

    [Fact]
    public void Retention_keeps_delivered_objects_for_the_configured_time_oldest_first()
    {
        var spool = Spool(keep: TimeSpan.FromDays(2));
        var old = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        _time.Advance(TimeSpan.FromDays(1));
        var young = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        spool.MarkDone(old.Id, "PACS");
        spool.MarkDone(young.Id, "PACS");
        Assert.Equal(2, spool.Entries.Count);
        _time.Advance(TimeSpan.FromDays(1.5));
        spool.ApplyRetention();
        Assert.Equal([young.Id], spool.Entries.Select(e => e.Id));
    }
}

/// <summary>Issue #18: the Storage Commitment states of a delivery survive a restart, and the entry stays until committed.</summary>
public sealed class CommitmentStateTests : IDisposable
{
    private readonly TempDirectory _dir = new("commit-state");
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test");

    public void Dispose() => _dir.Dispose();

    private DurableSpool Spool() => new(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0 }, time: _time);

    [Fact]
    public void Awaiting_commitment_is_durable_matched_by_current_and_earlier_transactions_and_done_only_when_committed()
    {
        var spool = Spool();
        var entry = spool.Enqueue(new MemoryStream(new byte[10]), 10, Info, ["pacs"]);
        spool.MarkAwaitingCommitment(entry.Id, "pacs");
        Assert.False(spool.Find(entry.Id)!.IsFinished);
        Assert.Null(spool.NextDue("pacs", _time.GetUtcNow(), new HashSet<string>())); // not sent again while awaiting
        Assert.Single(spool.CommitmentDue("pacs", _time.GetUtcNow(), 10));
        spool.MarkCommitRequested(entry.Id, "pacs", "2.25.1", _time.GetUtcNow().AddMinutes(10));
        spool.MarkCommitRequested(entry.Id, "pacs", "2.25.2", _time.GetUtcNow().AddMinutes(10));
        Assert.Empty(spool.CommitmentDue("pacs", _time.GetUtcNow(), 10));

        var restarted = Spool();
        restarted.Recover();
        var d = restarted.Find(entry.Id)!.Deliveries["pacs"];
        Assert.Equal((DeliveryState.AwaitingCommitment, "2.25.2", 2, 1), (d.State, d.Transaction, d.CommitRequests, d.Stored));
        Assert.Equal(["2.25.1"], d.EarlierTransactions);
        Assert.NotNull(restarted.FindAwaiting("pacs", "2.25.1", "1.2.3.4"));
        Assert.NotNull(restarted.FindAwaiting("pacs", "2.25.2", "1.2.3.4"));
        Assert.Null(restarted.FindAwaiting("pacs", "2.25.3", "1.2.3.4"));
        Assert.Equal(_time.GetUtcNow().AddMinutes(10), restarted.NextCommitmentTime("pacs"));

        restarted.MarkCommitFailed(entry.Id, "pacs", "not committed", _time.GetUtcNow());
        Assert.NotNull(restarted.NextDue("pacs", _time.GetUtcNow(), new HashSet<string>())); // sent again
        restarted.MarkAwaitingCommitment(entry.Id, "pacs");
        Assert.Equal(2, restarted.Find(entry.Id)!.Deliveries["pacs"].Stored);
        restarted.MarkDone(entry.Id, "pacs");
        Assert.Empty(restarted.Entries);
        restarted.FlushDeletions();
        Assert.Empty(Directory.GetFiles(restarted.ObjectsDir));
    }
}
