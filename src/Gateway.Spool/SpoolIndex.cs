using System.Globalization;

namespace Gateway.Spool;

/// <summary>
/// The spool's compact in-memory index (issue #22): per entry only what choosing, counting and matching need — its id
/// packed into two numbers, creation time, size, a hash of its SOP Instance UID, and per destination a 16-byte slot
/// (state, attempts, next attempt); everything else (checksum, UIDs, last errors, source key) is read from the entry's
/// state file when an entry is handed out. The details of Storage Commitment stay in memory while a delivery awaits
/// commitment (a report is matched against them). Per destination, pending entries are kept in two ordered sets —
/// those due (by id: FIFO) and those backing off (by next attempt) — so that <see cref="NextDue"/> costs a look at the
/// front instead of a scan. Not thread-safe: <see cref="DurableSpool"/> uses it under its index lock.
/// </summary>
internal sealed class SpoolIndex
{
    private const byte HeldFlag = 1, SourceKeyFlag = 2;

    /// <summary>One destination's delivery state of an entry.</summary>
    internal struct Slot
    {
        public long Next; // UTC ticks
        public int Attempts;
        public ushort Lane;
        public byte State;

        public readonly DeliveryState DeliveryState => (DeliveryState)State;
    }

    /// <summary>What a delivery awaiting commitment is matched by (kept only while it awaits).</summary>
    internal sealed record Commitment(string? Transaction, IReadOnlyList<string>? Earlier, string? SentSopInstanceUid, int CommitRequests, int Stored)
    {
        public bool In(string transaction) => Transaction == transaction || (Earlier?.Contains(transaction) ?? false);
    }

    /// <summary>The rare parts of an entry: an id not made by <see cref="DurableSpool"/>, commitment details.</summary>
    private sealed class Extra
    {
        public string? RawId;
        public Commitment?[]? Commitments; // parallel to Item.Slots
    }

    /// <summary>One entry. Ids made by the spool ("TICKS19-SEQ6-RAND4") are held as two numbers that sort as the text does.</summary>
    internal sealed class Item
    {
        public long Ticks; // -1: the id is Extra.RawId
        public long Tail; // sequence << 16 | random
        public long Created; // UTC ticks
        public long Size;
        public ulong SopHash;
        public Slot[] Slots = [];
        private Extra? _extra;
        public byte Flags;

        public string? RawId => _extra?.RawId;

        public bool Held
        {
            get => (Flags & HeldFlag) != 0;
            set => Flags = (byte)(value ? Flags | HeldFlag : Flags & ~HeldFlag);
        }

        public bool HasSourceKey
        {
            get => (Flags & SourceKeyFlag) != 0;
            set => Flags = (byte)(value ? Flags | SourceKeyFlag : Flags & ~SourceKeyFlag);
        }

        public string Id => _extra?.RawId ?? string.Create(CultureInfo.InvariantCulture, $"{Ticks:D19}-{Tail >> 16:D6}-{Tail & 0xFFFF:x4}");

        public Commitment? CommitmentAt(int k) => _extra?.Commitments?[k];

        public void SetCommitment(int k, Commitment? c)
        {
            if (c is null && _extra?.Commitments is null)
                return;
            _extra ??= new Extra();
            _extra.Commitments ??= new Commitment?[Slots.Length];
            _extra.Commitments[k] = c;
            if (c is null && _extra.Commitments.All(x => x is null))
            {
                _extra.Commitments = null;
                if (_extra.RawId is null)
                    _extra = null;
            }
        }

        public void SetRawId(string id) => (_extra ??= new Extra()).RawId = id;

        public bool IsFinished => Slots.All(s => s.DeliveryState is DeliveryState.Done or DeliveryState.Dead);
        public bool HasDeadLetters => Slots.Any(s => s.DeliveryState == DeliveryState.Dead);
    }

    /// <summary>One destination's pending and awaiting entries.</summary>
    private sealed class Lane
    {
        public required string Name;
        public required ushort Index;
        /// <summary>Pending, next attempt at or before <see cref="Watermark"/>; by id.</summary>
        public required OrderedChunks<Item> Ready;
        /// <summary>Pending, next attempt after <see cref="Watermark"/>; by next attempt, then id.</summary>
        public required OrderedChunks<Item> Waiting;
        /// <summary>Awaiting commitment; by id.</summary>
        public required OrderedChunks<Item> Awaiting;
        public long Watermark = long.MinValue;
    }

    private sealed class ById : IComparer<Item>
    {
        public static readonly ById Instance = new();
        public int Compare(Item? x, Item? y) => CompareIds(x!, y!);
    }

    private sealed class ByNext(ushort lane) : IComparer<Item>
    {
        public int Compare(Item? x, Item? y)
        {
            var c = NextOf(x!, lane).CompareTo(NextOf(y!, lane));
            return c != 0 ? c : CompareIds(x!, y!);
        }
    }

    private readonly OrderedChunks<Item> _all = new(ById.Instance);
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly List<Lane> _byIndex = [];

    public int Count => _all.Count;
    public long UsedBytes { get; private set; }

    /// <summary>Every entry, by id (FIFO). The index must not change while this is enumerated.</summary>
    public IEnumerable<Item> All => _all.Items();

    public string LaneName(ushort lane) => _byIndex[lane].Name;

    internal static int CompareIds(Item a, Item b)
    {
        if (a.RawId is null && b.RawId is null)
        {
            var c = a.Ticks.CompareTo(b.Ticks);
            return c != 0 ? c : a.Tail.CompareTo(b.Tail);
        }
        return string.CompareOrdinal(a.Id, b.Id);
    }

    private static long NextOf(Item item, ushort lane)
    {
        foreach (var s in item.Slots)
        {
            if (s.Lane == lane)
                return s.Next;
        }
        return long.MinValue;
    }

    /// <summary>An item carrying only <paramref name="id"/> (for look-ups, or to be filled in).</summary>
    internal static Item Probe(string id)
    {
        var item = new Item();
        if (TryPack(id, out var ticks, out var tail))
        {
            item.Ticks = ticks;
            item.Tail = tail;
        }
        else
        {
            item.Ticks = -1;
            item.SetRawId(id);
        }
        return item;
    }

    /// <summary>"TICKS19-SEQ6-RAND4" (digits, digits, lower-case hex) as two numbers, when <paramref name="id"/> is exactly that.</summary>
    internal static bool TryPack(string id, out long ticks, out long tail)
    {
        ticks = tail = 0;
        if (id.Length != 31 || id[19] != '-' || id[26] != '-')
            return false;
        var s = id.AsSpan();
        if (!AllDigits(s[..19]) || !AllDigits(s[20..26]) || !long.TryParse(s[..19], NumberStyles.None, CultureInfo.InvariantCulture, out ticks))
            return false;
        var seq = int.Parse(s[20..26], NumberStyles.None, CultureInfo.InvariantCulture);
        var rand = 0;
        foreach (var c in s[27..])
        {
            if (c is >= '0' and <= '9')
                rand = rand << 4 | (c - '0');
            else if (c is >= 'a' and <= 'f')
                rand = rand << 4 | (c - 'a' + 10);
            else
                return false;
        }
        tail = (long)seq << 16 | (uint)rand;
        return true;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
                return false;
        }
        return true;
    }

    /// <summary>A 64-bit FNV-1a hash of a SOP Instance UID: candidates are found by it, then confirmed from the state file.</summary>
    internal static ulong HashUid(string uid)
    {
        var h = 14695981039346656037UL;
        foreach (var c in uid)
            h = (h ^ c) * 1099511628211UL;
        return h;
    }

    /// <summary><see cref="HashUid(string)"/> of a UID's ASCII bytes (its characters are its bytes).</summary>
    internal static ulong HashUid(ReadOnlySpan<byte> uid)
    {
        var h = 14695981039346656037UL;
        foreach (var b in uid)
            h = (h ^ b) * 1099511628211UL;
        return h;
    }

    public Item? Find(string id)
    {
        var probe = Probe(id);
        return _all.Find(x => CompareIds(x, probe));
    }

    /// <summary>The lane of <paramref name="destination"/>; null when there would be more than 65,536 (nothing sane has).</summary>
    private Lane? LaneOf(string destination, bool create)
    {
        if (_lanes.TryGetValue(destination, out var lane) || !create)
            return lane;
        if (_byIndex.Count > ushort.MaxValue)
            return null;
        var index = (ushort)_byIndex.Count;
        lane = new Lane
        {
            Name = destination, Index = index, Ready = new(ById.Instance), Waiting = new(new ByNext(index)), Awaiting = new(ById.Instance),
            Watermark = _primed,
        };
        _lanes[destination] = lane;
        _byIndex.Add(lane);
        return lane;
    }

    /// <summary>The index item of a full entry (not yet added); null when its destinations cannot be indexed.</summary>
    public Item? ItemOf(SpoolEntry entry, bool held)
    {
        var item = Probe(entry.Id);
        item.Created = entry.Created.UtcTicks;
        item.Size = entry.Size;
        item.SopHash = HashUid(entry.SopInstanceUid);
        item.Flags = (byte)((held ? HeldFlag : 0) | (entry.SourceKey is not null ? SourceKeyFlag : 0));
        item.Slots = new Slot[entry.Deliveries.Count];
        var k = 0;
        foreach (var (destination, d) in entry.Deliveries)
        {
            if (LaneOf(destination, create: true) is not { } lane)
                return null;
            item.Slots[k] = SlotOf(lane.Index, d);
            item.SetCommitment(k, CommitmentOf(d));
            k++;
        }
        return item;
    }

    /// <summary>
    /// Gives an item read by <see cref="CompactStateReader"/> (its slots' lanes are numbers of <paramref name="names"/>)
    /// this index's lanes, creating those not yet known — in the order they are first met, as <see cref="ItemOf"/> does;
    /// <paramref name="map"/> (one per name, -1 when not yet mapped) carries the mapping from item to item. False (the
    /// item unchanged) when its destinations cannot be indexed.
    /// </summary>
    public bool Adopt(Item item, CompactStateReader.Destinations names, int[] map)
    {
        Span<ushort> lanes = stackalloc ushort[item.Slots.Length];
        for (var k = 0; k < item.Slots.Length; k++)
        {
            var key = item.Slots[k].Lane;
            if (map[key] < 0)
            {
                if (LaneOf(names[key], create: true) is not { } lane)
                    return false;
                map[key] = lane.Index;
            }
            lanes[k] = (ushort)map[key];
        }
        for (var k = 0; k < item.Slots.Length; k++)
            item.Slots[k].Lane = lanes[k];
        return true;
    }

    private static Slot SlotOf(ushort lane, Delivery d) =>
        new() { Lane = lane, State = (byte)d.State, Attempts = d.Attempts, Next = d.NextAttempt.UtcTicks };

    private static Commitment? CommitmentOf(Delivery d) =>
        d.State == DeliveryState.AwaitingCommitment ? new Commitment(d.Transaction, d.EarlierTransactions, d.SentSopInstanceUid, d.CommitRequests, d.Stored) : null;

    /// <summary>Adds (or replaces) an entry's item.</summary>
    public void Add(Item item)
    {
        if (_all.Find(x => CompareIds(x, item)) is { } old)
            Remove(old);
        _all.Add(item);
        UsedBytes += item.Size;
        for (var k = 0; k < item.Slots.Length; k++)
            Place(item, item.Slots[k]);
    }

    public bool Remove(Item item)
    {
        if (!_all.Remove(item))
            return false;
        UsedBytes -= item.Size;
        foreach (var s in item.Slots)
            Unplace(item, s);
        return true;
    }

    public void Clear()
    {
        _all.Clear();
        _lanes.Clear();
        _byIndex.Clear();
        UsedBytes = 0;
        _primed = long.MinValue;
    }

    private long _primed = long.MinValue;

    /// <summary>
    /// Before loading at recovery: what is due at <paramref name="now"/> goes straight to the due sets (which are then
    /// filled in id order, from their ends), not through the backing-off ones.
    /// </summary>
    public void Prime(long now)
    {
        _primed = now;
        foreach (var lane in _byIndex)
            lane.Watermark = now;
    }

    /// <summary>The position of <paramref name="destination"/>'s slot in <paramref name="item"/>, or -1.</summary>
    public int SlotIndex(Item item, string destination)
    {
        if (LaneOf(destination, create: false) is not { } lane)
            return -1;
        for (var k = 0; k < item.Slots.Length; k++)
        {
            if (item.Slots[k].Lane == lane.Index)
                return k;
        }
        return -1;
    }

    /// <summary>Sets one destination's delivery of an indexed item (moving it between the destination's sets).</summary>
    public void Set(Item item, int k, Delivery d)
    {
        var old = item.Slots[k];
        Unplace(item, old);
        item.Slots[k] = SlotOf(old.Lane, d);
        item.SetCommitment(k, CommitmentOf(d));
        Place(item, item.Slots[k]);
    }

    private void Place(Item item, Slot s)
    {
        var lane = _byIndex[s.Lane];
        switch (s.DeliveryState)
        {
            case DeliveryState.Pending:
                (s.Next <= lane.Watermark ? lane.Ready : lane.Waiting).Add(item);
                break;
            case DeliveryState.AwaitingCommitment:
                lane.Awaiting.Add(item);
                break;
        }
    }

    /// <summary>Takes the item out of its destination's sets; called with the slot as it was when placed.</summary>
    private void Unplace(Item item, Slot s)
    {
        var lane = _byIndex[s.Lane];
        switch (s.DeliveryState)
        {
            case DeliveryState.Pending:
                if (!lane.Ready.Remove(item))
                    lane.Waiting.Remove(item);
                break;
            case DeliveryState.AwaitingCommitment:
                lane.Awaiting.Remove(item);
                break;
        }
    }

    /// <summary>
    /// The oldest (by id) entry pending for <paramref name="destination"/>, due at <paramref name="now"/>, not held and
    /// whose id <paramref name="skip"/> does not refuse. Entries whose time came since the last call move from the
    /// backing-off set to the due one first (each once); only when <paramref name="now"/> is earlier than an earlier
    /// call's are the due ones looked through to move back those not due yet.
    /// </summary>
    public Item? NextDue(string destination, long now, Func<Item, bool> skip)
    {
        if (LaneOf(destination, create: false) is not { } lane)
            return null;
        if (now < lane.Watermark)
        {
            var notYet = lane.Ready.Items().Where(x => NextOf(x, lane.Index) > now).ToList();
            lane.Watermark = now;
            foreach (var x in notYet)
            {
                lane.Ready.Remove(x);
                lane.Waiting.Add(x);
            }
        }
        else
        {
            lane.Watermark = now;
            while (lane.Waiting.First is { } first && NextOf(first, lane.Index) <= now)
            {
                lane.Waiting.Remove(first);
                lane.Ready.Add(first);
            }
        }
        foreach (var x in lane.Ready.Items())
        {
            if (!x.Held && !skip(x))
                return x;
        }
        return null;
    }

    /// <summary>The earliest next attempt of a pending, not held delivery to <paramref name="destination"/>.</summary>
    public long? NextAttempt(string destination)
    {
        if (LaneOf(destination, create: false) is not { } lane)
            return null;
        long? min = null;
        foreach (var x in lane.Ready.Items())
        {
            if (!x.Held && (min is null || NextOf(x, lane.Index) < min))
                min = NextOf(x, lane.Index);
        }
        foreach (var x in lane.Waiting.Items())
        {
            if (x.Held)
                continue;
            var next = NextOf(x, lane.Index);
            return min is null || next < min ? next : min; // the first not held is the earliest of them
        }
        return min;
    }

    /// <summary>Entries awaiting commitment by <paramref name="destination"/>, by id; the index must not change meanwhile.</summary>
    public IEnumerable<(Item Item, Slot Slot, Commitment Commitment)> Awaiting(string destination)
    {
        if (LaneOf(destination, create: false) is not { } lane)
            yield break;
        foreach (var x in lane.Awaiting.Items())
        {
            for (var k = 0; k < x.Slots.Length; k++)
            {
                if (x.Slots[k].Lane == lane.Index)
                    yield return (x, x.Slots[k], x.CommitmentAt(k)!);
            }
        }
    }

    /// <summary>Counts for one destination (pending, dead, awaiting, and the creation ticks of the oldest pending and awaiting).</summary>
    public (int Pending, long? OldestPending, int Dead, int Awaiting, long? OldestAwaiting) Counts(string destination)
    {
        if (LaneOf(destination, create: false) is not { } lane)
            return (0, null, 0, 0, null);
        int pending = 0, dead = 0, awaiting = 0;
        long? oldestPending = null, oldestAwaiting = null;
        foreach (var x in _all.Items())
        {
            foreach (var s in x.Slots)
            {
                if (s.Lane != lane.Index)
                    continue;
                switch (s.DeliveryState)
                {
                    case DeliveryState.Pending:
                        pending++;
                        oldestPending = oldestPending is null || x.Created < oldestPending ? x.Created : oldestPending;
                        break;
                    case DeliveryState.Dead:
                        dead++;
                        break;
                    case DeliveryState.AwaitingCommitment:
                        awaiting++;
                        oldestAwaiting = oldestAwaiting is null || x.Created < oldestAwaiting ? x.Created : oldestAwaiting;
                        break;
                }
            }
        }
        return (pending, oldestPending, dead, awaiting, oldestAwaiting);
    }
}
