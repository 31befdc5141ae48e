using System.Text.Json.Nodes;
using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Issue #13 items 6–8: state files on our own disk are untrusted input (a flipped digit, a hand edit, a half-restored
/// backup), and reading the spool beside the running service changes nothing.
/// </summary>
public sealed class UntrustedStateTests : IDisposable
{
    private readonly TempDirectory _dir = new("untrusted");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test");

    public void Dispose() => _dir.Dispose();

    private DurableSpool Spool() => new(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0 }, time: _time);

    private static MemoryStream Payload(int seed)
    {
        var b = new byte[100];
        new Random(seed).NextBytes(b);
        return new MemoryStream(b);
    }

    /// <summary>Edits one entry's state file as JSON, the way a corrupting hand or bit would.</summary>
    private static void Edit(DurableSpool spool, string id, Action<JsonObject> change)
    {
        var path = Path.Combine(spool.StateDir, id + ".json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Theory]
    [InlineData("deliveries-null", "Deliveries is missing")]
    [InlineData("deliveries-empty", "Deliveries is empty")]
    [InlineData("delivery-null", "delivery to 'orthanc' is missing")]
    [InlineData("uid-garbled", "SOP Instance UID")]
    [InlineData("sha-short", "checksum")]
    [InlineData("id-other", "names entry")]
    [InlineData("attempts-negative", "attempts")]
    [InlineData("transaction-garbled", "commitment transaction")]
    [InlineData("earlier-transactions-garbled", "earlier commitment transactions")]
    [InlineData("commit-requests-negative", "commitment requests")]
    [InlineData("not-json", "not valid")]
    [InlineData("json-null", "empty")]
    public void A_malformed_state_file_is_quarantined_with_its_reason_and_the_rest_flows(string corruption, string reason)
    {
        var spool = Spool();
        var bad = spool.Enqueue(Payload(1), 100, Info, ["orthanc"]);
        var good = spool.Enqueue(Payload(2), 100, Info, ["orthanc"]);
        var path = Path.Combine(spool.StateDir, bad.Id + ".json");
        switch (corruption)
        {
            case "deliveries-null": Edit(spool, bad.Id, j => j["Deliveries"] = null); break;
            case "deliveries-empty": Edit(spool, bad.Id, j => j["Deliveries"] = new JsonObject()); break;
            case "delivery-null": Edit(spool, bad.Id, j => j["Deliveries"]!["orthanc"] = null); break;
            case "uid-garbled": Edit(spool, bad.Id, j => j["SopInstanceUid"] = "1.2.\n3"); break;
            case "sha-short": Edit(spool, bad.Id, j => j["Sha256"] = "abc"); break;
            case "id-other": Edit(spool, bad.Id, j => j["Id"] = good.Id); break;
            case "attempts-negative": Edit(spool, bad.Id, j => j["Deliveries"]!["orthanc"]!["Attempts"] = -1); break;
            case "transaction-garbled": Edit(spool, bad.Id, j => j["Deliveries"]!["orthanc"]!["Transaction"] = "2.25.x"); break;
            case "earlier-transactions-garbled": Edit(spool, bad.Id, j => j["Deliveries"]!["orthanc"]!["EarlierTransactions"] = new JsonArray("1.2", "", "3")); break;
            case "commit-requests-negative": Edit(spool, bad.Id, j => j["Deliveries"]!["orthanc"]!["CommitRequests"] = -3); break;
            case "not-json": File.WriteAllText(path, "{\"Id\": \"x\", "); break;
            case "json-null": File.WriteAllText(path, "null"); break;
        }

        // What crashed every start before (NullReferenceException from IsFinished) must not even be seen by a reader.
        var (listed, problems) = DurableSpool.ReadEntries(_dir.Path, time: _time);
        Assert.Equal([good.Id], listed.Select(e => e.Id));
        Assert.Contains(reason, Assert.Single(problems), StringComparison.Ordinal);
        Assert.True(File.Exists(path), "listing changed the spool");

        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Contains(reason, Assert.Single(report.Quarantined), StringComparison.Ordinal);
        Assert.Equal([good.Id], recovered.Entries.Select(e => e.Id));
        Assert.All(recovered.Entries, e => Assert.False(e.IsFinished));
        // The reason under its final name, nothing left under a temporary one.
        var reasonFile = Path.Combine(recovered.QuarantineDir, bad.Id + ".reason.txt");
        Assert.Contains(reason, File.ReadAllText(reasonFile), StringComparison.Ordinal);
        Assert.Equal([bad.Id + ".dcm", bad.Id + ".json", bad.Id + ".reason.txt"], Directory.GetFiles(recovered.QuarantineDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(recovered.TempDir));
    }

    [Fact]
    public void A_next_attempt_in_year_9999_is_made_due_now_and_written_back()
    {
        var spool = Spool();
        var entry = spool.Enqueue(Payload(1), 100, Info, ["orthanc"]);
        Edit(spool, entry.Id, j => j["Deliveries"]!["orthanc"]!["NextAttempt"] = "9999-12-01T08:00:00+00:00");
        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Contains("9999", Assert.Single(report.Corrected), StringComparison.Ordinal);
        Assert.Empty(report.Quarantined);
        Assert.Equal(_time.GetUtcNow(), recovered.Entries.Single().Deliveries["orthanc"].NextAttempt);
        Assert.NotNull(recovered.NextDue("orthanc", _time.GetUtcNow(), new HashSet<string>()));
        Assert.Empty(Spool().Recover().Corrected); // written back: the next start finds nothing to correct
    }

    [Fact]
    public void Reading_the_spool_while_objects_are_being_committed_deletes_nothing()
    {
        // Issue #13 item 6: `gateway spool list` ran recovery, which deleted the live service's tmp/ files and payloads
        // whose state was about to be renamed into place: acknowledged objects were lost.
        var spool = Spool();
        spool.Recover();
        var inFlightPayload = Path.Combine(spool.ObjectsDir, "0000000000000000001-000001-beef.dcm");
        File.WriteAllBytes(inFlightPayload, new byte[100]);
        var inFlightState = Path.Combine(spool.TempDir, "0000000000000000001-000001-beef.json");
        File.WriteAllText(inFlightState, "{}");
        var committed = spool.Enqueue(Payload(3), 100, Info, ["orthanc"]);
        var before = Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        var (entries, problems) = DurableSpool.ReadEntries(_dir.Path, time: _time);
        Assert.Equal([committed.Id], entries.Select(e => e.Id));
        Assert.Empty(problems);
        Assert.Equal(before, Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Only_one_process_holds_the_spool_lock_and_a_killed_holder_releases_it()
    {
        using (var first = SpoolLock.TryAcquire(_dir.Path))
        {
            Assert.NotNull(first);
            Assert.Null(SpoolLock.TryAcquire(_dir.Path));
        }
        using var again = SpoolLock.TryAcquire(_dir.Path);
        Assert.NotNull(again);
    }

    /// <summary>The real file system, but no new file can be created (a disk full to the last byte).</summary>
    private sealed class NoRoomFileSystem : ISpoolFileSystem
    {
        private readonly LocalFileSystem _real = LocalFileSystem.Instance;
        public Stream Create(string path) => throw new IOException("No space left on device");
        public Stream OpenRead(string path) => _real.OpenRead(path);
        public void FlushToDisk(Stream stream) => _real.FlushToDisk(stream);
        public void Move(string source, string destination) => _real.Move(source, destination);
        public void FlushDirectory(string directory) => _real.FlushDirectory(directory);
        public void Delete(string path) => _real.Delete(path);
        public bool Exists(string path) => _real.Exists(path);
        public IEnumerable<string> List(string directory, string pattern) => _real.List(directory, pattern);
        public void CreateDirectory(string path) => _real.CreateDirectory(path);
        public long Length(string path) => _real.Length(path);
        public long AvailableBytes(string directory) => 0;
    }

    [Fact]
    public void An_entry_that_cannot_be_quarantined_on_a_full_disk_keeps_its_payload_for_the_next_start()
    {
        // Review of #13: the orphan sweep deleted the payload of an entry whose quarantine had just failed.
        var spool = Spool();
        var entry = spool.Enqueue(Payload(1), 100, Info, ["orthanc"]);
        Edit(spool, entry.Id, j => j["Deliveries"] = null);
        var full = new DurableSpool(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0 }, new NoRoomFileSystem(), _time);
        var report = full.Recover();
        Assert.Contains("could not be moved to quarantine", Assert.Single(report.Quarantined), StringComparison.Ordinal);
        Assert.True(File.Exists(spool.PayloadPath(entry.Id)));
        Assert.True(File.Exists(Path.Combine(spool.StateDir, entry.Id + ".json")));
        // Room again: quarantined with everything.
        Spool().Recover();
        Assert.True(File.Exists(Path.Combine(spool.QuarantineDir, entry.Id + ".dcm")));
    }

    [Fact]
    public void An_oversized_state_file_is_refused_before_it_is_read()
    {
        var spool = Spool();
        var entry = spool.Enqueue(Payload(1), 100, Info, ["orthanc"]);
        File.WriteAllText(Path.Combine(spool.StateDir, entry.Id + ".json"), "[" + new string(' ', DurableSpool.MaxStateBytes) + "]");
        Assert.Contains("bytes; a state file is never more than", Assert.Single(Spool().Recover().Quarantined), StringComparison.Ordinal);
    }
}
