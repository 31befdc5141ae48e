using Xunit;
using Gateway.Spool;

namespace Gateway.Spool.Tests;

/// <summary>
/// <see cref="OrderedChunks{T}"/> against <see cref="SortedSet{T}"/>: mostly adds above every item (its appending fast
/// path, issue #22), some anywhere, some equal to one held (refused), removals from the front and anywhere, look-ups
/// above, below and between — the items, in order, after every step.
/// </summary>
public sealed class OrderedChunksTests
{
    private sealed record Box(int Value);

    private sealed class ByValue : IComparer<Box>
    {
        public int Compare(Box? x, Box? y) => x!.Value.CompareTo(y!.Value);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Holds_what_a_sorted_set_holds_through_random_schedules(int seed)
    {
        var random = new Random(seed);
        var set = new OrderedChunks<Box>(new ByValue());
        var model = new SortedSet<int>();
        var top = 0;
        for (var step = 0; step < 6000; step++)
        {
            var op = random.Next(10);
            int value;
            if (op < 5)
                value = top += random.Next(1, 3); // above every item
            else if (op < 6 && model.Count > 0)
                value = model.Max; // equal to the last: refused
            else if (op < 8)
                value = random.Next(-50, top + 50);
            else
            {
                value = model.Count > 0 && random.Next(2) == 0 ? model.Min : random.Next(-50, top + 50);
                Assert.Equal(model.Remove(value), set.Remove(new Box(value)));
                continue;
            }
            Assert.Equal(model.Add(value), set.Add(new Box(value)));
            var probe = random.Next(-60, top + 60);
            Assert.Equal(model.Contains(probe) ? probe : null, set.Find(b => b.Value.CompareTo(probe))?.Value);
            Assert.Equal(model.Count, set.Count);
        }
        Assert.Equal(model, set.Items().Select(b => b.Value));
        Assert.Null(set.Find(b => b.Value.CompareTo(top + 100)));
    }
}
