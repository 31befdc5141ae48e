using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Shared;

namespace Gateway.Spool;

/// <summary>
/// A durable on-disk queue of DICOM objects (issue #5), maildir-style:
/// <list type="bullet">
/// <item><c>tmp/</c>: files being written, and state files of delivered entries (<c>ID.removed</c>) until the deletion
/// flush unlinks them; removed by recovery.</item>
/// <item><c>objects/ID.dcm</c>: payloads, immutable once in place.</item>
/// <item><c>state/ID.json</c>: the entry (checksum, routing facts, per-destination delivery state). <b>An entry exists
/// exactly when its state file is in <c>state/</c></b>: that rename is the commit point of an enqueue.</item>
/// <item><c>quarantine/</c>: entries found corrupt, with a reason file; never sent.</item>
/// </list>
/// Every write is: write to <c>tmp/</c>, fsync the file, rename into place, fsync the directory — so after a crash at
/// any point a file is either complete in place or absent, and recovery restores a consistent spool. The fsyncs of
/// concurrent enqueues and state changes are shared (<see cref="GroupCommit"/>, issue #22); deletions of delivered
/// entries are made durable together within <see cref="SpoolOptions.DeletionWindow"/>. Thread-safe: the in-memory
/// index has one lock, held for no I/O; an entry's file changes are serialised by a lock of its own (one of
/// <see cref="Stripes"/>), so the workers of different destinations never wait on each other's fsyncs.
/// <para>
/// The index is compact (<see cref="SpoolIndex"/>, issue #22): it holds each entry's delivery states and what choosing
/// and matching need; the <see cref="SpoolEntry"/> records handed out are read from the state files, with the index's
/// states laid over them (the index is what the spool decided; a state file is never newer than it but for the
/// moment of a change being published).
/// </para>
/// </summary>
public sealed class DurableSpool
{
    private readonly SpoolOptions _options;
    private readonly ISpoolFileSystem _fs;
    private readonly TimeProvider _time;
    private readonly SpoolIndex _index = new();
    private readonly Lock _lock = new();
    // The enqueue's copy buffers: a pool of the spool's own, so that no other code ever holds an array that held payload.
    private static readonly System.Buffers.ArrayPool<byte> CopyBuffers = System.Buffers.ArrayPool<byte>.Create(1 << 20, 8);
    private const int Stripes = 64;
    private readonly Lock[] _entryLocks = [.. Enumerable.Range(0, Stripes).Select(_ => new Lock())];
    private readonly GroupCommit _commit;
    private readonly Lock _deletionGate = new();
    private ITimer? _deletionFlush;
    private long _sequence;

    public DurableSpool(SpoolOptions options, ISpoolFileSystem? fileSystem = null, TimeProvider? time = null)
    {
        _options = options;
        _fs = fileSystem ?? LocalFileSystem.Instance;
        _time = time ?? TimeProvider.System;
        TempDir = Path.Combine(options.Directory, "tmp");
        ObjectsDir = Path.Combine(options.Directory, "objects");
        StateDir = Path.Combine(options.Directory, "state");
        QuarantineDir = Path.Combine(options.Directory, "quarantine");
        foreach (var d in new[] { options.Directory, TempDir, ObjectsDir, StateDir, QuarantineDir, IncomingDir })
            _fs.CreateDirectory(d);
        if (options.RecordOutcomesOf is not null)
            Outcomes = new OutcomeLedger(Path.Combine(options.Directory, "outcomes"), options.OutcomeRetention, _time);
        var ordered = RenamesKeptInOrder(out var volume) && !options.AlwaysFsyncDirectories;
        RenameDurability = ordered
            ? $"{volume}: renames made durable by one fsync of the last file a batch renamed (the journal keeps them in order)"
            : $"{volume}: renames made durable by an fsync of each directory{(options.AlwaysFsyncDirectories ? " (spool.directoryFsync always)" : "")}";
        _commit = new GroupCommit(_fs, options.BatchWindow, ordered);
    }

    /// <summary>
    /// Whether every directory the group commit renames from or into is on a volume that keeps renames in order: not
    /// only the spool's own directory, since tmp/, objects/ and state/ may be symlinks or mounts elsewhere (they need
    /// only be on one file system with each other for the renames to work). Never throws: a failing lookup is "no".
    /// </summary>
    private bool RenamesKeptInOrder(out string volume)
    {
        volume = "";
        try
        {
            foreach (var d in new[] { TempDir, ObjectsDir, StateDir })
            {
                if (!_fs.KeepsRenamesInOrder(d, out var what))
                {
                    volume = d == TempDir ? what : $"{what} ({Path.GetFileName(d)}/)";
                    return false;
                }
                if (volume.Length == 0)
                    volume = what;
                else if (what != volume)
                {
                    volume = $"{Path.GetFileName(d)}/ on {what}, not {volume} as tmp/";
                    return false;
                }
            }
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            volume = $"the volume could not be recognised ({e.GetType().Name}: {e.Message})";
            return false;
        }
    }

    /// <summary>What the spool's volume was found to be and how renames are made durable on it (logged at start, issue #22).</summary>
    public string RenameDurability { get; }

    /// <summary>Group commits run so far (enqueues, state changes and deletions that shared their fsyncs count once).</summary>
    public long Batches => _commit.Batches;

    /// <summary>Units waiting for the group commit under way (tests: a batch is being filled).</summary>
    internal int QueuedCommits => _commit.Queued;

    /// <summary>The lock that serialises the file changes of entry <paramref name="id"/>; taken before <c>_lock</c>, never after.</summary>
    private Lock EntryLock(string id) => _entryLocks[(int)((uint)StringComparer.Ordinal.GetHashCode(id) % Stripes)];

    /// <summary>What became of entries that left the spool (<see cref="SpoolOptions.RecordOutcomesOf"/>), or null when none is kept.</summary>
    public OutcomeLedger? Outcomes { get; }

    /// <summary>
    /// The entries holding each of <paramref name="sopInstanceUids"/> (one scan; an instance received twice has two),
    /// for the Storage Commitment SCP's look-up (issue #18). Candidates are found by a hash of the UID, then read.
    /// </summary>
    public IReadOnlyDictionary<string, List<SpoolEntry>> FindBySopInstance(IReadOnlySet<string> sopInstanceUids)
    {
        var found = new Dictionary<string, List<SpoolEntry>>(StringComparer.Ordinal);
        var hashes = sopInstanceUids.Select(SpoolIndex.HashUid).ToHashSet();
        foreach (var e in ReadAll(FactsWhere(x => hashes.Contains(x.SopHash))))
        {
            if (!sopInstanceUids.Contains(e.SopInstanceUid))
                continue;
            if (!found.TryGetValue(e.SopInstanceUid, out var list))
                found[e.SopInstanceUid] = list = [];
            list.Add(e);
        }
        return found;
    }

    /// <summary>Whether an entry of <paramref name="sopInstanceUid"/> is in the spool (by hash, confirmed from its state file).</summary>
    public bool ContainsSopInstance(string sopInstanceUid)
    {
        var hash = SpoolIndex.HashUid(sopInstanceUid);
        return ReadAll(FactsWhere(x => x.SopHash == hash)).Any(e => e.SopInstanceUid == sopInstanceUid);
    }

    public string TempDir { get; }

    /// <summary>The bytes the spool leaves free on its volume (<see cref="SpoolOptions.MinFreeBytes"/>): what others writing there (a transcode's scratch file) must leave too.</summary>
    public long MinFreeBytes => _options.MinFreeBytes;
    public string ObjectsDir { get; }
    public string StateDir { get; }
    public string QuarantineDir { get; }

    /// <summary>Where producers (the storage SCP, acquisition) write their durable files before <see cref="EnqueueByMove"/>: the spool's file system.</summary>
    public string IncomingDir => Path.Combine(_options.Directory, "incoming");

    /// <summary>Raised after each event (outside the spool's lock). Handlers must not block.</summary>
    public event Action<SpoolEvent>? Changed;

    public long UsedBytes
    {
        get
        {
            lock (_lock)
                return _index.UsedBytes;
        }
    }

    /// <summary>How many entries the spool holds (from the index: no file is read).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _index.Count;
        }
    }

    /// <summary>
    /// Every entry, oldest first, read from its state file: one read per entry (for lists and tests; what only counts
    /// uses <see cref="Count"/>, <see cref="CountsFor"/> and <see cref="Summary"/>, which read nothing).
    /// </summary>
    public IReadOnlyList<SpoolEntry> Entries => ReadAll(FactsWhere(_ => true));

    /// <summary>Entries that carry a producer's source key (<see cref="SpoolObjectInfo.SourceKey"/>), oldest first.</summary>
    public IReadOnlyList<SpoolEntry> EntriesWithSourceKey() => ReadAll(FactsWhere(x => x.HasSourceKey));

    /// <summary>One destination's deliveries by state, from the index.</summary>
    public DestinationCounts CountsFor(string destination)
    {
        lock (_lock)
        {
            var (pending, oldestPending, dead, awaiting, oldestAwaiting) = _index.Counts(destination);
            return new DestinationCounts(pending, At(oldestPending), dead, awaiting, At(oldestAwaiting));
        }
    }

    /// <summary>The whole spool by state, from the index.</summary>
    public SpoolSummary Summary()
    {
        lock (_lock)
        {
            int unfinished = 0, dead = 0;
            long? oldest = null;
            foreach (var x in _index.All)
            {
                if (x.HasDeadLetters)
                    dead++;
                if (x.IsFinished)
                    continue;
                unfinished++;
                oldest = oldest is null || x.Created < oldest ? x.Created : oldest;
            }
            return new SpoolSummary(_index.Count, unfinished, dead, At(oldest), _index.UsedBytes);
        }
    }

    /// <summary>
    /// Unfinished entries whose pending and awaiting deliveries all go to destinations not in <paramref name="known"/>
    /// (they would wait for ever), and up to five of those destinations' names.
    /// </summary>
    public (int Count, IReadOnlyList<string> Destinations) Stranded(IReadOnlySet<string> known)
    {
        lock (_lock)
        {
            var count = 0;
            var names = new List<string>();
            foreach (var x in _index.All)
            {
                if (x.IsFinished || x.Slots.Any(s => s.DeliveryState is DeliveryState.Pending or DeliveryState.AwaitingCommitment && known.Contains(_index.LaneName(s.Lane))))
                    continue;
                count++;
                foreach (var s in x.Slots)
                {
                    var name = _index.LaneName(s.Lane);
                    if (!known.Contains(name) && names.Count < 5 && !names.Contains(name))
                        names.Add(name);
                }
            }
            return (count, names);
        }
    }

    private static DateTimeOffset? At(long? utcTicks) => utcTicks is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>What an entry's record is made of besides its state file: the index's states (taken under the lock).</summary>
    private readonly record struct Facts(SpoolIndex.Item Item, string Id, (string Destination, SpoolIndex.Slot Slot, SpoolIndex.Commitment? Commitment)[] Deliveries);

    /// <summary>The caller holds <c>_lock</c>.</summary>
    private Facts FactsOf(SpoolIndex.Item item)
    {
        var deliveries = new (string, SpoolIndex.Slot, SpoolIndex.Commitment?)[item.Slots.Length];
        for (var k = 0; k < item.Slots.Length; k++)
            deliveries[k] = (_index.LaneName(item.Slots[k].Lane), item.Slots[k], item.CommitmentAt(k));
        return new Facts(item, item.Id, deliveries);
    }

    private List<Facts> FactsWhere(Func<SpoolIndex.Item, bool> predicate)
    {
        lock (_lock)
            return [.. _index.All.Where(predicate).Select(FactsOf)];
    }

    private List<SpoolEntry> ReadAll(IEnumerable<Facts> facts)
    {
        var entries = new List<SpoolEntry>();
        foreach (var f in facts)
        {
            if (Read(f) is { } e)
                entries.Add(e);
        }
        return entries;
    }

    /// <summary>
    /// An entry's record: its state file, read without any lock (a rename puts a whole new one in place), with the
    /// index's delivery states and commitment details laid over it. Null when the entry is gone: its state file was
    /// deleted (delivered or quarantined meanwhile; the index forgets it too — an entry is its state file), or it no
    /// longer makes sense (<see cref="SpoolEntryValidator"/>: changed on disk behind our back), in which case it is
    /// quarantined with the reason at once, as recovery would. A read error (EIO) is thrown.
    /// </summary>
    private SpoolEntry? Read(Facts f)
    {
        string? problem;
        SpoolEntry? entry;
        try
        {
            problem = Load(_fs, StatePath(f.Id), f.Id, _time.GetUtcNow(), out entry, out _, readErrors: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            lock (_lock)
            {
                if (_index.Find(f.Id) == f.Item)
                    _index.Remove(f.Item);
            }
            return null;
        }
        if (entry is null)
        {
            lock (EntryLock(f.Id))
            {
                Quarantine(f.Id, "state file changed on disk and no longer makes sense: " + problem);
                lock (_lock)
                {
                    if (_index.Find(f.Id) == f.Item)
                        _index.Remove(f.Item);
                }
            }
            return null;
        }
        var deliveries = new Dictionary<string, Delivery>(f.Deliveries.Length, StringComparer.Ordinal);
        foreach (var (destination, slot, c) in f.Deliveries)
        {
            var d = entry.Deliveries.GetValueOrDefault(destination) ?? new Delivery(slot.DeliveryState, slot.Attempts, default, null);
            d = d with
            {
                State = slot.DeliveryState, Attempts = slot.Attempts,
                NextAttempt = d.NextAttempt.UtcTicks == slot.Next ? d.NextAttempt : new DateTimeOffset(slot.Next, TimeSpan.Zero),
            };
            if (c is not null)
            {
                d = d with
                {
                    Transaction = c.Transaction, EarlierTransactions = c.Earlier, SentSopInstanceUid = c.SentSopInstanceUid,
                    CommitRequests = c.CommitRequests, Stored = c.Stored,
                };
            }
            deliveries[destination] = d;
        }
        return entry with { Deliveries = deliveries };
    }

    public string PayloadPath(string id) => Path.Combine(ObjectsDir, id + ".dcm");
    private string StatePath(string id) => Path.Combine(StateDir, id + ".json");

    /// <summary>
    /// Brings the spool back after a crash or a restart: removes half-written temporary files and payloads whose
    /// enqueue never committed, moves entries whose payload is missing or of the wrong size to quarantine, and loads
    /// the rest. In-flight work is not persisted, so it is simply pending again. The state files are read and checked
    /// on every core (a state file is read once: one open, one read into the thread's buffer; its payload's size is one
    /// stat), straight into index items when they are as the spool writes them (<see cref="CompactStateReader"/>; any
    /// other the full way, <see cref="SpoolEntryValidator"/>), then the index is built in id order.
    /// </summary>
    public RecoveryReport Recover()
    {
        var temp = 0;
        foreach (var f in _fs.List(TempDir, "*"))
        {
            _fs.Delete(f);
            // A delivered entry's state file waiting for its unlink is not a half-written file (not counted as one).
            if (!f.EndsWith(".removed", StringComparison.Ordinal))
                temp++;
        }
        var quarantined = new List<string>();
        var corrected = new List<string>();
        // Entries that have a state file but were not loaded (quarantine failed): their payload is no orphan.
        var kept = new HashSet<string>(StringComparer.Ordinal);
        var now = _time.GetUtcNow();
        var statePaths = _fs.List(StateDir, "*.json").ToArray();
        var read = new Recovered[statePaths.Length];
        var names = new CompactStateReader.Destinations();
        try
        {
            Parallel.For(0, statePaths.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => new CompactStateReader.Scratch(names),
                (i, _, scratch) =>
                {
                    read[i] = RecoverOne(statePaths[i], now, scratch);
                    return scratch;
                },
                _ => { });
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]); // as if read one by one
        }
        // In id order: the index's sets are filled from their ends (and the reports list entries as the spool does).
        Array.Sort(read, (a, b) => string.CompareOrdinal(a.Id, b.Id));
        var loaded = new List<Recovered>(read.Length);
        foreach (var r in read)
        {
            if (r.Id is null)
                continue;
            if (r.Item is not null)
            {
                loaded.Add(r);
                continue;
            }
            if (r.Problem is not null || r.Entry is null)
            {
                if (TryQuarantine(r.Id, r.Entry, r.Problem ?? "state file is empty", quarantined))
                    kept.Add(r.Id);
                continue;
            }
            var e = r.Entry;
            if (r.Notes is not null)
            {
                // Made durable at once, so that the correction is what every later reader sees (or, on a full disk,
                // kept in memory: the same correction is made again at the next start).
                var said = r.Notes;
                try
                {
                    WriteState(e);
                }
                catch (IOException x)
                {
                    said += $" (not yet written back: {x.Message})";
                }
                corrected.Add($"{r.Id}: {said}");
            }
            loaded.Add(r);
        }
        var items = new List<SpoolIndex.Item>(loaded.Count);
        var loadedIds = new HashSet<string>(loaded.Count, StringComparer.Ordinal);
        var unindexable = new List<(string Id, SpoolEntry? Entry)>();
        var lanes = new int[names.Count];
        Array.Fill(lanes, -1);
        lock (_lock)
        {
            _index.Clear();
            _index.Prime(now.UtcTicks);
            foreach (var r in loaded)
            {
                var item = r.Item is { } fast ? (_index.Adopt(fast, names, lanes) ? fast : null) : _index.ItemOf(r.Entry!, held: false);
                if (item is not null)
                {
                    items.Add(item);
                    loadedIds.Add(r.Id);
                }
                else
                    unindexable.Add((r.Id, r.Entry));
            }
        }
        foreach (var (id, entry) in unindexable)
        {
            // An entry read straight into an item has no record yet: the outcome ledger wants it (a pathological spool).
            var e = entry ?? ReadForQuarantine(id, now);
            if (TryQuarantine(id, e, $"routed to a destination beyond the {ushort.MaxValue + 1} distinct ones the spool can tell apart", quarantined))
                kept.Add(id);
        }
        var orphans = 0;
        foreach (var payload in _fs.List(ObjectsDir, "*.dcm"))
        {
            var payloadId = Path.GetFileNameWithoutExtension(payload);
            if (!loadedIds.Contains(payloadId) && !kept.Contains(payloadId))
            {
                _fs.Delete(payload); // its enqueue never committed: nobody was told it was stored
                orphans++;
            }
        }
        _fs.FlushDirectory(ObjectsDir);
        lock (_lock)
        {
            foreach (var item in items)
                _index.Add(item);
        }
        var outcomeProblems = Outcomes?.Load() ?? [];
        return new RecoveryReport(items.Count, temp, orphans, quarantined) { Corrected = corrected, OutcomeProblems = outcomeProblems };
    }

    /// <summary>
    /// One state file at recovery: the index item read straight from it (<see cref="Recovered.Item"/>), or the entry
    /// read the full way with its problem or corrections; default when the file is gone.
    /// </summary>
    private readonly record struct Recovered(string Id, SpoolIndex.Item? Item, SpoolEntry? Entry, string? Problem, string? Notes);

    private Recovered RecoverOne(string statePath, DateTimeOffset now, CompactStateReader.Scratch scratch)
    {
        var id = Path.GetFileNameWithoutExtension(statePath);
        string? problem;
        int length;
        try
        {
            problem = ReadState(_fs, statePath, scratch.Buffer, readErrors: false, out length);
        }
        catch (FileNotFoundException)
        {
            return default; // gone meanwhile (nobody else holds the spool: never by us)
        }
        if (problem is not null)
            return new Recovered(id, null, null, problem, null);
        var bytes = scratch.Buffer.AsSpan(0, length);
        if (CompactStateReader.TryRead(bytes, id, now, scratch, out var item))
        {
            problem = PayloadProblem(id, item.Size);
            if (problem is null)
                return new Recovered(id, item, null, null, null);
            // To quarantine: the outcome ledger is given the whole entry (the full way accepts what the fast one does).
            var said = Check(bytes, id, now, out var whole, out var notes);
            return new Recovered(id, null, whole, said ?? problem, notes);
        }
        problem = Check(bytes, id, now, out var entry, out var corrections);
        if (entry is not null)
            problem = PayloadProblem(id, entry.Size);
        return new Recovered(id, null, entry, problem, corrections);
    }

    /// <summary>Why entry <paramref name="id"/>'s payload does not match its size, or null when it does.</summary>
    private string? PayloadProblem(string id, long size)
    {
        try
        {
            return _fs.Length(PayloadPath(id)) is var length && length != size ? $"payload is {length} bytes, the entry says {size}" : null;
        }
        catch (FileNotFoundException)
        {
            return "payload is missing";
        }
    }

    /// <summary>The record of an entry about to be quarantined at recovery (read again), or null when it cannot be had.</summary>
    private SpoolEntry? ReadForQuarantine(string id, DateTimeOffset now)
    {
        try
        {
            return Load(_fs, StatePath(id), id, now, out var entry, out _) is null ? entry : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Quarantines an entry found unusable at recovery; true when it could not be moved (it stays, not loaded).</summary>
    private bool TryQuarantine(string id, SpoolEntry? entry, string problem, List<string> quarantined)
    {
        try
        {
            if (entry is not null)
                TryRecord(entry, ObjectOutcome.Lost, problem);
            Quarantine(id, problem);
            quarantined.Add($"{id}: {problem}");
            return false;
        }
        catch (IOException e)
        {
            // Not loaded, not deleted: the next start tries again (a full disk must not stop the rest from flowing).
            quarantined.Add($"{id}: {problem} (could not be moved to quarantine, left in place: {e.Message})");
            return true;
        }
    }

    /// <summary>A state file holds one entry: a few hundred bytes per destination. Anything far larger is not ours.</summary>
    public const int MaxStateBytes = 64 * 1024;

    /// <summary>A delivery's last error is kept to this many characters (the rest is cut, marked " …").</summary>
    public const int MaxErrorChars = 1000;

    /// <summary>Reads and checks one state file (<see cref="SpoolEntryValidator"/>); the problem, or null with the entry to use.</summary>
    /// <param name="readErrors">Whether an error reading the file is thrown (at run time: the caller backs off) rather
    /// than returned as the problem (at recovery: the entry is quarantined).</param>
    private static string? Load(ISpoolFileSystem fs, string statePath, string id, DateTimeOffset now, out SpoolEntry? entry, out string? notes, bool readErrors = false)
    {
        entry = null;
        notes = null;
        byte[] bytes;
        try
        {
            if (fs.ReadSmall(statePath, MaxStateBytes) is not { } small)
                return Oversized(fs, statePath);
            bytes = small;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw; // gone meanwhile: the caller decides
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !readErrors)
        {
            return Unreadable(e);
        }
        return Check(bytes, id, now, out entry, out notes);
    }

    /// <summary>
    /// As <see cref="Load"/>, the reading only: the file into <paramref name="buffer"/> (at least
    /// <see cref="MaxStateBytes"/> long), its <paramref name="length"/>; the problem, or null.
    /// </summary>
    private static string? ReadState(ISpoolFileSystem fs, string statePath, byte[] buffer, bool readErrors, out int length)
    {
        length = 0;
        try
        {
            length = fs.ReadSmall(statePath, buffer.AsSpan(0, MaxStateBytes));
            return length < 0 ? Oversized(fs, statePath) : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw; // gone meanwhile: the caller decides
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !readErrors)
        {
            return Unreadable(e);
        }
    }

    private static string Oversized(ISpoolFileSystem fs, string statePath) =>
        $"state file is {fs.Length(statePath)} bytes; a state file is never more than {MaxStateBytes}";

    private static string Unreadable(Exception e) => "state file cannot be read: " + LogText.Bounded(e.Message);

    /// <summary>The checks of a state file's bytes, the full way: deserialised, then <see cref="SpoolEntryValidator"/>.</summary>
    internal static string? Check(ReadOnlySpan<byte> bytes, string id, DateTimeOffset now, out SpoolEntry? entry, out string? notes)
    {
        entry = null;
        notes = null;
        SpoolEntry? read;
        try
        {
            read = JsonSerializer.Deserialize(bytes, SpoolJson.Default.SpoolEntry);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return "state file is not valid: " + LogText.Bounded(e.Message);
        }
        var problem = SpoolEntryValidator.Check(id, read, now, out entry, out notes);
        if (problem is not null)
            entry = null;
        return problem;
    }

    /// <summary>
    /// What a spool directory holds, read without changing anything (issue #13 item 6: `gateway spool list` runs beside
    /// the live service, which may be renaming files at that moment): no recovery, no deletion, no quarantine. State
    /// files that vanish while being read (delivered meanwhile) are skipped; unusable ones are reported, not moved.
    /// </summary>
    public static (IReadOnlyList<SpoolEntry> Entries, IReadOnlyList<string> Problems) ReadEntries(string directory, ISpoolFileSystem? fileSystem = null, TimeProvider? time = null)
    {
        var fs = fileSystem ?? LocalFileSystem.Instance;
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var entries = new List<SpoolEntry>();
        var problems = new List<string>();
        var stateDir = Path.Combine(directory, "state");
        if (!Directory.Exists(stateDir))
            return (entries, problems);
        foreach (var statePath in fs.List(stateDir, "*.json").Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileNameWithoutExtension(statePath);
            string? problem;
            SpoolEntry? entry;
            try
            {
                problem = Load(fs, statePath, id, now, out entry, out _);
            }
            catch (FileNotFoundException)
            {
                continue; // delivered (or quarantined) between the listing and the read
            }
            if (entry is not null)
                entries.Add(entry);
            else
                problems.Add($"{id}: {problem} (left as it is; the service quarantines it at its next start)");
        }
        return (entries, problems);
    }

    /// <summary>
    /// Stores an object durably and returns its entry; returns only once the payload and the entry are on disk.
    /// Refused with <see cref="SpoolFullException"/> when the quota or the free-space floor would be crossed.
    /// </summary>
    public SpoolEntry Enqueue(Stream payload, long length, SpoolObjectInfo info, IReadOnlyList<string> destinations)
    {
        if (destinations.Count == 0)
            throw new ArgumentException("an object must be routed to at least one destination", nameof(destinations));
        CheckRoom(length);
        var now = _time.GetUtcNow();
        var id = NewId(now);
        var tmpPayload = Path.Combine(TempDir, id + ".dcm");
        string sha;
        long size;
        // 1. payload → tmp (made durable by the commit, together with the state and with other callers' files)
        var preparing = _commit.Preparing();
        try
        {
            using var target = _fs.Create(tmpPayload);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = CopyBuffers.Rent(1 << 20);
            try
            {
                size = 0;
                long started = 0;
                int n;
                while ((n = payload.Read(buffer)) > 0)
                {
                    // Written first and, every MiB, its write-back started, then hashed: the device writes while the CPU
                    // hashes (issue #22; the commit's fsync then finds most of it on the disk, and stays the guarantee).
                    target.Write(buffer, 0, n);
                    size += n;
                    if (size - started >= 1 << 20)
                    {
                        _fs.StartWriteBack(target);
                        started = size;
                    }
                    hash.AppendData(buffer, 0, n);
                }
                if (size > started)
                    _fs.StartWriteBack(target);
            }
            finally
            {
                // Cleared: the bytes are a patient's image, and the pool is the spool's own.
                CopyBuffers.Return(buffer, clearArray: true);
            }
            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        catch
        {
            preparing.Dispose();
            TryDelete(tmpPayload);
            throw;
        }
        return Commit(id, now, size, sha, info, destinations, tmpPayload, preparation: preparing);
    }

    /// <summary>Stores a copy of a file.</summary>
    public SpoolEntry Enqueue(string file, SpoolObjectInfo info, IReadOnlyList<string> destinations)
    {
        using var s = File.OpenRead(file);
        return Enqueue(s, s.Length, info, destinations);
    }

    /// <summary>
    /// Takes a file its producer wrote (the storage SCP, acquisition) into the spool by renaming it, instead of copying
    /// it. It must be on the spool's file system; it need not be durable yet: the commit fsyncs it before it is renamed
    /// (with the state, in one group commit), so a producer that leaves that to the spool saves its own fsync, rename
    /// and directory fsync (issue #22). The entry is committed exactly as in
    /// <see cref="Enqueue(Stream, long, SpoolObjectInfo, IReadOnlyList{string})"/>: a crash before the state rename
    /// leaves an orphan payload that recovery removes (the producer was not yet told "stored").
    /// </summary>
    public SpoolEntry EnqueueByMove(string durableFile, SpoolObjectInfo info, IReadOnlyList<string> destinations) =>
        EnqueueByMove(durableFile, info, destinations, held: false);

    /// <summary>
    /// As <see cref="EnqueueByMove(string, SpoolObjectInfo, IReadOnlyList{string})"/>; with <paramref name="held"/> the
    /// committed entry is not handed to any destination (<see cref="NextDue"/> skips it, so it cannot be delivered and
    /// deleted) until <see cref="Release"/>. The hold lives in memory only: after a restart the entry is due as usual.
    /// Issue #17: the exam record notes the instance after its commit and before it may leave the spool, so a crash in
    /// between finds the entry still here (docs/conformance.md "MPPS SCU", the crash-window argument).
    /// </summary>
    /// <param name="sha256">The file's SHA-256 (lower-case hex) when the producer computed it as it wrote the bytes
    /// (the storage SCP does): the file is then not read again. Null: the spool reads and hashes it.</param>
    public SpoolEntry EnqueueByMove(string durableFile, SpoolObjectInfo info, IReadOnlyList<string> destinations, bool held, string? sha256 = null)
    {
        if (destinations.Count == 0)
            throw new ArgumentException("an object must be routed to at least one destination", nameof(destinations));
        var size = _fs.Length(durableFile);
        CheckRoom(size);
        string sha;
        GroupCommit.Preparation? preparing = null;
        if (sha256 is { Length: 64 } && sha256.All(char.IsAsciiHexDigitLower))
            sha = sha256;
        else
        {
            preparing = _commit.Preparing();
            try
            {
                using var source = _fs.OpenRead(durableFile);
                sha = Convert.ToHexStringLower(SHA256.HashData(source));
            }
            catch
            {
                preparing.Dispose();
                throw;
            }
        }
        var now = _time.GetUtcNow();
        return Commit(NewId(now), now, size, sha, info, destinations, durableFile, held, preparing);
    }

    /// <summary>Lets a held entry go to its destinations (raises <see cref="SpoolEvent.Stored"/>, which wakes the forwarder).</summary>
    public void Release(string id)
    {
        var was = false;
        lock (_lock)
        {
            if (_index.Find(id) is { Held: true } item)
            {
                item.Held = false;
                was = true;
            }
        }
        if (was)
            Raise(new SpoolEvent(SpoolEvent.Stored, id));
    }

    /// <summary>Whether an entry is held (<see cref="EnqueueByMove(string, SpoolObjectInfo, IReadOnlyList{string}, bool)"/>).</summary>
    public bool IsHeld(string id)
    {
        lock (_lock)
            return _index.Find(id)?.Held ?? false;
    }

    /// <summary>
    /// The end of every enqueue, given a written payload file: state → tmp; then, in one group commit with whatever
    /// else is being committed, both files fsync'd, the payload renamed into place, then the state (the commit point),
    /// and both directories fsync'd; then the entry becomes visible and the caller may acknowledge the object.
    /// </summary>
    private SpoolEntry Commit(string id, DateTimeOffset now, long size, string sha, SpoolObjectInfo info, IReadOnlyList<string> destinations, string payload, bool held = false,
        GroupCommit.Preparation? preparation = null)
    {
        var entry = new SpoolEntry(id, now, size, sha, info.SopClassUid, info.SopInstanceUid, info.Modality, info.Source,
            destinations.Distinct(StringComparer.Ordinal).ToDictionary(d => d, _ => new Delivery(DeliveryState.Pending, 0, now, null), StringComparer.Ordinal), info.SourceKey);
        SpoolIndex.Item? item;
        lock (_lock)
            item = _index.ItemOf(entry, held);
        if (item is null)
        {
            preparation?.Dispose();
            TryDelete(payload);
            throw new ArgumentException($"the spool tells at most {ushort.MaxValue + 1} destinations apart", nameof(destinations));
        }
        var tmpState = Path.Combine(TempDir, id + ".json");
        try
        {
            WriteJson(tmpState, entry);
            _commit.Commit(new GroupCommit.Unit([payload, tmpState],
                [(payload, PayloadPath(id)), (tmpState, StatePath(id))], [ObjectsDir, StateDir]), preparation);
        }
        catch
        {
            preparation?.Dispose();
            // Not committed as far as the producer knows (it hears a failure and sends again): undo what is on disk,
            // state first, so that nothing is delivered later under a second identity. Whatever remains, recovery removes.
            TryDelete(StatePath(id));
            TryDelete(tmpState);
            TryDelete(PayloadPath(id));
            throw;
        }
        lock (_lock)
            _index.Add(item);
        if (!held)
            Raise(new SpoolEvent(SpoolEvent.Stored, id, Detail: string.Join(',', entry.Deliveries.Keys)));
        return entry;
    }

    private void CheckRoom(long length)
    {
        var used = UsedBytes;
        string? why = null;
        if (_options.QuotaBytes > 0 && used + length > _options.QuotaBytes)
            why = $"spool quota reached: {used} + {length} bytes would exceed the quota of {_options.QuotaBytes} bytes";
        else if (!Fits(length))
            why = $"disk nearly full: storing {length} bytes would leave less than {_options.MinFreeBytes} bytes free on the spool's volume";
        if (why is null)
            return;
        Raise(new SpoolEvent(SpoolEvent.QuotaReached, "", Detail: why));
        throw new SpoolFullException(why + "; new acquisitions are refused until objects are delivered (everything already spooled keeps flowing)");
    }

    // The free-space floor. Delivered payloads still waiting for the deletion flush hold their space: when they are what
    // stands in the way, the flush runs now (a failure of it is said as the timer's is) and the disk is asked again.
    private bool Fits(long length)
    {
        if (_fs.AvailableBytes(_options.Directory) - length >= _options.MinFreeBytes)
            return true;
        if (BytesToUnlink == 0)
            return false;
        try
        {
            FlushDeletions();
        }
        catch (Exception e)
        {
            Raise(new SpoolEvent(SpoolEvent.DeletionsNotDurable, "", Detail: $"{e.GetType().Name}: {e.Message}; tried again within {_options.DeletionWindow.TotalSeconds:0.#} s"));
            ScheduleDeletionFlush();
        }
        return _fs.AvailableBytes(_options.Directory) - length >= _options.MinFreeBytes;
    }

    private string NewId(DateTimeOffset now)
    {
        // Lexical order is enqueue order (FIFO): UTC ticks, a per-process sequence, and randomness against collisions.
        var seq = Interlocked.Increment(ref _sequence) % 1_000_000;
        return string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks:D19}-{seq:D6}-{Random.Shared.Next(0x10000):x4}");
    }

    /// <summary>
    /// Writes <paramref name="entry"/> to a temporary file (made durable by the group commit that renames it); when that
    /// fails (disk full, I/O error) the temporary file is removed before the exception goes on.
    /// </summary>
    private void WriteJson(string tmpPath, SpoolEntry entry)
    {
        try
        {
            using var s = _fs.Create(tmpPath);
            JsonSerializer.Serialize(s, entry, SpoolJson.Default.SpoolEntry);
            s.Flush();
        }
        catch
        {
            TryDelete(tmpPath);
            throw;
        }
    }

    /// <summary>
    /// Replaces an entry's state durably: write, then in a group commit fsync, rename, fsync directory. Throws
    /// <see cref="IOException"/>; the old state then stays (or, when only the directory fsync failed, the new one is
    /// in place but perhaps not durable: either is a state the entry had). The caller holds the entry's lock.
    /// </summary>
    private void WriteState(SpoolEntry entry)
    {
        var tmp = Path.Combine(TempDir, entry.Id + "." + Guid.NewGuid().ToString("N")[..8] + ".json");
        WriteJson(tmp, entry);
        try
        {
            _commit.Commit(new GroupCommit.Unit([tmp], [(tmp, StatePath(entry.Id))], [StateDir]));
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            _fs.Delete(path);
        }
        catch (IOException)
        {
            // Recovery removes whatever is left in tmp/ at the next start.
        }
    }

    /// <summary>
    /// The oldest (by id: FIFO) entry pending for <paramref name="destination"/>, due at <paramref name="now"/>, not in
    /// <paramref name="busy"/> and not held. From the destination's set of due entries in the index (no scan of the
    /// spool), then read from its state file.
    /// </summary>
    public SpoolEntry? NextDue(string destination, DateTimeOffset now, IReadOnlySet<string> busy)
    {
        HashSet<string>? unreadable = null;
        while (true)
        {
            Facts f;
            lock (_lock)
            {
                if (_index.NextDue(destination, now.UtcTicks, x => (busy.Count > 0 && busy.Contains(x.Id)) || (unreadable?.Contains(x.Id) ?? false)) is not { } item)
                    return null;
                f = FactsOf(item);
            }
            // Gone meanwhile (delivered by no one else: a quarantine, a purge) or found corrupt: it has left the index,
            // so the next one is looked at. One whose file cannot be read (EIO, a full disk refusing its quarantine) is
            // passed over — it stays, and is tried again by the next call — so that it does not hold up the queue.
            try
            {
                if (Read(f) is { } entry)
                {
                    ForgetUnreadable(f.Id);
                    return entry;
                }
            }
            catch (IOException e)
            {
                (unreadable ??= new(StringComparer.Ordinal)).Add(f.Id);
                bool first;
                lock (_reportedUnreadable)
                {
                    first = _reportedUnreadable.Add(f.Id);
                    if (first && _reportedUnreadable.Count > MaxReportedUnreadable)
                        PruneReportedUnreadable();
                }
                if (first)
                    Raise(new SpoolEvent(SpoolEvent.Unreadable, f.Id, destination, $"{e.GetType().Name}: {e.Message}"));
            }
        }
    }

    // Entries whose unreadable state file was already said (SpoolEvent.Unreadable once each): an entry leaves it when
    // it is read again, and entries no longer in the spool are pruned once it holds more than MaxReportedUnreadable.
    private readonly HashSet<string> _reportedUnreadable = new(StringComparer.Ordinal);
    private const int MaxReportedUnreadable = 1024;

    private void ForgetUnreadable(string id)
    {
        lock (_reportedUnreadable)
        {
            if (_reportedUnreadable.Count > 0)
                _reportedUnreadable.Remove(id);
        }
    }

    /// <summary>Under the set's lock: drops the ids that left the index (delivered, quarantined, purged).</summary>
    private void PruneReportedUnreadable()
    {
        lock (_lock)
            _reportedUnreadable.RemoveWhere(id => _index.Find(id) is null);
    }

    /// <summary>When the next pending delivery to <paramref name="destination"/> falls due, if any is pending.</summary>
    public DateTimeOffset? NextAttemptTime(string destination)
    {
        lock (_lock)
            return At(_index.NextAttempt(destination));
    }

    public SpoolEntry? Find(string id)
    {
        Facts f;
        lock (_lock)
        {
            if (_index.Find(id) is not { } item)
                return null;
            f = FactsOf(item);
        }
        return Read(f);
    }

    /// <summary>Checks the payload against its checksum; a mismatch quarantines the entry (it is never sent) and returns false.</summary>
    public bool Verify(SpoolEntry entry)
    {
        string actual;
        try
        {
            using var s = _fs.OpenRead(PayloadPath(entry.Id));
            actual = Convert.ToHexStringLower(SHA256.HashData(s));
        }
        catch (FileNotFoundException)
        {
            QuarantineEntry(entry, "payload is missing");
            return false;
        }
        // Any other I/O error (EIO, a stalled card) may pass: it goes to the caller, which backs off and tries again.
        if (actual == entry.Sha256)
            return true;
        QuarantineEntry(entry, $"checksum mismatch: stored {entry.Sha256}, found {actual}");
        return false;
    }

    /// <summary>
    /// Records that <paramref name="destination"/> confirmed the object. When that was the last delivery and delivered
    /// objects are not kept, the entry is deleted straight away: the deletion is the durable record, and writing a
    /// "done" state first would cost two more fsyncs for nothing.
    /// </summary>
    /// <param name="when">When given, done only if the delivery satisfies it under the lock (false otherwise).</param>
    public bool MarkDone(string id, string destination, Func<Delivery, bool>? when = null)
    {
        var finished = false;
        lock (EntryLock(id))
        {
            Facts f = default;
            var finishing = false;
            lock (_lock)
            {
                var item = _index.Find(id);
                var k = item is null ? -1 : _index.SlotIndex(item, destination);
                if (k >= 0)
                {
                    f = FactsOf(item!);
                    finishing = _options.KeepDelivered <= TimeSpan.Zero
                        && item!.Slots.Select((x, i) => i == k || x.DeliveryState == DeliveryState.Done).All(done => done);
                }
                else if (when is not null)
                    return false;
            }
            // The condition is looked at on the whole delivery (read under the entry's lock: nothing changes it meanwhile).
            SpoolEntry? entry = null;
            if (when is not null && ((entry = Read(f)) is null || !when(entry.Deliveries[destination])))
                return false;
            if (finishing)
            {
                // The record of the outcome (when one is kept) needs the whole entry: read only then.
                if (Outcomes is not null && (entry ??= Read(f)) is null)
                    return false; // gone or quarantined meanwhile
                var d = entry?.Deliveries[destination];
                Remove(f, d is null ? null : entry!.With(destination, d with { State = DeliveryState.Done, Attempts = d.Attempts + 1, LastError = null }), ObjectOutcome.Delivered);
                finished = true;
            }
        }
        if (finished)
        {
            Raise(new SpoolEvent(SpoolEvent.Sent, id, destination));
            return true;
        }
        return Update(id, destination, d => d with { State = DeliveryState.Done, Attempts = d.Attempts + 1, LastError = null },
            new SpoolEvent(SpoolEvent.Sent, id, destination), when);
    }

    /// <summary>
    /// Storage Commitment (issue #18): the destination stored the object but has not yet taken responsibility for it.
    /// The entry and its payload stay; commitment is to be asked for at once.
    /// </summary>
    /// <param name="sentSopInstanceUid">The SOP Instance UID the destination stored, when not the entry's (a lossy
    /// transcode made a new instance): the one commitment is asked for and reported about.</param>
    public void MarkAwaitingCommitment(string id, string destination, string? sentSopInstanceUid = null) =>
        Update(id, destination, d => d with
        {
            State = DeliveryState.AwaitingCommitment, Attempts = d.Attempts + 1, NextAttempt = _time.GetUtcNow(), LastError = null,
            Transaction = null, EarlierTransactions = null, CommitRequests = 0, Stored = d.Stored + 1,
            SentSopInstanceUid = sentSopInstanceUid,
        }, new SpoolEvent(SpoolEvent.AwaitingCommitment, id, destination));

    /// <summary>
    /// Records, before the request is sent, that commitment of the entry is asked for in <paramref name="transaction"/>,
    /// to be asked again after <paramref name="deadline"/>; the transaction it replaces stays matchable (a late report).
    /// </summary>
    /// <param name="count">False for the request made again after a start: it does not count towards maxRequests.</param>
    /// <returns>False when the entry no longer awaits commitment (committed or sent again meanwhile).</returns>
    public bool MarkCommitRequested(string id, string destination, string transaction, DateTimeOffset deadline, bool count = true) =>
        Update(id, destination, d => d with
        {
            Transaction = transaction,
            EarlierTransactions = d.Transaction is null ? d.EarlierTransactions
                : [d.Transaction, .. (d.EarlierTransactions ?? []).Take(SpoolEntryValidator.MaxEarlierTransactions - 1)],
            NextAttempt = deadline,
            CommitRequests = d.CommitRequests + (count ? 1 : 0),
        }, null, d => d.State == DeliveryState.AwaitingCommitment);

    /// <summary>The request of <paramref name="transaction"/> never reached the archive: asked again from <paramref name="next"/>, not counted.</summary>
    /// <param name="uncount">True when the request never reached the archive (it does not count towards maxRequests).</param>
    public bool RescheduleCommitRequest(string id, string destination, string transaction, DateTimeOffset next, bool uncount) =>
        Update(id, destination, d => d with { NextAttempt = next, CommitRequests = uncount ? Math.Max(0, d.CommitRequests - 1) : d.CommitRequests }, null,
            d => d.State == DeliveryState.AwaitingCommitment && d.Transaction == transaction);

    /// <summary>The archive's report of <paramref name="transaction"/> commits the object: done (atomically checked: false when it no longer awaits that transaction).</summary>
    public bool TryCommit(string id, string destination, string transaction) => MarkDone(id, destination, d => d.InTransaction(transaction));

    /// <summary>The deliveries to <paramref name="destination"/> that <paramref name="transaction"/> asked about, by SOP Instance UID (one look through the awaiting ones per report).</summary>
    public IReadOnlyDictionary<string, SpoolEntry> AwaitingIn(string destination, string transaction)
    {
        List<Facts> facts;
        lock (_lock)
            facts = [.. _index.Awaiting(destination).Where(a => a.Commitment.In(transaction)).Select(a => FactsOf(a.Item))];
        var found = new Dictionary<string, SpoolEntry>(StringComparer.Ordinal);
        foreach (var e in ReadAll(facts))
        {
            if (e.Deliveries.TryGetValue(destination, out var d) && d.InTransaction(transaction))
                found.TryAdd(d.SentSopInstanceUid ?? e.SopInstanceUid, e);
        }
        return found;
    }

    /// <summary>
    /// A destination that no longer asks for commitment: what awaits it counts as delivered (its C-STORE succeeded, which
    /// is now the policy). Returns how many.
    /// </summary>
    public int ForgetCommitments(string destination)
    {
        List<string> ids;
        lock (_lock)
            ids = [.. _index.Awaiting(destination).Select(a => a.Item.Id)];
        var count = 0;
        foreach (var id in ids)
        {
            if (MarkDone(id, destination, d => d.State == DeliveryState.AwaitingCommitment))
                count++;
        }
        return count;
    }

    /// <summary>
    /// The archive did not commit the object (its report listed it as failed, or it never answered): it is sent again
    /// from <paramref name="nextAttempt"/>, and commitment is asked for anew after that.
    /// </summary>
    /// <param name="transaction">When given, only if the delivery still awaits that transaction (a report's failure).</param>
    /// <returns>False when the entry no longer awaits commitment (or that transaction).</returns>
    public bool MarkCommitFailed(string id, string destination, string reason, DateTimeOffset nextAttempt, string? transaction = null) =>
        Update(id, destination, d => d with
        {
            State = DeliveryState.Pending, NextAttempt = nextAttempt, LastError = reason,
            Transaction = null, EarlierTransactions = null, CommitRequests = 0,
        }, new SpoolEvent(SpoolEvent.CommitmentFailed, id, destination, reason),
            d => transaction is null ? d.State == DeliveryState.AwaitingCommitment : d.InTransaction(transaction));

    /// <summary>Entries awaiting commitment by <paramref name="destination"/> that are due to be asked for (oldest first, at most <paramref name="limit"/>).</summary>
    public IReadOnlyList<SpoolEntry> CommitmentDue(string destination, DateTimeOffset now, int limit)
    {
        List<Facts> facts;
        lock (_lock)
            facts = [.. _index.Awaiting(destination).Where(a => a.Slot.Next <= now.UtcTicks).Take(limit).Select(a => FactsOf(a.Item))];
        return ReadAll(facts);
    }

    /// <summary>When the next request for commitment by <paramref name="destination"/> falls due, if any entry awaits it.</summary>
    public DateTimeOffset? NextCommitmentTime(string destination)
    {
        lock (_lock)
            return At(_index.Awaiting(destination).Select(a => (long?)a.Slot.Next).Min());
    }

    /// <summary>The entry awaiting commitment by <paramref name="destination"/> of <paramref name="sopInstanceUid"/> that <paramref name="transaction"/> asked about, if any.</summary>
    public SpoolEntry? FindAwaiting(string destination, string transaction, string sopInstanceUid)
    {
        var hash = SpoolIndex.HashUid(sopInstanceUid);
        List<Facts> facts;
        lock (_lock)
            facts = [.. _index.Awaiting(destination).Where(a => a.Item.SopHash == hash && a.Commitment.In(transaction)).Select(a => FactsOf(a.Item))];
        return ReadAll(facts).FirstOrDefault(e => e.SopInstanceUid == sopInstanceUid
            && e.Deliveries.TryGetValue(destination, out var d) && d.InTransaction(transaction));
    }

    public void MarkRetry(string id, string destination, string error, DateTimeOffset nextAttempt) =>
        Update(id, destination, d => d with { Attempts = d.Attempts + 1, NextAttempt = nextAttempt, LastError = error },
            new SpoolEvent(SpoolEvent.RetryScheduled, id, destination, $"{error}; next attempt {nextAttempt:O}"));

    /// <param name="when">When given, only if the delivery satisfies it under the lock (false otherwise).</param>
    public bool MarkDead(string id, string destination, string reason, Func<Delivery, bool>? when = null) =>
        Update(id, destination, d => d with { State = DeliveryState.Dead, Attempts = d.Attempts + 1, LastError = reason },
            new SpoolEvent(SpoolEvent.DeadLettered, id, destination, reason), when);

    /// <summary>Puts dead letters back to pending (all, one entry, or one destination's); returns how many.</summary>
    public int Retry(string? id = null, string? destination = null)
    {
        List<(string Id, string Destination)> dead;
        lock (_lock)
        {
            var items = id is null ? _index.All : _index.Find(id) is { } one ? [one] : [];
            dead = [.. items.SelectMany(x => x.Slots.Where(s => s.DeliveryState == DeliveryState.Dead).Select(s => (x.Id, _index.LaneName(s.Lane))))
                .Where(d => destination is null || d.Item2 == destination)];
        }
        var count = 0;
        foreach (var (entryId, dest) in dead)
        {
            // A commitment dead letter starts afresh: as many sends and requests as a new object.
            // Only if it is still a dead letter (two retries at once, or a purge between: nothing is sent twice, nothing thrown).
            if (Update(entryId, dest, x => x with
            {
                State = DeliveryState.Pending, NextAttempt = _time.GetUtcNow(), Stored = 0, CommitRequests = 0, Transaction = null, EarlierTransactions = null,
            }, null, when: x => x.State == DeliveryState.Dead))
                count++;
        }
        return count;
    }

    /// <summary>Deletes entries whose deliveries are all finished and that hold dead letters (all, or one entry); returns how many.</summary>
    public int PurgeDeadLetters(string? id = null)
    {
        List<string> ids;
        lock (_lock)
            ids = [.. _index.All.Where(x => (id is null || x.Id == id) && x.IsFinished && x.HasDeadLetters).Select(x => x.Id)];
        var removed = 0;
        foreach (var victim in ids)
        {
            lock (EntryLock(victim))
            {
                // Looked at again under the lock: a retry from the page or the command line may have just put it back.
                Facts f;
                lock (_lock)
                {
                    if (_index.Find(victim) is not { IsFinished: true, HasDeadLetters: true } current)
                        continue;
                    f = FactsOf(current);
                }
                if (Remove(f, null, ObjectOutcome.Dead))
                    removed++;
            }
        }
        return removed;
    }

    /// <param name="when">When given, the change is made only if the delivery (looked at under the lock) satisfies it;
    /// false (and nothing written) otherwise, also when the entry is gone. Without it a missing entry throws.</param>
    private bool Update(string id, string destination, Func<Delivery, Delivery> change, SpoolEvent? evt, Func<Delivery, bool>? when = null)
    {
        bool delivered;
        // The entry's own lock around its file change (other entries' changes, other destinations' workers, go on and
        // share the fsyncs); the index's lock only to read and to publish, never around I/O.
        lock (EntryLock(id))
        {
            Facts f;
            int k;
            lock (_lock)
            {
                var item = _index.Find(id);
                k = item is null ? -1 : _index.SlotIndex(item, destination);
                if (k < 0)
                {
                    if (when is not null)
                        return false;
                    throw new KeyNotFoundException($"spool entry {id} has no delivery to {destination}");
                }
                f = FactsOf(item!);
            }
            // The whole entry (its state file with the index's states over it) is what the new state file is made of.
            if (Read(f) is not { } entry)
            {
                if (when is not null)
                    return false;
                throw new KeyNotFoundException($"spool entry {id} is gone (its state file was removed or quarantined)");
            }
            var d = entry.Deliveries[destination];
            if (when is not null && !when(d))
                return false;
            var changed = change(d);
            // A PACS's error comment can be up to 64 KiB; kept whole it could push the state file past MaxStateBytes,
            // which the next read refuses (a quarantine of an object nobody gave up on).
            if (changed.LastError is { Length: > MaxErrorChars } error)
                changed = changed with { LastError = error[..MaxErrorChars] + " …" };
            var updated = entry.With(destination, changed);
            WriteState(updated);
            lock (_lock)
            {
                if (_index.Find(id) == f.Item)
                    _index.Set(f.Item, k, updated.Deliveries[destination]);
                delivered = f.Item.IsFinished && !f.Item.HasDeadLetters;
            }
        }
        if (evt is not null)
            Raise(evt);
        if (delivered)
            ApplyRetention();
        return true;
    }

    /// <summary>Removes delivered entries beyond the retention policy (oldest first); with the default, all of them.</summary>
    public void ApplyRetention()
    {
        var now = _time.GetUtcNow().UtcTicks;
        List<(string Id, long Created, long Size)> delivered;
        lock (_lock) // oldest first (ids are ordered)
            delivered = [.. _index.All.Where(x => x.IsFinished && !x.HasDeadLetters).Select(x => (x.Id, x.Created, x.Size))];
        var keptBytes = delivered.Sum(e => e.Size);
        foreach (var e in delivered)
        {
            var tooOld = now - e.Created >= _options.KeepDelivered.Ticks;
            var tooMuch = _options.KeepDeliveredBytes > 0 && keptBytes > _options.KeepDeliveredBytes;
            if (!tooOld && !tooMuch)
                continue;
            try
            {
                lock (EntryLock(e.Id))
                {
                    Facts f;
                    lock (_lock)
                    {
                        if (_index.Find(e.Id) is not { IsFinished: true, HasDeadLetters: false } current)
                            continue; // retried or removed meanwhile
                        f = FactsOf(current);
                    }
                    Remove(f, null, ObjectOutcome.Delivered);
                }
            }
            catch (IOException)
            {
                return; // the outcome could not be recorded (a full disk): kept, and removed at the next delivery's retention
            }
            keptBytes -= e.Size;
        }
    }

    /// <summary>
    /// Deletes an entry (the caller holds its lock). When its outcome is recorded (<see cref="SpoolOptions.RecordOutcomesOf"/>)
    /// that record is made durable first, so the object is always in the spool or in the ledger; a record that cannot
    /// be written throws <see cref="IOException"/> and the entry stays. The deletion itself is made durable with
    /// others' within <see cref="SpoolOptions.DeletionWindow"/> (<see cref="FlushDeletions"/>): until then a power loss
    /// may bring the entry back, whole, and it is sent again.
    /// </summary>
    /// <param name="entry">The whole entry as it leaves, for the record; null: read from its state file when a record is kept.</param>
    /// <returns>False when the entry was found gone or corrupt as its record was being made (it has left the index).</returns>
    private bool Remove(Facts f, SpoolEntry? entry, ObjectOutcome outcome)
    {
        if (Outcomes is { } ledger)
        {
            entry ??= Read(f);
            if (entry is null)
                return false;
            if (_options.RecordOutcomesOf!(entry))
                ledger.Append(OutcomeOf(entry, outcome, null));
        }
        // State first: a payload without state is an orphan that recovery removes; never the other way round. The state
        // file leaves state/ by a rename into tmp/ (the entry is gone for every reader at once, also after a kill); the
        // two files are unlinked by the deletion flush, off the caller's path (issue #22: an unlink frees the file's
        // blocks, and on a volume mounted with `discard` waits for the device to trim them — 0.15–0.2 ms per file
        // measured here, the largest single cost of forwarding a small object). Recovery removes tmp/ and payloads
        // without state. The flush makes the renames durable before it unlinks any payload (FlushRemoved).
        var inline = false;
        lock (_deletionGate)
            inline = _unlinks.Count >= MaxPendingUnlinks; // flushes failing for long: as before, here, failures to the caller
        if (inline)
        {
            _fs.Delete(StatePath(f.Id));
            _fs.Delete(PayloadPath(f.Id));
        }
        else
        {
            try
            {
                _fs.Move(StatePath(f.Id), RemovedStatePath(f.Id));
            }
            catch (FileNotFoundException)
            {
                // Gone already (not by us: the entry's lock is held): what is left of it goes all the same.
            }
            catch (IOException)
            {
                // The rename may need room an unlink does not (a new block for tmp/ on a full disk): unlinked here then.
                _fs.Delete(StatePath(f.Id));
            }
        }
        lock (_lock)
        {
            if (_index.Find(f.Id) == f.Item)
                _index.Remove(f.Item);
        }
        if (inline)
        {
            ScheduleDeletionFlush();
            return true;
        }
        bool soon;
        lock (_deletionGate)
        {
            if (_unlinks.TryAdd(f.Id, f.Item.Size))
                _unlinkBytes += f.Item.Size;
            // Early when many wait, but not while flushes fail (their back-off stands).
            soon = _unlinks.Count >= UnlinkBatch && _deletionFailures == 0;
        }
        ScheduleDeletionFlush(soon ? TimeSpan.Zero : null);
        return true;
    }

    private string RemovedStatePath(string id) => Path.Combine(TempDir, id + ".removed");

    // Entries removed whose files are still to be unlinked, with their payloads' sizes (guarded by _deletionGate); an
    // entry leaves only once both its files are unlinked. A flush starts early at UnlinkBatch of them; from
    // MaxPendingUnlinks on (unlinks failing for long: a dying card) entries are deleted by their remover again.
    private readonly Dictionary<string, long> _unlinks = new(StringComparer.Ordinal);
    private long _unlinkBytes;
    private const int UnlinkBatch = 1024;
    private const int MaxPendingUnlinks = 65_536;
    // One flush at a time (the timer's, an explicit one, Close's).
    private readonly Lock _flushing = new();

    /// <summary>Bytes of delivered payloads still on the disk, waiting for the deletion flush.</summary>
    public long BytesToUnlink
    {
        get
        {
            lock (_deletionGate)
                return _unlinkBytes;
        }
    }

    /// <summary>
    /// Unlinks the files of <paramref name="ids"/> (the renamed state file, then the payload). One that fails stays
    /// listed for the next flush; the first failure is thrown after the rest were tried.
    /// </summary>
    private void UnlinkRemoved(KeyValuePair<string, long>[] ids)
    {
        Exception? first = null;
        foreach (var (id, size) in ids)
        {
            try
            {
                _fs.Delete(RemovedStatePath(id));
                _fs.Delete(PayloadPath(id));
                lock (_deletionGate)
                {
                    if (_unlinks.Remove(id))
                        _unlinkBytes -= size;
                }
            }
            catch (Exception e)
            {
                // EIO, EACCES/EPERM (UnauthorizedAccessException), anything: the entry stays listed, the rest go on.
                first ??= e;
            }
        }
        if (first is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
    }

    private void ScheduleDeletionFlush(TimeSpan? after = null)
    {
        lock (_deletionGate)
        {
            if (_closed)
                return;
            if (_deletionFlush is not null)
            {
                if (after == TimeSpan.Zero)
                    _deletionFlush.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                return;
            }
            _deletionFlush = _time.CreateTimer(_ => FlushDeletionsInBackground(), null, after ?? _options.DeletionWindow, Timeout.InfiniteTimeSpan);
        }
    }

    private void FlushDeletionsInBackground()
    {
        // Asked for first, then the lock tried: when a flush is running (an enqueue's, an explicit one, Close's) it is not
        // waited for on a pool thread — the forwarder's workers need those — and its holder, which looks at the request
        // only after letting the lock go, schedules this one again.
        lock (_deletionGate)
        {
            _deletionFlush?.Dispose();
            _deletionFlush = null;
            _flushAgain = true;
        }
        if (!_flushing.TryEnter())
            return;
        lock (_deletionGate)
            _flushAgain = false;
        try
        {
            FlushRemovedHeld();
            lock (_deletionGate)
                _deletionFailures = 0;
        }
        catch (Exception e)
        {
            // A stalled or failing disk (or anything else): the deletions are not yet durable (a crash would resend those
            // objects, identical), or files are left to unlink. Said at once (the service logs it), then tried again
            // after a back-off of the window doubling up to a minute — never silently, never given up (until Close).
            int failures;
            lock (_deletionGate)
                failures = Math.Min(++_deletionFailures, 16);
            var delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, _options.DeletionWindow.Ticks << Math.Min(failures, 10)));
            Raise(new SpoolEvent(SpoolEvent.DeletionsNotDurable, "", Detail: $"{e.GetType().Name}: {e.Message}; next try in {delay.TotalSeconds:0.#} s"));
            ScheduleDeletionFlush(delay);
        }
        finally
        {
            _flushing.Exit();
            FlushAgainIfAsked();
        }
    }

    // A background flush found another one running (guarded by _deletionGate): that one schedules it again as it ends.
    private bool _flushAgain;
    private int _deletionFailures;
    private bool _closed;

    /// <summary>
    /// At stop: makes the deletions so far durable, unlinks their files and stops the deletion timer, after a flush
    /// under way (a failure is thrown: the caller logs it; those objects may then be sent again after a power loss,
    /// identical, and files left behind are removed at the next start).
    /// </summary>
    public void Close()
    {
        lock (_deletionGate)
        {
            _closed = true;
            _deletionFlush?.Dispose();
            _deletionFlush = null;
        }
        FlushRemoved();
    }

    /// <summary>
    /// Makes the deletions of delivered entries so far durable (fsync of <c>state/</c>, shared with any group commit
    /// under way), unlinks their files, then fsyncs <c>objects/</c>. Runs by itself within
    /// <see cref="SpoolOptions.DeletionWindow"/> of a deletion (sooner when many wait).
    /// </summary>
    public void FlushDeletions()
    {
        lock (_deletionGate)
        {
            _deletionFlush?.Dispose();
            _deletionFlush = null;
        }
        FlushRemoved();
    }

    // 1. state/ fsync'd: the renames out of it are durable; 2. the files of the entries listed *before* that fsync
    // unlinked (so a payload never goes before its state's removal is durable, on any file system that honours a
    // directory fsync); 3. objects/ fsync'd (also when an unlink failed: that entry stays listed for the next flush).
    private void FlushRemoved()
    {
        try
        {
            lock (_flushing)
                FlushRemovedHeld();
        }
        finally
        {
            FlushAgainIfAsked();
        }
    }

    // After the flush lock was let go (never while it is held: the flush asked for would find it taken and give up).
    private void FlushAgainIfAsked()
    {
        bool again, failing;
        lock (_deletionGate)
        {
            again = _flushAgain && _unlinks.Count > 0;
            _flushAgain = false;
            failing = _deletionFailures > 0;
        }
        if (again)
            ScheduleDeletionFlush(failing ? null : TimeSpan.Zero); // while flushes fail, their back-off stands
    }

    // FlushRemoved's steps; the caller holds _flushing.
    private void FlushRemovedHeld()
    {
        KeyValuePair<string, long>[] ids;
        lock (_deletionGate)
            ids = [.. _unlinks];
        _commit.Commit(new GroupCommit.Unit([], [], [StateDir]));
        Exception? unlinking = null;
        try
        {
            UnlinkRemoved(ids);
        }
        catch (Exception e)
        {
            unlinking = e;
        }
        _commit.Commit(new GroupCommit.Unit([], [], [ObjectsDir]));
        if (unlinking is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unlinking);
    }

    /// <summary>Sets an entry aside with its reason (a payload found damaged or missing on its way out): it is never sent.</summary>
    public void Quarantine(SpoolEntry entry, string reason) => QuarantineEntry(entry, reason);

    private OutcomeRecord OutcomeOf(SpoolEntry e, ObjectOutcome outcome, string? detail) =>
        new(e.SopInstanceUid, e.SopClassUid, e.Source, e.Id, _time.GetUtcNow(), outcome,
            detail ?? (outcome == ObjectOutcome.Dead ? string.Join("; ", e.Deliveries.Where(d => d.Value.State == DeliveryState.Dead).Select(d => $"{d.Key}: {d.Value.LastError}")) : null));

    /// <summary>Records a lost object's outcome where it can; a quarantine is never held up by the ledger (the instance is then unknown: a failure all the same).</summary>
    private void TryRecord(SpoolEntry e, ObjectOutcome outcome, string? detail)
    {
        if (Outcomes is not { } ledger || !_options.RecordOutcomesOf!(e))
            return;
        try
        {
            ledger.Append(OutcomeOf(e, outcome, detail));
        }
        catch (IOException)
        {
        }
    }

    private void QuarantineEntry(SpoolEntry entry, string reason)
    {
        lock (EntryLock(entry.Id))
        {
            // Set aside (or removed) meanwhile, e.g. by another destination's worker that found the checksum wrong: the
            // one that did it said why, and its reason stands (a second call would only say "payload is missing").
            lock (_lock)
            {
                if (_index.Find(entry.Id) is null)
                    return;
            }
            TryRecord(entry, ObjectOutcome.Lost, reason);
            Quarantine(entry.Id, reason);
            lock (_lock)
            {
                if (_index.Find(entry.Id) is { } item)
                    _index.Remove(item);
            }
        }
    }

    /// <summary>
    /// Moves an entry's files to quarantine/ with a reason file beside them. The reason is written first (tmp, fsync,
    /// rename), so that a crash never leaves quarantined files without their reason, nor a reason under a temporary name.
    /// </summary>
    private void Quarantine(string id, string reason)
    {
        var tmp = Path.Combine(TempDir, id + ".reason." + Guid.NewGuid().ToString("N")[..6]);
        try
        {
            using (var s = _fs.Create(tmp))
            {
                s.Write(System.Text.Encoding.UTF8.GetBytes(reason + "\n"));
                s.Flush();
                _fs.FlushToDisk(s);
            }
            _fs.Move(tmp, Path.Combine(QuarantineDir, id + ".reason.txt"));
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        // Payload first, state last: the state file is the entry, so until it moves the payload is never an orphan.
        foreach (var (from, name) in new[] { (PayloadPath(id), id + ".dcm"), (StatePath(id), id + ".json") })
        {
            if (_fs.Exists(from))
                _fs.Move(from, Path.Combine(QuarantineDir, name));
        }
        _fs.FlushDirectory(QuarantineDir);
        _fs.FlushDirectory(StateDir);
        Raise(new SpoolEvent(SpoolEvent.Quarantined, id, Detail: reason));
    }

    private void Raise(SpoolEvent e) => Changed?.Invoke(e);
}
