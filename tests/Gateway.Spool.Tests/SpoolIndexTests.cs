using Xunit;
using Gateway.Spool;

namespace Gateway.Spool.Tests;

/// <summary>
/// The compact index (issue #22) against the plain rule it replaces: NextDue is the oldest (by id) pending, due, not
/// busy, not held entry — checked after every step of long random schedules of enqueues, retries, deliveries, holds,
/// removals and clocks that also go back, against a scan of every entry.
/// </summary>
public sealed class SpoolIndexTests
{
    private static readonly string[] Destinations = ["PACS", "ARCHIVE", "CLOUD"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void NextDue_and_NextAttempt_match_a_scan_of_every_entry_through_random_schedules(int seed)
    {
        var random = new Random(seed);
        var index = new SpoolIndex();
        var model = new SortedDictionary<string, SpoolEntry>(StringComparer.Ordinal);
        var held = new HashSet<string>(StringComparer.Ordinal);
        var t0 = new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
        var now = t0;
        var sequence = 0;
        for (var step = 0; step < 4000; step++)
        {
            now = random.Next(10) == 0 ? now.AddSeconds(-random.Next(30)) : now.AddSeconds(random.Next(5));
            var op = random.Next(10);
            if (op < 3 || model.Count == 0)
            {
                // Mostly ids in order; now and then one from the past (a clock stepped back), or not made by the spool.
                var ticks = (random.Next(8) == 0 ? now.AddMinutes(-random.Next(60)) : now).UtcTicks;
                var id = random.Next(50) == 0 ? $"hand-made-{random.Next(1000)}" : $"{ticks:D19}-{++sequence % 1_000_000:D6}-{random.Next(0x10000):x4}";
                if (model.ContainsKey(id))
                    continue;
                var dests = Destinations.Where(_ => random.Next(2) == 0).DefaultIfEmpty("PACS").ToList();
                var entry = new SpoolEntry(id, now, random.Next(1000), new string('0', 64), "1.2", $"1.2.{step}", "OT", "test",
                    dests.ToDictionary(d => d, _ => new Delivery(DeliveryState.Pending, 0, now.AddSeconds(random.Next(-5, 5)), null)));
                var isHeld = random.Next(10) == 0;
                index.Add(index.ItemOf(entry, isHeld)!);
                model[id] = entry;
                if (isHeld)
                    held.Add(id);
            }
            else
            {
                var id = model.Keys.ElementAt(random.Next(model.Count));
                var item = index.Find(id)!;
                Assert.Equal(id, item.Id);
                switch (op)
                {
                    case 3:
                        index.Remove(item);
                        model.Remove(id);
                        held.Remove(id);
                        break;
                    case 4:
                        item.Held = !item.Held;
                        if (!held.Remove(id))
                            held.Add(id);
                        break;
                    default:
                        var (dest, d) = model[id].Deliveries.ElementAt(random.Next(model[id].Deliveries.Count));
                        var changed = random.Next(6) switch
                        {
                            0 => d with { State = DeliveryState.Done },
                            1 => d with { State = DeliveryState.Dead },
                            2 => d with { State = DeliveryState.AwaitingCommitment, Transaction = "1.9" },
                            _ => d with { State = DeliveryState.Pending, Attempts = d.Attempts + 1, NextAttempt = now.AddSeconds(random.Next(-10, 60)) },
                        };
                        index.Set(item, index.SlotIndex(item, dest), changed);
                        model[id] = model[id].With(dest, changed);
                        break;
                }
            }
            var busy = model.Keys.Where(_ => random.Next(8) == 0).Take(3).ToHashSet(StringComparer.Ordinal);
            foreach (var dest in Destinations)
            {
                var expected = model.Values.FirstOrDefault(e => e.Deliveries.TryGetValue(dest, out var d) && d.State == DeliveryState.Pending
                    && d.NextAttempt <= now && !busy.Contains(e.Id) && !held.Contains(e.Id))?.Id;
                Assert.Equal(expected, index.NextDue(dest, now.UtcTicks, x => busy.Contains(x.Id))?.Id);
                var next = model.Values.Where(e => !held.Contains(e.Id)).Select(e => e.Deliveries.GetValueOrDefault(dest))
                    .Where(d => d is { State: DeliveryState.Pending }).Select(d => (long?)d!.NextAttempt.UtcTicks).Min();
                Assert.Equal(next, index.NextAttempt(dest));
                Assert.Equal(model.Values.Count(e => e.Deliveries.TryGetValue(dest, out var d) && d.State == DeliveryState.AwaitingCommitment),
                    index.Awaiting(dest).Count());
            }
            Assert.Equal(model.Keys, index.All.Select(x => x.Id));
            Assert.Equal(model.Values.Sum(e => e.Size), index.UsedBytes);
        }
    }

    [Fact]
    public void Ids_made_by_the_spool_are_packed_and_sort_as_their_text_others_are_kept_as_they_are()
    {
        string[] ids = ["0639013824000000000-000001-00af", "0639013824000000000-000001-00b0", "0639013824000000001-000000-0000",
            "0639013824000000000-000001-00AF", "9999999999999999999-000000-0000", "x", "0639013824000000000-00001-00af0"];
        foreach (var id in ids)
            Assert.Equal(id, SpoolIndex.Probe(id).Id);
        Assert.True(SpoolIndex.TryPack(ids[0], out _, out _));
        Assert.False(SpoolIndex.TryPack(ids[3], out _, out _)); // upper-case hex is not what the spool writes
        Assert.False(SpoolIndex.TryPack(ids[4], out _, out _)); // beyond a long
        var sorted = ids.Select(SpoolIndex.Probe).Order(Comparer<SpoolIndex.Item>.Create(SpoolIndex.CompareIds)).Select(x => x.Id);
        Assert.Equal(ids.Order(StringComparer.Ordinal), sorted);
    }
}
