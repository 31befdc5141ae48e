namespace Gateway.Spool;

/// <summary>
/// Group commit (issue #22): the spool's durable steps of several callers made durable together. A caller hands in
/// one <see cref="Unit"/> — files it wrote (not yet synced), renames that put them in place, and the directories
/// those renames change — and blocks until a batch holding its unit has run all three phases:
/// <list type="number">
/// <item>every file of the batch is made durable (<see cref="ISpoolFileSystem.FlushFiles"/>: on ext4 one journal
/// commit for all of them);</item>
/// <item>the renames in rounds: the first rename of every unit, then the directories those renames changed made
/// durable (<see cref="ISpoolFileSystem.FlushDirectories"/>), then every unit's second rename and its directories, and
/// so on (for an enqueue: the payload into <c>objects/</c>, fsync of <c>objects/</c>, then the state into
/// <c>state/</c> — the commit point — and fsync of <c>state/</c>);</item>
/// <item>any other directory a unit names is made durable.</item>
/// </list>
/// Nothing is renamed before its bytes are durable, and a unit's later rename never becomes durable before its earlier
/// one (without relying on the file system to keep metadata changes of two directories in order: btrfs, f2fs and ext4
/// without a journal do not promise it), so a crash at any point leaves every unit either absent (its temporary files,
/// which recovery removes) or complete. A lone caller is not delayed: the first to arrive leads at
/// once, and whoever arrives while a batch is running joins the next one. <see cref="Window"/> is how long a leader
/// waits for callers that have announced themselves (<see cref="Preparing"/>) but not yet handed in their unit.
/// When a batch fails every unit in it gets the exception (each caller undoes its own, as after a lone failure).
/// <para>On a volume that keeps its metadata changes in order (<paramref name="orderedRenames"/>: ext4 with a journal,
/// <see cref="JournalOrder"/>) the rounds are the same renames in the same order, without a directory fsync between
/// them: one fsync of the last file renamed makes them all durable, in order, so a crash still leaves every unit
/// absent or complete, and a later rename is still never durable before an earlier one (issue #22: one journal
/// commit per batch fewer, and none of the directories' full commits where the volume has fast commits). A fsync, not
/// an fdatasync: a rename changes the file's inode, not its data. Phase 1 there writes the files' data to the device and
/// waits for it (<see cref="ISpoolFileSystem.WriteBackFiles"/>: what an fsync does before its commit) without a commit
/// of its own: the blocks are allocated and the sizes set as the data is written, before the renames, so every commit
/// that carries a rename — that last fsync's, or any other the volume makes sooner — carries them too (one journal
/// commit, or one fast commit, per batch in all).</para>
/// </summary>
internal sealed class GroupCommit(ISpoolFileSystem fs, TimeSpan window, bool orderedRenames = false)
{
    /// <summary>What one caller needs made durable.</summary>
    public sealed class Unit(IReadOnlyList<string> files, IReadOnlyList<(string From, string To)> moves, IReadOnlyList<string> directories)
    {
        public IReadOnlyList<string> Files { get; } = files;
        public IReadOnlyList<(string From, string To)> Moves { get; } = moves;
        public IReadOnlyList<string> Directories { get; } = directories;
        internal bool Done;
        internal Exception? Failure;
    }

    private readonly object _gate = new();
    private readonly List<Unit> _queue = [];
    private bool _leading;
    private int _preparing;

    public TimeSpan Window { get; } = window;

    /// <summary>Units handed in and not yet taken into a batch.</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
                return _queue.Count;
        }
    }

    private long _batches;

    /// <summary>Batches run so far (a benchmark's and a test's view of how much was coalesced).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>
    /// Announces a unit that is being prepared (its files written): a leader waits up to <see cref="Window"/> for it.
    /// The announcement ends when the unit is handed to <see cref="Commit(Unit, Preparation?)"/> with it, or when it is
    /// disposed (abandoned); both may happen, it ends once.
    /// </summary>
    public Preparation Preparing()
    {
        lock (_gate)
            _preparing++;
        return new Preparation(this);
    }

    /// <summary>A <see cref="Preparing"/> announcement.</summary>
    public sealed class Preparation(GroupCommit owner) : IDisposable
    {
        internal bool Ended;

        public void Dispose()
        {
            lock (owner._gate)
                owner.End(this);
        }
    }

    private void End(Preparation p)
    {
        if (p.Ended)
            return;
        p.Ended = true;
        _preparing--;
        Monitor.PulseAll(_gate);
    }

    /// <summary>
    /// Makes <paramref name="unit"/> durable with whatever else is waiting; returns when it is, throws when its batch
    /// failed. <paramref name="preparation"/> (its announcement) ends as the unit joins the queue, so a leader waiting
    /// for it takes it into its batch.
    /// </summary>
    public void Commit(Unit unit, Preparation? preparation = null)
    {
        List<Unit> batch;
        lock (_gate)
        {
            _queue.Add(unit);
            if (preparation is not null)
                End(preparation);
            while (true)
            {
                if (unit.Done)
                {
                    if (unit.Failure is { } f)
                        throw f is IOException io ? new IOException(io.Message, io) : new IOException("the spool's batch commit failed: " + f.Message, f);
                    return;
                }
                if (!_leading)
                    break;
                Monitor.Wait(_gate);
            }
            _leading = true;
            batch = [];
            try
            {
                if (Window > TimeSpan.Zero)
                {
                    var until = Environment.TickCount64 + (long)Window.TotalMilliseconds;
                    // Others are writing their files: their units will be here within the window.
                    while (_preparing > 0 && Environment.TickCount64 is var now && now < until)
                        Monitor.Wait(_gate, TimeSpan.FromMilliseconds(until - now));
                }
                batch = [.. _queue];
                _queue.Clear();
            }
            catch
            {
                // Never leave the gate led by nobody: the units stay queued for the next leader.
                _leading = false;
                Monitor.PulseAll(_gate);
                throw;
            }
        }
        Exception? failure = null;
        try
        {
            Run(batch);
        }
        catch (Exception e)
        {
            failure = e;
        }
        lock (_gate)
        {
            foreach (var u in batch)
            {
                u.Failure = failure;
                u.Done = true;
            }
            Interlocked.Increment(ref _batches);
            _leading = false;
            Monitor.PulseAll(_gate);
        }
        if (failure is not null)
            throw failure is IOException ? failure : new IOException("the spool's batch commit failed: " + failure.Message, failure);
    }

    private void Run(List<Unit> batch)
    {
        var files = batch.SelectMany(u => u.Files).ToList();
        var rounds = batch.Count == 0 ? 0 : batch.Max(u => u.Moves.Count);
        if (files.Count > 0)
        {
            // On a volume that keeps its metadata in order the files' data is written and waited for, and their sizes and
            // blocks are committed by the one fsync after the renames, with the renames (one journal commit a batch).
            if (orderedRenames && rounds > 0)
                fs.WriteBackFiles(files);
            else
                fs.FlushFiles(files);
        }
        var flushed = new HashSet<string>(StringComparer.Ordinal);
        string? last = null;
        for (var round = 0; round < rounds; round++)
        {
            var changed = new List<string>();
            foreach (var u in batch)
            {
                if (round >= u.Moves.Count)
                    continue;
                var (from, to) = u.Moves[round];
                fs.Move(from, to);
                last = to;
                if (Path.GetDirectoryName(to) is { } dir && !changed.Contains(dir, StringComparer.Ordinal))
                    changed.Add(dir);
            }
            // This round's renames are durable before any unit's next one is made (where the volume keeps them in order,
            // they are anyway: the one fsync below makes them all durable).
            if (changed.Count > 0 && !orderedRenames)
                fs.FlushDirectories(changed);
            flushed.UnionWith(changed);
        }
        // Every rename above, and every change before them, durable in order. Should the file be gone already (nothing
        // of ours removes it while its caller waits), the directories' own fsyncs do it. Only then: a failing fsync
        // (EIO, a journal aborted) fails the batch like any other — never retried as another fsync that could succeed
        // without the renames being on the disk.
        if (orderedRenames && last is not null)
        {
            try
            {
                fs.FlushFiles([last]);
            }
            catch (FileNotFoundException)
            {
                fs.FlushDirectories([.. flushed]);
            }
        }
        var directories = batch.SelectMany(u => u.Directories).Where(d => !flushed.Contains(d)).Distinct(StringComparer.Ordinal).ToList();
        if (directories.Count > 0)
            fs.FlushDirectories(directories);
    }
}
