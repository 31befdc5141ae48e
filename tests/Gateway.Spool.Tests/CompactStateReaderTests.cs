using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Spool;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Recovery's fast path (issue #22) against the full way it shortcuts: on state files as the spool writes them and on
/// thousands of damaged ones (members removed, repeated, renamed, of other kinds, out of range, escaped; random bytes
/// flipped, cut, inserted), whatever <see cref="CompactStateReader"/> accepts must be accepted by the deserialiser and
/// <see cref="SpoolEntryValidator"/> with nothing to correct, and give the same index item; everything else is left to
/// the full way (which words the problem). And it must accept what the spool writes, or it would prove nothing.
/// </summary>
public sealed class CompactStateReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 14, 0, 0, TimeSpan.Zero);

    private static readonly string[] TopMembers =
        ["Id", "Created", "Size", "Sha256", "SopClassUid", "SopInstanceUid", "Modality", "Source", "Deliveries", "SourceKey"];

    private static readonly string[] DeliveryMembers =
        ["State", "Attempts", "NextAttempt", "LastError", "Transaction", "EarlierTransactions", "CommitRequests", "Stored", "SentSopInstanceUid"];

    /// <summary>Entries of every shape the spool writes: made ids and others, one to three destinations (some non-ASCII), every state, commitment details, errors with characters the writer escapes.</summary>
    private static List<SpoolEntry> Entries(int count, int seed)
    {
        var random = new Random(seed);
        string[] names = ["PACS", "ARCHIVE", "Zürich-PACS", "cloud <eu>", "O'Brien"];
        string?[] errors = [null, "connection refused", "PACS answered 'A700' (out of resources) & gave up", "Ünreachable: \"host\"\n\tretry", "日本語のエラー"];
        var list = new List<SpoolEntry>();
        for (var i = 0; i < count; i++)
        {
            var id = random.Next(8) == 0 ? $"hand-made-{i}" : $"{Now.UtcTicks + i:D19}-{i % 1_000_000:D6}-{random.Next(0x10000):x4}";
            var deliveries = new Dictionary<string, Delivery>(StringComparer.Ordinal);
            foreach (var name in names.OrderBy(_ => random.Next()).Take(1 + random.Next(3)))
            {
                var state = (DeliveryState)random.Next(4);
                var awaiting = state == DeliveryState.AwaitingCommitment;
                deliveries[name] = new Delivery(state, random.Next(5), Now.AddMinutes(random.Next(-600, 600)).AddTicks(random.Next(10_000_000)),
                    errors[random.Next(errors.Length)],
                    Transaction: awaiting && random.Next(2) == 0 ? $"2.25.{random.Next()}{random.Next()}" : null,
                    EarlierTransactions: awaiting && random.Next(2) == 0 ? [.. Enumerable.Range(0, random.Next(5)).Select(k => $"1.2.{k}.{random.Next()}")] : null,
                    CommitRequests: random.Next(3), Stored: random.Next(3),
                    SentSopInstanceUid: random.Next(4) == 0 ? $"2.25.{random.Next()}" : null);
            }
            list.Add(new SpoolEntry(id, Now.AddHours(-random.Next(100)).AddTicks(random.Next(10_000_000)), random.Next(2) == 0 ? 0 : random.NextInt64(1L << 40),
                Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + new string('a', 48),
                "1.2.840.10008.5.1.4.1.1.7", $"1.2.826.0.1.3680043.{random.Next()}.{i}", random.Next(2) == 0 ? "OT" : "DX", "test",
                deliveries, random.Next(3) == 0 ? $"frame:{random.Next()}:\u00e9" : null));
        }
        return list;
    }

    private static byte[] Written(SpoolEntry e) => JsonSerializer.SerializeToUtf8Bytes(e, SpoolJson.Default.SpoolEntry);

    /// <summary>
    /// The invariant: either the fast path leaves <paramref name="json"/> to the full way, or the full way accepts it
    /// as it is and its index item is the fast path's. True when the fast path accepted.
    /// </summary>
    private static bool Agree(byte[] json, string id, string what)
    {
        var names = new CompactStateReader.Destinations();
        var accepted = CompactStateReader.TryRead(json, id, Now, new CompactStateReader.Scratch(names), out var fast);
        if (!accepted)
        {
            Assert.Null(fast);
            return false;
        }
        var problem = DurableSpool.Check(json, id, Now, out var entry, out var notes);
        Assert.True(problem is null && notes is null && entry is not null,
            $"{what}: the fast path accepted what the full way says: {problem ?? notes}\n{Encoding.UTF8.GetString(json)}");
        var index = new SpoolIndex();
        var slow = index.ItemOf(entry!, held: false)!;
        Assert.Equal(slow.Id, fast!.Id);
        Assert.Equal(slow.Created, fast.Created);
        Assert.Equal(slow.Size, fast.Size);
        Assert.Equal(slow.SopHash, fast.SopHash);
        Assert.Equal(slow.Flags, fast.Flags);
        Assert.Equal(slow.Slots.Length, fast.Slots.Length);
        for (var k = 0; k < slow.Slots.Length; k++)
        {
            Assert.Equal(index.LaneName(slow.Slots[k].Lane), names[fast.Slots[k].Lane]);
            Assert.Equal(slow.Slots[k].State, fast.Slots[k].State);
            Assert.Equal(slow.Slots[k].Attempts, fast.Slots[k].Attempts);
            Assert.Equal(slow.Slots[k].Next, fast.Slots[k].Next);
            var (a, b) = (slow.CommitmentAt(k), fast.CommitmentAt(k));
            Assert.Equal(a is null, b is null);
            if (a is not null)
            {
                Assert.Equal(a.Transaction, b!.Transaction);
                Assert.Equal(a.SentSopInstanceUid, b.SentSopInstanceUid);
                Assert.Equal(a.CommitRequests, b.CommitRequests);
                Assert.Equal(a.Stored, b.Stored);
                Assert.Equal(a.Earlier ?? [], b.Earlier ?? []);
                Assert.Equal(a.Earlier is null, b.Earlier is null);
            }
        }
        return true;
    }

    [Fact]
    public void Every_state_file_as_the_spool_writes_it_takes_the_fast_path_with_the_same_item()
    {
        foreach (var e in Entries(500, seed: 1))
        {
            Assert.True(Agree(Written(e), e.Id, "as written"), "the fast path refused a file the spool wrote:\n" + Encoding.UTF8.GetString(Written(e)));
            // Without indentation, and with its members in another order, it is the same file.
            var node = JsonNode.Parse(Written(e))!.AsObject();
            Assert.True(Agree(Encoding.UTF8.GetBytes(node.ToJsonString()), e.Id, "compact"));
            var reordered = new JsonObject(node.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            Assert.True(Agree(Encoding.UTF8.GetBytes(reordered.ToJsonString()), e.Id, "reordered"));
        }
    }

    /// <summary>The values each member is set to in turn (the kinds JSON has, and the edges of each rule).</summary>
    private static readonly string[] Replacements =
    [
        "null", "0", "-1", "1.5", "1e3", "2147483648", "10000001", "9223372036854775808", "true", "{}", "[]", "\"\"", "\" \"", "\"x\"",
        "\"0\"", "\"Pending\"", "\"pending\"", "\"AwaitingCommitment\"", "\"Done, Dead\"", "\" Done\"", "7", "\"7\"",
        "\"1.2.3\"", "\"1.02.3\"", "\"1..2\"", "\"1.2.\"", "\".1\"", "\"1.2\\n\"", "\"\\u0031.2.3\"", $"\"{new string('1', 65)}\"", $"\"{new string('1', 64)}\"",
        $"\"{new string('a', 64)}\"", $"\"{new string('A', 64)}\"", $"\"{new string('a', 63)}\"", $"\"{new string('a', 64)}\\n\"",
        "\"2026-12-03T14:00:00+00:00\"", "\"9999-12-31T00:00:00+00:00\"", "\"2026-12-05T14:00:00+00:00\"", "\"2026-12-03\"", "\"not a date\"",
        "[\"1.2\", \"1.3\"]", "[\"1.2\", null]", "[\"1.2\", 3]", "[\"1\", \"2\", \"3\", \"4\", \"5\"]", "[\"01.2\"]",
        "{\"PACS\": null}", "{\"\": {}}", "\"caf\\u00e9\"",
    ];

    [Fact]
    public void Every_member_removed_repeated_renamed_or_replaced_is_left_to_the_full_way_unless_the_full_way_takes_it_as_it_is()
    {
        var accepted = 0;
        var cases = 0;
        foreach (var e in Entries(12, seed: 2))
        {
            var original = JsonNode.Parse(Written(e))!.AsObject();
            var firstDestination = original["Deliveries"]!.AsObject().First().Key;
            foreach (var (path, member) in TopMembers.Select(m => ((string?)null, m)).Concat(DeliveryMembers.Select(m => ((string?)firstDestination, m))))
            {
                JsonObject Target(JsonObject root) => path is null ? root : root["Deliveries"]![path]!.AsObject();
                void Check(JsonObject changed, string what)
                {
                    cases++;
                    if (Agree(Encoding.UTF8.GetBytes(changed.ToJsonString()), e.Id, $"{member}: {what}"))
                        accepted++;
                }
                var removed = (JsonObject)original.DeepClone();
                Target(removed).Remove(member);
                Check(removed, "removed");
                var renamed = (JsonObject)original.DeepClone();
                if (Target(renamed).Remove(member, out var value))
                    Target(renamed)[member.ToLowerInvariant()] = value;
                Check(renamed, "in lower case");
                foreach (var replacement in Replacements)
                {
                    var changed = (JsonObject)original.DeepClone();
                    Target(changed)[member] = JsonNode.Parse(replacement);
                    Check(changed, "= " + replacement);
                    // Repeated, with the replacement first and the written value last, and the other way round: the
                    // deserialiser takes the last, the fast path must not take either.
                    foreach (var last in new[] { true, false })
                    {
                        var text = original.ToJsonString();
                        var written = Target(original)[member]?.ToJsonString() ?? "null";
                        var at = path is null ? 1 : text.IndexOf('{', text.IndexOf($"\"{JsonEncodedText.Encode(path)}\":", StringComparison.Ordinal)) + 1;
                        var (a, b) = last ? (replacement, written) : (written, replacement);
                        var twice = text[..at] + $"\"{member}\":{a},\"{member}\":{b}," + text[at..].Replace($"\"{member}\":{written},", "", StringComparison.Ordinal);
                        cases++;
                        if (Agree(Encoding.UTF8.GetBytes(twice), e.Id, $"{member} twice: {a} then {b}"))
                            accepted++;
                    }
                }
                var unknown = (JsonObject)original.DeepClone();
                Target(unknown)["Unknown"] = 1;
                Check(unknown, "beside an unknown member");
            }
        }
        Assert.True(cases > 10_000, $"{cases} cases");
        Assert.True(accepted > 0, "the fast path accepted nothing: the replacements that leave the file valid (an equal value) must pass");
    }

    [Fact]
    public void Text_around_the_object_and_bad_encodings_are_left_to_the_full_way()
    {
        var e = Entries(1, seed: 3)[0];
        var text = Encoding.UTF8.GetString(Written(e));
        string[] variants =
        [
            "\uFEFF" + text, text + " x", text + "{}", text + "\n", "/* c */" + text, text.Replace("\n", "\n// c\n", StringComparison.Ordinal),
            text[..^1] + ",}", "[" + text + "]", "", " ", "null", "{}", text[..(text.Length / 2)],
            // A lone surrogate, escaped (JsonNode cannot even write it): in a string the fast path decodes, and in one it checks.
            text.Replace($"\"{e.Modality}\"", "\"\\ud800\"", StringComparison.Ordinal),
            text.Replace($"\"{e.Modality}\"", "\"\\udc00x\"", StringComparison.Ordinal),
            text.Replace($"\"{e.SopInstanceUid}\"", "\"\\ud800\"", StringComparison.Ordinal),
        ];
        foreach (var v in variants)
            Agree(Encoding.UTF8.GetBytes(v), e.Id, "variant");
        // Raw bytes that are not UTF-8 in each string the fast path does not decode.
        foreach (var member in new[] { "Modality", "Source", "LastError", "SourceKey" })
        {
            var node = JsonNode.Parse(text)!.AsObject();
            if (member == "LastError")
                node["Deliveries"]!.AsObject().First().Value!["LastError"] = "MARK";
            else
                node[member] = "MARK";
            foreach (var bad in new byte[][] { [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80] })
            {
                var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
                var at = bytes.AsSpan().IndexOf("MARK"u8);
                Agree([.. bytes[..at], .. bad, .. bytes[(at + 4)..]], e.Id, $"{member} with bytes {Convert.ToHexString(bad)}");
            }
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Random_damage_never_makes_the_fast_path_take_what_the_full_way_refuses(int seed)
    {
        var random = new Random(seed);
        var cases = 0;
        foreach (var e in Entries(20, seed))
        {
            var written = Written(e);
            for (var n = 0; n < 400; n++)
            {
                var bytes = written.ToList();
                for (var edits = 1 + random.Next(3); edits > 0; edits--)
                {
                    var at = random.Next(bytes.Count);
                    switch (random.Next(4))
                    {
                        case 0: bytes[at] = (byte)random.Next(256); break;
                        case 1: bytes[at] = (byte)"0123456789.-\"{}[],:nulltrue \\"[random.Next(29)]; break;
                        case 2: bytes.RemoveAt(at); break;
                        default: bytes.Insert(at, (byte)"0123456789.-\"{}[],: \\\u00ff"[random.Next(22)]); break;
                    }
                }
                Agree([.. bytes], e.Id, "random damage");
                cases++;
            }
        }
        Assert.Equal(20 * 400, cases);
    }

    [Fact]
    public void The_uid_and_checksum_rules_match_the_validators()
    {
        string[] uids = ["0", "1", "1.2", "0.0", "1.20.300", "10.0.1", "01", "1.02", "1..2", ".1", "1.", "", "a", "1.2a", "1 .2", "-1", new string('1', 64), new string('1', 65)];
        foreach (var uid in uids)
        {
            var entry = new SpoolEntry("x", Now, 0, new string('a', 64), "1.2", uid, "OT", "t", new Dictionary<string, Delivery> { ["P"] = new(DeliveryState.Done, 0, Now, null) });
            Assert.Equal(SpoolEntryValidator.Check("x", entry, Now, out _, out _) is null, CompactStateReader.IsUid(Encoding.ASCII.GetBytes(uid)));
        }
        string[] sums = [new string('a', 64), new string('0', 64), "0123456789abcdef".PadRight(64, 'f'), new string('A', 64), new string('a', 63), new string('a', 65), new string('g', 64)];
        foreach (var sha in sums)
        {
            var entry = new SpoolEntry("x", Now, 0, sha, "1.2", "1.2", "OT", "t", new Dictionary<string, Delivery> { ["P"] = new(DeliveryState.Done, 0, Now, null) });
            Assert.Equal(SpoolEntryValidator.Check("x", entry, Now, out _, out _) is null, CompactStateReader.IsSha256(Encoding.ASCII.GetBytes(sha)));
        }
    }
}
