namespace Gateway.Spool;

/// <summary>
/// A sorted set kept as a list of small sorted arrays (at most <see cref="ChunkSize"/> items each): insertion, removal
/// and look-up cost a binary search over the chunks and one within a chunk, plus moving at most a chunk's items — at
/// the end (new spool entries) and at the front (delivered ones) alike. About one reference per item, no node objects.
/// Not thread-safe: the spool uses it under its index lock.
/// </summary>
internal sealed class OrderedChunks<T>(IComparer<T> comparer) where T : class
{
    internal const int ChunkSize = 128;

    private sealed class Chunk
    {
        public readonly T[] Items = new T[ChunkSize];
        public int Count;
        public T Last => Items[Count - 1];
    }

    private readonly List<Chunk> _chunks = [];

    public int Count { get; private set; }

    /// <summary>The smallest item, or null when empty.</summary>
    public T? First => _chunks.Count == 0 ? null : _chunks[0].Items[0];

    /// <summary>The index of the first chunk whose last item is not below <paramref name="compare"/>'s key (0 when it is below them all).</summary>
    private int ChunkOf(Func<T, int> compare)
    {
        int lo = 0, hi = _chunks.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (compare(_chunks[mid].Last) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>The first position in <paramref name="c"/> whose item is not below the key (<paramref name="compare"/>: item vs key).</summary>
    private static int PositionIn(Chunk c, Func<T, int> compare)
    {
        int lo = 0, hi = c.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (compare(c.Items[mid]) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>Adds <paramref name="item"/>; false when an equal one (by the comparer) is already there.</summary>
    public bool Add(T item)
    {
        // Above every item (new entries; recovery adds in order): appended with one comparison, no search (issue #22).
        if (_chunks.Count > 0 && _chunks[^1] is var tail && comparer.Compare(tail.Last, item) < 0)
        {
            if (tail.Count == ChunkSize)
                _chunks.Add(tail = new Chunk());
            tail.Items[tail.Count++] = item;
            Count++;
            return true;
        }
        int Compare(T x) => comparer.Compare(x, item);
        if (_chunks.Count == 0)
            _chunks.Add(new Chunk());
        var ci = ChunkOf(Compare);
        var c = _chunks[ci];
        var at = PositionIn(c, Compare);
        if (at < c.Count && comparer.Compare(c.Items[at], item) == 0)
            return false;
        if (c.Count == ChunkSize)
        {
            // Split: the upper half moves to a new chunk after this one (at the very end, a new chunk is started instead,
            // so that items added in order fill their chunks).
            var next = new Chunk();
            if (ci == _chunks.Count - 1 && at == c.Count)
            {
                _chunks.Add(next);
                c = next;
                at = 0;
            }
            else
            {
                const int half = ChunkSize / 2;
                Array.Copy(c.Items, half, next.Items, 0, ChunkSize - half);
                Array.Clear(c.Items, half, ChunkSize - half);
                next.Count = ChunkSize - half;
                c.Count = half;
                _chunks.Insert(ci + 1, next);
                if (at > half)
                {
                    c = next;
                    at -= half;
                }
            }
        }
        Array.Copy(c.Items, at, c.Items, at + 1, c.Count - at);
        c.Items[at] = item;
        c.Count++;
        Count++;
        return true;
    }

    /// <summary>Removes the item equal (by the comparer) to <paramref name="item"/>; false when there is none.</summary>
    public bool Remove(T item)
    {
        int Compare(T x) => comparer.Compare(x, item);
        if (_chunks.Count == 0)
            return false;
        var ci = ChunkOf(Compare);
        var c = _chunks[ci];
        var at = PositionIn(c, Compare);
        if (at >= c.Count || comparer.Compare(c.Items[at], item) != 0)
            return false;
        c.Count--;
        Array.Copy(c.Items, at + 1, c.Items, at, c.Count - at);
        c.Items[c.Count] = null!;
        if (c.Count == 0)
            _chunks.RemoveAt(ci);
        Count--;
        return true;
    }

    /// <summary>The item for which <paramref name="compare"/> (item vs key, as a comparer would) is 0, if any.</summary>
    public T? Find(Func<T, int> compare)
    {
        if (_chunks.Count == 0 || compare(_chunks[^1].Last) < 0)
            return null; // empty, or the key is above every item
        var c = _chunks[ChunkOf(compare)];
        var at = PositionIn(c, compare);
        return at < c.Count && compare(c.Items[at]) == 0 ? c.Items[at] : null;
    }

    /// <summary>The items in order. The set must not change while this is enumerated.</summary>
    public IEnumerable<T> Items()
    {
        foreach (var c in _chunks)
        {
            for (var i = 0; i < c.Count; i++)
                yield return c.Items[i];
        }
    }

    /// <summary>The items in order from the first not below the key (<paramref name="compare"/>: item vs key). The set must not change meanwhile.</summary>
    public IEnumerable<T> From(Func<T, int> compare)
    {
        if (_chunks.Count == 0)
            yield break;
        var ci = ChunkOf(compare);
        var at = PositionIn(_chunks[ci], compare);
        for (; ci < _chunks.Count; ci++, at = 0)
        {
            var c = _chunks[ci];
            for (var i = at; i < c.Count; i++)
                yield return c.Items[i];
        }
    }

    public void Clear()
    {
        _chunks.Clear();
        Count = 0;
    }
}
