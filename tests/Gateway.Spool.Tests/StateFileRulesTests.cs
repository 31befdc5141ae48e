using System.Text.Json.Nodes;
using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Every rule of <see cref="SpoolEntryValidator"/> and of the state file's form, one case each, through recovery and the
/// read-only listing (issue #22: recovery reads state files the fast way when they are as the spool writes them, and
/// must still refuse, with the same words, whatever it refused before; UntrustedStateTests holds the first dozen cases).
/// Also what recovery takes as it did before: unknown members, escaped text, a state written as a number, a member
/// written twice (the last counts, as the deserialiser does).
/// </summary>
public sealed class StateFileRulesTests : IDisposable
{
    private readonly TempDirectory _dir = new("state-rules");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test", SourceKey: "frame:1");

    public void Dispose() => _dir.Dispose();

    private DurableSpool Spool() => new(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0 }, time: _time);

    private static MemoryStream Payload(int seed)
    {
        var b = new byte[100];
        new Random(seed).NextBytes(b);
        return new MemoryStream(b);
    }

    private static string StatePath(DurableSpool spool, string id) => Path.Combine(spool.StateDir, id + ".json");

    private static void Edit(DurableSpool spool, string id, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(StatePath(spool, id)))!.AsObject();
        change(json);
        File.WriteAllText(StatePath(spool, id), json.ToJsonString());
    }

    private static JsonObject Delivery(JsonObject j) => j["Deliveries"]!["orthanc"]!.AsObject();

    /// <summary>The state file's text with <paramref name="member"/> written twice: <paramref name="first"/>, then its own value.</summary>
    private static void Twice(DurableSpool spool, string id, string member, string first)
    {
        var text = File.ReadAllText(StatePath(spool, id));
        File.WriteAllText(StatePath(spool, id), "{" + $"\"{member}\": {first}," + text.TrimStart()[1..]);
    }

    [Theory]
    [InlineData("size-negative", "is negative")]
    [InlineData("size-fraction", "not valid")]
    [InlineData("size-text", "not valid")]
    [InlineData("sop-class-garbled", "SOP Class UID")]
    [InlineData("sop-instance-leading-zero", "SOP Instance UID")]
    [InlineData("sop-instance-too-long", "SOP Instance UID")]
    [InlineData("sop-instance-number", "not valid")]
    [InlineData("sha-upper-case", "checksum")]
    [InlineData("sha-missing", "checksum")]
    [InlineData("id-missing", "names entry")]
    [InlineData("modality-missing", "modality or source is missing")]
    [InlineData("source-null", "modality or source is missing")]
    [InlineData("destination-blank", "no destination name")]
    [InlineData("state-number-unknown", "unknown state 7")]
    [InlineData("state-name-unknown", "not valid")]
    [InlineData("attempts-text", "not valid")]
    [InlineData("attempts-too-large-for-int", "not valid")]
    [InlineData("next-attempt-not-a-date", "not valid")]
    [InlineData("created-object", "not valid")]
    [InlineData("sent-uid-garbled", "sent SOP Instance UID")]
    [InlineData("stored-negative", "commitment requests")]
    [InlineData("stored-too-many", "commitment requests")]
    [InlineData("earlier-five", "earlier commitment transactions")]
    [InlineData("earlier-null-item", "earlier commitment transactions")]
    [InlineData("deliveries-array", "not valid")]
    [InlineData("delivery-number", "not valid")]
    [InlineData("twice-last-garbled", "SOP Instance UID")]
    [InlineData("trailing-text", "not valid")]
    [InlineData("comment", "not valid")]
    [InlineData("invalid-utf8", "not valid")]
    [InlineData("lone-surrogate", "not valid")]
    public void A_state_file_breaking_a_rule_is_quarantined_with_its_reason(string corruption, string reason)
    {
        var spool = Spool();
        var bad = spool.Enqueue(Payload(1), 100, Info, ["orthanc"]);
        var good = spool.Enqueue(Payload(2), 100, Info, ["orthanc"]);
        var path = StatePath(spool, bad.Id);
        switch (corruption)
        {
            case "size-negative": Edit(spool, bad.Id, j => j["Size"] = -5); break;
            case "size-fraction": Edit(spool, bad.Id, j => j["Size"] = 100.5); break;
            case "size-text": Edit(spool, bad.Id, j => j["Size"] = "100"); break;
            case "sop-class-garbled": Edit(spool, bad.Id, j => j["SopClassUid"] = "1.02.3"); break;
            case "sop-instance-leading-zero": Edit(spool, bad.Id, j => j["SopInstanceUid"] = "1.2.03"); break;
            case "sop-instance-too-long": Edit(spool, bad.Id, j => j["SopInstanceUid"] = "1." + new string('2', 63)); break;
            case "sop-instance-number": Edit(spool, bad.Id, j => j["SopInstanceUid"] = 1.2); break;
            case "sha-upper-case": Edit(spool, bad.Id, j => j["Sha256"] = j["Sha256"]!.GetValue<string>().ToUpperInvariant()); break;
            case "sha-missing": Edit(spool, bad.Id, j => j.Remove("Sha256")); break;
            case "id-missing": Edit(spool, bad.Id, j => j.Remove("Id")); break;
            case "modality-missing": Edit(spool, bad.Id, j => j.Remove("Modality")); break;
            case "source-null": Edit(spool, bad.Id, j => j["Source"] = null); break;
            case "destination-blank":
                Edit(spool, bad.Id, j =>
                {
                    var d = j["Deliveries"]!.AsObject();
                    d.Remove("orthanc", out var v);
                    d[" \t"] = v;
                });
                break;
            case "state-number-unknown": Edit(spool, bad.Id, j => Delivery(j)["State"] = 7); break;
            case "state-name-unknown": Edit(spool, bad.Id, j => Delivery(j)["State"] = "Lost"); break;
            case "attempts-text": Edit(spool, bad.Id, j => Delivery(j)["Attempts"] = "3"); break;
            case "attempts-too-large-for-int": Edit(spool, bad.Id, j => Delivery(j)["Attempts"] = 4_000_000_000L); break;
            case "next-attempt-not-a-date": Edit(spool, bad.Id, j => Delivery(j)["NextAttempt"] = "tomorrow"); break;
            case "created-object": Edit(spool, bad.Id, j => j["Created"] = new JsonObject()); break;
            case "sent-uid-garbled": Edit(spool, bad.Id, j => Delivery(j)["SentSopInstanceUid"] = "2.25.x"); break;
            case "stored-negative": Edit(spool, bad.Id, j => Delivery(j)["Stored"] = -1); break;
            case "stored-too-many": Edit(spool, bad.Id, j => Delivery(j)["Stored"] = SpoolEntryValidator.MaxAttempts + 1); break;
            case "earlier-five": Edit(spool, bad.Id, j => Delivery(j)["EarlierTransactions"] = new JsonArray("1.1", "1.2", "1.3", "1.4", "1.5")); break;
            case "earlier-null-item": Edit(spool, bad.Id, j => Delivery(j)["EarlierTransactions"] = new JsonArray("1.1", null)); break;
            case "deliveries-array": Edit(spool, bad.Id, j => j["Deliveries"] = new JsonArray()); break;
            case "delivery-number": Edit(spool, bad.Id, j => j["Deliveries"]!["orthanc"] = 1); break;
            case "twice-last-garbled":
                // Written twice, the valid value first: the deserialiser takes the last, so it is refused.
                var text = File.ReadAllText(path).Replace("\"1.2.3.4\"", "\"1.2.3.04\"", StringComparison.Ordinal);
                File.WriteAllText(path, "{\"SopInstanceUid\": \"1.2.3.4\"," + text.TrimStart()[1..]);
                break;
            case "trailing-text": File.AppendAllText(path, " {}"); break;
            case "comment": File.WriteAllText(path, "// hand edit\n" + File.ReadAllText(path)); break;
            case "lone-surrogate": File.WriteAllText(path, File.ReadAllText(path).Replace("\"OT\"", "\"\\ud800\"", StringComparison.Ordinal)); break;
            case "invalid-utf8":
                var bytes = File.ReadAllBytes(path);
                var at = bytes.AsSpan().IndexOf("\"OT\""u8);
                bytes[at + 1] = 0xFF;
                File.WriteAllBytes(path, bytes);
                break;
        }

        var (listed, problems) = DurableSpool.ReadEntries(_dir.Path, time: _time);
        Assert.Equal([good.Id], listed.Select(e => e.Id));
        Assert.Contains(reason, Assert.Single(problems), StringComparison.Ordinal);

        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Contains(reason, Assert.Single(report.Quarantined), StringComparison.Ordinal);
        Assert.Equal([good.Id], recovered.Entries.Select(e => e.Id));
        Assert.Contains(reason, File.ReadAllText(Path.Combine(recovered.QuarantineDir, bad.Id + ".reason.txt")), StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.True(File.Exists(Path.Combine(recovered.QuarantineDir, bad.Id + ".dcm")));
    }

    [Theory]
    [InlineData("unknown-members")]
    [InlineData("escaped-text")]
    [InlineData("state-as-number")]
    [InlineData("twice-last-valid")]
    [InlineData("compact")]
    [InlineData("commitment-optional-members-missing")]
    public void A_state_file_the_full_way_takes_is_loaded_as_it_is(string variant)
    {
        var spool = Spool();
        var entry = spool.Enqueue(Payload(1), 100, Info, ["orthanc", "Zürich <2>"]);
        spool.MarkRetry(entry.Id, "orthanc", "PACS said 'busy' & \"later\"", _time.GetUtcNow().AddMinutes(5));
        var before = spool.Find(entry.Id)!;
        switch (variant)
        {
            case "unknown-members": Edit(spool, entry.Id, j => { j["Later"] = new JsonObject { ["x"] = 1 }; Delivery(j)["Note"] = "n"; }); break;
            case "escaped-text": Edit(spool, entry.Id, j => j["SopInstanceUid"] = "1.2.3.4"); File.WriteAllText(StatePath(spool, entry.Id), File.ReadAllText(StatePath(spool, entry.Id)).Replace("\"1.2.3.4\"", "\"\\u0031.2.3.4\"", StringComparison.Ordinal)); break;
            case "state-as-number": Edit(spool, entry.Id, j => Delivery(j)["State"] = 0); break;
            case "twice-last-valid": Twice(spool, entry.Id, "SopInstanceUid", "\"not a uid\""); break;
            case "compact": Edit(spool, entry.Id, _ => { }); break;
            case "commitment-optional-members-missing":
                Edit(spool, entry.Id, j =>
                {
                    foreach (var m in new[] { "Transaction", "EarlierTransactions", "CommitRequests", "Stored", "SentSopInstanceUid" })
                        Delivery(j).Remove(m);
                });
                break;
        }
        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Empty(report.Quarantined);
        Assert.Empty(report.Corrected);
        var after = recovered.Find(entry.Id)!;
        Assert.Equal(before.SopInstanceUid, after.SopInstanceUid);
        Assert.Equal(before.SourceKey, after.SourceKey);
        Assert.Equal(before.Deliveries.Keys, after.Deliveries.Keys);
        foreach (var (name, d) in before.Deliveries)
            Assert.Equal(d, after.Deliveries[name] with { EarlierTransactions = d.EarlierTransactions });
        Assert.Single(recovered.EntriesWithSourceKey());
        Assert.True(recovered.ContainsSopInstance("1.2.3.4"));
    }

    [Fact]
    public void Values_out_of_range_but_harmless_are_corrected_and_said_as_before()
    {
        var spool = Spool();
        var many = spool.Enqueue(Payload(1), 100, Info, ["orthanc"]);
        var future = spool.Enqueue(Payload(2), 100, Info, ["orthanc"]);
        Edit(spool, many.Id, j => Delivery(j)["Attempts"] = SpoolEntryValidator.MaxAttempts + 1);
        Edit(spool, future.Id, j => j["Created"] = "2030-01-01T00:00:00+00:00");
        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Empty(report.Quarantined);
        Assert.Equal(2, report.Corrected.Count);
        Assert.Contains(report.Corrected, c => c.StartsWith(many.Id, StringComparison.Ordinal) && c.Contains($"counted as {SpoolEntryValidator.MaxAttempts}", StringComparison.Ordinal));
        Assert.Contains(report.Corrected, c => c.StartsWith(future.Id, StringComparison.Ordinal) && c.Contains("in the future", StringComparison.Ordinal));
        Assert.Equal(SpoolEntryValidator.MaxAttempts, recovered.Find(many.Id)!.Deliveries["orthanc"].Attempts);
    }

    [Fact]
    public void A_payload_of_another_size_or_missing_is_quarantined_with_the_whole_entry_in_the_outcome_ledger()
    {
        var options = new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0, RecordOutcomesOf = _ => true };
        var spool = new DurableSpool(options, time: _time);
        var shorter = spool.Enqueue(Payload(1), 100, Info with { SopInstanceUid = "1.2.3.5" }, ["orthanc"]);
        var missing = spool.Enqueue(Payload(2), 100, Info with { SopInstanceUid = "1.2.3.6" }, ["orthanc"]);
        File.WriteAllBytes(spool.PayloadPath(shorter.Id), new byte[7]);
        File.Delete(spool.PayloadPath(missing.Id));
        var recovered = new DurableSpool(options, time: _time);
        var report = recovered.Recover();
        Assert.Equal(2, report.Quarantined.Count);
        Assert.Contains(report.Quarantined, q => q.StartsWith(shorter.Id, StringComparison.Ordinal) && q.Contains("payload is 7 bytes, the entry says 100", StringComparison.Ordinal));
        Assert.Contains(report.Quarantined, q => q.StartsWith(missing.Id, StringComparison.Ordinal) && q.Contains("payload is missing", StringComparison.Ordinal));
        Assert.Equal(0, recovered.Count);
        // The ledger names each lost instance: the fast path hands the whole entry to the quarantine.
        Assert.Equal(ObjectOutcome.Lost, recovered.Outcomes!.Find("1.2.3.5")!.Outcome);
        Assert.Equal(ObjectOutcome.Lost, recovered.Outcomes.Find("1.2.3.6")!.Outcome);
    }
}
