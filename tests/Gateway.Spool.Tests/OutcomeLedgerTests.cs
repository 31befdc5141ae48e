using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Issue #18, the Storage Commitment SCP's memory: what became of an object outlives its spool entry. The record is
/// durable before the entry goes, its files are untrusted on read-back, and it is bounded by its retention.
/// </summary>
public sealed class OutcomeLedgerTests : IDisposable
{
    private readonly TempDirectory _dir = new("outcomes");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private const string CtClass = "1.2.840.10008.5.1.4.1.1.2";

    public void Dispose() => _dir.Dispose();

    private DurableSpool Spool(Func<SpoolEntry, bool>? record = null) => new(new SpoolOptions
    {
        Directory = _dir.Path, MinFreeBytes = 0, RecordOutcomesOf = record ?? (e => e.Source.StartsWith("scp:", StringComparison.Ordinal)),
        OutcomeRetention = TimeSpan.FromDays(7),
    }, time: _time);

    private static SpoolEntry Enqueue(DurableSpool spool, string uid, string source = "scp:MODALITY", params string[] destinations) =>
        spool.Enqueue(new MemoryStream(new byte[64]), 64, new SpoolObjectInfo(CtClass, uid, "CT", source), destinations.Length == 0 ? ["pacs"] : destinations);

    private string LedgerDir => Path.Combine(_dir.Path, "outcomes");

    [Fact]
    public void A_delivered_entry_is_in_the_ledger_once_it_left_the_spool_and_after_a_restart()
    {
        var spool = Spool();
        spool.Recover();
        var e = Enqueue(spool, "1.2.3.1", destinations: ["pacs", "archive"]);
        spool.MarkDone(e.Id, "pacs");
        Assert.Null(spool.Outcomes!.Find("1.2.3.1")); // still in the spool: the spool is the truth
        spool.MarkDone(e.Id, "archive");
        Assert.Empty(spool.Entries);
        Assert.Equal(ObjectOutcome.Delivered, spool.Outcomes.Find("1.2.3.1")!.Outcome);
        spool.Outcomes.Dispose();

        var again = Spool();
        again.Recover();
        var record = again.Outcomes!.Find("1.2.3.1")!;
        Assert.Equal((ObjectOutcome.Delivered, CtClass, "scp:MODALITY", e.Id), (record.Outcome, record.SopClassUid, record.Source, record.EntryId));
    }

    [Fact]
    public void Only_the_entries_asked_for_are_recorded()
    {
        var spool = Spool();
        spool.Recover();
        var device = Enqueue(spool, "1.2.3.2", source: "device:xray");
        spool.MarkDone(device.Id, "pacs");
        Assert.Null(spool.Outcomes!.Find("1.2.3.2"));
        Assert.Equal(0, spool.Outcomes.Count);
    }

    [Fact]
    public void A_purged_dead_letter_and_a_quarantined_entry_are_recorded_as_not_delivered_with_the_reason()
    {
        var spool = Spool();
        spool.Recover();
        var dead = Enqueue(spool, "1.2.3.3");
        spool.MarkDead(dead.Id, "pacs", "refused: A900");
        Assert.Equal(1, spool.PurgeDeadLetters());
        var record = spool.Outcomes!.Find("1.2.3.3")!;
        Assert.Equal(ObjectOutcome.Dead, record.Outcome);
        Assert.Contains("pacs: refused: A900", record.Detail, StringComparison.Ordinal);

        var lost = Enqueue(spool, "1.2.3.4");
        File.WriteAllBytes(spool.PayloadPath(lost.Id), new byte[64].Select(_ => (byte)1).ToArray()); // same size, other bytes
        Assert.False(spool.Verify(lost));
        Assert.Equal(ObjectOutcome.Lost, spool.Outcomes.Find("1.2.3.4")!.Outcome);
    }

    [Fact]
    public void Delivered_once_wins_over_a_later_copy_that_died()
    {
        var spool = Spool();
        spool.Recover();
        var first = Enqueue(spool, "1.2.3.5");
        spool.MarkDone(first.Id, "pacs");
        var second = Enqueue(spool, "1.2.3.5");
        spool.MarkDead(second.Id, "pacs", "refused");
        spool.PurgeDeadLetters();
        Assert.Equal(ObjectOutcome.Delivered, spool.Outcomes!.Find("1.2.3.5")!.Outcome);
    }

    [Fact]
    public void A_record_that_cannot_be_written_keeps_the_entry_in_the_spool()
    {
        var spool = Spool();
        spool.Recover();
        var e = Enqueue(spool, "1.2.3.6");
        // The ledger's folder replaced by a file: its next segment cannot be created (as on a broken volume).
        spool.Outcomes!.Dispose();
        Directory.Delete(LedgerDir, recursive: true);
        File.WriteAllText(LedgerDir, "not a folder");
        Assert.ThrowsAny<IOException>(() => spool.MarkDone(e.Id, "pacs"));
        Assert.Single(spool.Entries); // not forgotten without its record
        Assert.True(File.Exists(Path.Combine(spool.StateDir, e.Id + ".json")));
    }

    [Fact]
    public void Torn_oversized_and_hostile_lines_are_skipped_and_counted_the_good_ones_kept()
    {
        Directory.CreateDirectory(LedgerDir);
        var good = """{"uid":"1.2.3.7","class":"1.2.840.10008.5.1.4.1.1.2","source":"scp:M","entry":"x","at":"2026-12-01T07:00:00+00:00","outcome":"Delivered"}""";
        var lines = new[]
        {
            good,
            """{"uid":"../../etc/passwd","class":"1.2","source":"scp:M","entry":"x","at":"2026-12-01T07:00:00+00:00","outcome":"Delivered"}""",
            """{"uid":"1.2.3.8","class":"1.2","source":"scp:M","entry":"x","at":"2026-12-01T07:00:00+00:00","outcome":"Exploded"}""",
            """{"uid":"1.2.3.9","class":"1.2","source":"scp:M","entry":"x","at":"9999-12-01T07:00:00+00:00","outcome":"Delivered"}""",
            "{\"uid\":\"1.2.3.10\",\"class\":\"1.2\",\"detail\":\"" + new string('a', 5000) + "\"}",
            "not json at all",
        };
        File.WriteAllText(Path.Combine(LedgerDir, "outcomes-0638999999999999999.log"),
            string.Join('\n', lines) + "\n" + """{"uid":"1.2.3.11","class":"1.2","source":"scp:M","ent""");
        var spool = Spool();
        var report = spool.Recover();
        Assert.Equal(1, spool.Outcomes!.Count);
        Assert.NotNull(spool.Outcomes.Find("1.2.3.7"));
        Assert.Null(spool.Outcomes.Find("1.2.3.11")); // torn by a crash
        Assert.Equal(6, report.OutcomeProblems.Count); // five named, then "1 more"
        Assert.Contains("1 more invalid line(s)", report.OutcomeProblems[^1], StringComparison.Ordinal);

        // The next append goes to a new segment, never after the torn line.
        var e = Enqueue(spool, "1.2.3.12");
        spool.MarkDone(e.Id, "pacs");
        Assert.Equal(2, Directory.GetFiles(LedgerDir, "outcomes-*.log").Length);
    }

    [Fact]
    public void Segments_older_than_the_retention_are_deleted_and_forgotten()
    {
        var spool = Spool();
        spool.Recover();
        var old = Enqueue(spool, "1.2.3.13");
        spool.MarkDone(old.Id, "pacs");
        spool.Outcomes!.Dispose();
        _time.Advance(TimeSpan.FromDays(8));

        var later = Spool();
        later.Recover(); // a new segment; the old one is past the retention
        Assert.Null(later.Outcomes!.Find("1.2.3.13"));
        Assert.Empty(Directory.GetFiles(LedgerDir, "outcomes-*.log"));
        var fresh = Enqueue(later, "1.2.3.14");
        later.MarkDone(fresh.Id, "pacs");
        Assert.NotNull(later.Outcomes.Find("1.2.3.14"));
    }
}
