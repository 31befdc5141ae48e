using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Issue #22: the group commit's own crash points. A power cut is modelled by <see cref="PowerCutFileSystem"/>: from
/// the chosen step on, nothing more reaches the disk (every change throws), so not even the callers' undo runs.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly TempDirectory _dir = new("group-commit");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test");

    public void Dispose() => _dir.Dispose();

    private DurableSpool Spool(ISpoolFileSystem? fs = null) =>
        new(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0, BatchWindow = TimeSpan.Zero }, fs, _time);

    private static byte[] Bytes(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>
    /// One enqueue leads and is held in its fsync; <paramref name="followers"/> more queue up behind it and are then
    /// committed as one batch, whose fate <paramref name="fs"/> decides. Returns what each follower's enqueue did.
    /// </summary>
    private static (IOException? Leader, List<IOException?> Followers) RunBatch(DurableSpool spool, PowerCutFileSystem fs, int followers)
    {
        fs.HoldNextFileFlush();
        var leader = Task.Run(() => Catch(() => spool.Enqueue(new MemoryStream(Bytes(4000, 0)), 4000, Info, ["PACS"])));
        Assert.True(fs.Held.Wait(TimeSpan.FromSeconds(20)), "the leader never reached its fsync");
        var rest = Enumerable.Range(1, followers)
            .Select(i => Task.Run(() => Catch(() => spool.Enqueue(new MemoryStream(Bytes(4000, i)), 4000, Info, ["PACS"])))).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (spool.QueuedCommits < followers && DateTime.UtcNow < deadline)
            Thread.Sleep(5);
        Assert.Equal(followers, spool.QueuedCommits);
        fs.Release.Set();
        return (leader.GetAwaiter().GetResult(), [.. rest.Select(t => t.GetAwaiter().GetResult())]);
    }

    private static IOException? Catch(Action a)
    {
        try
        {
            a();
            return null;
        }
        catch (IOException e)
        {
            return e;
        }
    }

    [Fact]
    public void Concurrent_enqueues_share_one_batch_of_fsyncs_and_all_survive_a_restart()
    {
        var fs = new PowerCutFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var (leader, followers) = RunBatch(spool, fs, 5);
        Assert.Null(leader);
        Assert.All(followers, Assert.Null);
        // The leader's batch, then one batch for all five: two file flushes and two rounds of directory flushes each
        // (objects/ after the payloads' renames, state/ after the states'), not twelve.
        Assert.Equal(2, fs.FileFlushes);
        Assert.Equal(4, fs.DirectoryFlushes);
        Assert.Equal(2, spool.Batches);
        var recovered = Spool();
        Assert.Equal(6, recovered.Recover().Entries);
        Assert.All(recovered.Entries, e => Assert.True(recovered.Verify(e)));
    }

    [Fact]
    public void On_a_volume_that_keeps_renames_in_order_a_batch_costs_two_file_fsyncs_and_no_directory_fsync()
    {
        var fs = new PowerCutFileSystem { Ordered = true };
        var spool = Spool(fs);
        spool.Recover();
        var (leader, followers) = RunBatch(spool, fs, 5);
        Assert.Null(leader);
        Assert.All(followers, Assert.Null);
        // Per batch: its files, then one fsync of the last file renamed; no directory fsync at all.
        Assert.Equal(4, fs.FileFlushes);
        Assert.Equal(0, fs.DirectoryFlushes);
        Assert.Equal(2, spool.Batches);
        var recovered = Spool();
        Assert.Equal(6, recovered.Recover().Entries);
        Assert.All(recovered.Entries, e => Assert.True(recovered.Verify(e)));
    }

    [Fact]
    public void On_a_volume_that_keeps_renames_in_order_a_power_cut_before_the_last_fsync_acknowledges_nobody_and_leaves_entries_whole()
    {
        // The followers' batch: its files fsync'd (flush 3), every payload and state renamed, then the power goes
        // before the one fsync that would make the renames durable (flush 4). Nobody of them was told "stored"; what
        // the volume kept of their renames is a prefix (the journal's order): here all of them, whole — the producers
        // send them again (at least once, identical), and nothing is a state without its payload.
        var fs = new PowerCutFileSystem { Ordered = true, CutAtFileFlush = 4 };
        var spool = Spool(fs);
        spool.Recover();
        var (leader, followers) = RunBatch(spool, fs, 4);
        Assert.Null(leader);
        Assert.All(followers, e => Assert.NotNull(e));
        Assert.Equal(5, Directory.GetFiles(spool.StateDir).Length); // the renames were made before the cut

        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Empty(report.Quarantined);
        Assert.Equal(5, report.Entries);
        Assert.All(recovered.Entries, e => Assert.True(recovered.Verify(e)));
        Assert.Equal(Directory.GetFiles(recovered.StateDir).Length, Directory.GetFiles(recovered.ObjectsDir).Length);
        Assert.Empty(Directory.GetFiles(recovered.TempDir));
    }

    [Fact]
    public void A_power_cut_after_the_batch_wrote_its_files_and_before_their_fsync_loses_only_what_was_not_acknowledged()
    {
        var fs = new PowerCutFileSystem { CutAtFileFlush = 2 }; // the followers' batch
        var spool = Spool(fs);
        spool.Recover();
        var (leader, followers) = RunBatch(spool, fs, 4);
        Assert.Null(leader);
        Assert.All(followers, e => Assert.NotNull(e)); // none of them was told "stored"

        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Empty(report.Quarantined);
        Assert.Equal(1, report.Entries); // the leader's, acknowledged before the cut
        Assert.Empty(Directory.GetFiles(recovered.TempDir)); // the batch's files, never renamed, are gone
        Assert.Single(Directory.GetFiles(recovered.ObjectsDir));
        Assert.True(recovered.Verify(recovered.Entries.Single()));
    }

    [Fact]
    public void A_power_cut_after_the_batch_fsync_and_before_the_acknowledgements_keeps_every_entry_whole()
    {
        var fs = new PowerCutFileSystem { CutAfterDirectoryFlush = 4 }; // the followers' last round durable, then the power goes before anyone is told
        var spool = Spool(fs);
        spool.Recover();
        var (leader, followers) = RunBatch(spool, fs, 4);
        Assert.Null(leader);
        Assert.All(followers, e => Assert.NotNull(e)); // never acknowledged: the producers send them again

        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Empty(report.Quarantined);
        Assert.Equal(5, report.Entries); // at least once: durable entries are delivered (a resent one is a duplicate)
        Assert.All(recovered.Entries, e => Assert.True(recovered.Verify(e)));
        Assert.Equal(Directory.GetFiles(recovered.StateDir).Length, Directory.GetFiles(recovered.ObjectsDir).Length);
    }

    [Fact]
    public void A_power_cut_between_the_payloads_round_and_the_states_round_leaves_orphans_only()
    {
        // The followers' payloads are renamed into objects/ and that directory is durable; then the power goes before
        // any of their states is renamed: no follower was told "stored", and recovery must find no entry of theirs and
        // nothing to quarantine (their payloads are orphans and go).
        var fs = new PowerCutFileSystem { CutAfterDirectoryFlush = 3 };
        var spool = Spool(fs);
        spool.Recover();
        var (leader, followers) = RunBatch(spool, fs, 4);
        Assert.Null(leader);
        Assert.All(followers, e => Assert.NotNull(e));
        Assert.Equal(5, Directory.GetFiles(spool.ObjectsDir).Length); // the cut left the followers' payloads in place
        Assert.Single(Directory.GetFiles(spool.StateDir));

        var recovered = Spool();
        var report = recovered.Recover();
        Assert.Empty(report.Quarantined);
        Assert.Equal(1, report.Entries);
        Assert.Equal(4, report.OrphansRemoved);
        Assert.Single(Directory.GetFiles(recovered.ObjectsDir));
        Assert.True(recovered.Verify(recovered.Entries.Single()));
    }

    [Fact]
    public async Task A_window_gathers_an_enqueue_that_is_still_writing_its_payload()
    {
        // A leader with a batch window waits for a caller that announced itself (its payload being written): both are
        // committed by one batch. The payload stream of the second blocks until the first is waiting in its window.
        var spool = new DurableSpool(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0, BatchWindow = TimeSpan.FromSeconds(5) }, null, _time);
        spool.Recover();
        var writing = new ManualResetEventSlim();
        var go = new ManualResetEventSlim();
        var second = Task.Run(() => spool.Enqueue(new GatedStream(Bytes(4000, 2), writing, go), 4000, Info, ["PACS"]));
        Assert.True(writing.Wait(TimeSpan.FromSeconds(20)));
        var first = Task.Run(() => spool.Enqueue(new MemoryStream(Bytes(4000, 1)), 4000, Info, ["PACS"]));
        // The first is the leader, waiting in its window for the announced second, once its unit is queued (it leaves
        // the lock only in that wait). 200 ms were assumed before: on a starved pool the first had not even started,
        // and the second, let go, committed alone.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (spool.QueuedCommits < 1 && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        Assert.Equal(1, spool.QueuedCommits);
        go.Set();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, spool.Batches);
    }

    /// <summary>A payload that says when it is first read and then waits to be let go.</summary>
    private sealed class GatedStream(byte[] bytes, ManualResetEventSlim reading, ManualResetEventSlim go) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            reading.Set();
            go.Wait(TimeSpan.FromSeconds(20));
            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            reading.Set();
            go.Wait(TimeSpan.FromSeconds(20));
            return base.Read(buffer);
        }
    }

    [Fact]
    public void A_power_cut_in_the_middle_of_a_batch_of_deletions_leaves_each_entry_whole_or_gone()
    {
        // A delivered entry leaves state/ by a rename into tmp/ at once (steps 1..n, one per entry); the flush then
        // unlinks the renamed state files and the payloads (steps n+1..3n) and fsyncs the directories (3n+1 is past
        // the last step). A cut at any step: what came back is whole, and only entries not yet renamed come back.
        const int n = 4;
        for (var cut = 1; cut <= 3 * n + 1; cut++)
        {
            foreach (var d in Directory.GetDirectories(_dir.Path))
                Directory.Delete(d, true);
            var setup = Spool();
            setup.Recover();
            var sums = Enumerable.Range(0, n).Select(i => setup.Enqueue(new MemoryStream(Bytes(3000, i)), 3000, Info, ["PACS"]))
                .ToDictionary(e => e.Id, e => e.Sha256);

            var fs = new PowerCutFileSystem { CutAtRemoval = cut };
            var spool = Spool(fs);
            spool.Recover();
            foreach (var id in sums.Keys)
                Catch(() => spool.MarkDone(id, "PACS"));
            Catch(spool.FlushDeletions);

            var recovered = Spool();
            var report = recovered.Recover();
            Assert.Empty(report.Quarantined); // never a state without its payload
            Assert.Equal(Directory.GetFiles(recovered.StateDir).Length, Directory.GetFiles(recovered.ObjectsDir).Length);
            Assert.Empty(Directory.GetFiles(recovered.TempDir));
            // What came back is sent again, and it is the identical object.
            Assert.All(recovered.Entries, e => Assert.Equal(sums[e.Id], e.Sha256));
            Assert.All(recovered.Entries, e => Assert.True(recovered.Verify(e), $"cut at removal step {cut}: {e.Id} is damaged"));
            Assert.Equal(cut <= n ? n - cut + 1 : 0, recovered.Entries.Count);
        }
    }

    [Fact]
    public async Task A_stalled_fsync_does_not_stop_others_from_reading_the_spool()
    {
        var fs = new PowerCutFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var a = spool.Enqueue(new MemoryStream(Bytes(100, 1)), 100, Info, ["PACS", "ARCHIVE"]);
        fs.HoldNextFileFlush();
        // The PACS worker's state change stalls in its fsync (a card that stops for seconds) …
        var stalled = Task.Run(() => spool.MarkRetry(a.Id, "PACS", "refused", _time.GetUtcNow().AddMinutes(1)));
        Assert.True(fs.Held.Wait(TimeSpan.FromSeconds(20)));
        // … while the other destination's worker still finds its work and the page still reads the spool.
        var look = Task.Run(() => (spool.NextDue("ARCHIVE", _time.GetUtcNow(), new HashSet<string>())?.Id, spool.Entries.Count));
        // Else it waited for another entry's fsync, held until Release: any ceiling tells; 30 s, not 5, for a starved pool.
        Assert.Same(look, await Task.WhenAny(look, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal((a.Id, 1), await look);
        fs.Release.Set();
        await stalled;
        Assert.Equal("refused", spool.Find(a.Id)!.Deliveries["PACS"].LastError);
    }

    /// <summary>
    /// The real file system, with a power cut at a chosen step: from then on every change throws and nothing more
    /// reaches the disk. It can also hold a file flush until released (a stalled card, or a batch to fill).
    /// </summary>
    private sealed class PowerCutFileSystem : ISpoolFileSystem
    {
        private readonly LocalFileSystem _real = LocalFileSystem.Instance;
        /// <summary>It says it keeps metadata changes in order (ext4 with a journal): renames made durable by one file fsync.</summary>
        public bool Ordered { get; init; }

        public bool KeepsRenamesInOrder(string directory, out string what)
        {
            what = Ordered ? "a test volume that keeps its metadata in order" : "a test volume";
            return Ordered;
        }

        private volatile bool _off;
        private int _removals;
        public int CutAtFileFlush { get; init; }
        public int CutAfterDirectoryFlush { get; init; }
        /// <summary>The step (a rename or an unlink, counted together) at which the power goes.</summary>
        public int CutAtRemoval { get; init; }
        public int FileFlushes;
        public int DirectoryFlushes;
        private int _holdAt;

        /// <summary>The next file flush waits for <see cref="Release"/> (after setting <see cref="Held"/>).</summary>
        public void HoldNextFileFlush() => _holdAt = Volatile.Read(ref FileFlushes) + 1;
        public ManualResetEventSlim Held { get; } = new();
        public ManualResetEventSlim Release { get; } = new();

        private void Live()
        {
            if (_off)
                throw new CrashException("the power is off");
        }

        public Stream Create(string path)
        {
            Live();
            return _real.Create(path);
        }

        public Stream OpenRead(string path) => _real.OpenRead(path);

        public void FlushToDisk(Stream stream)
        {
            Live();
            _real.FlushToDisk(stream);
        }

        public void FlushFiles(IReadOnlyList<string> paths)
        {
            Live();
            var n = Interlocked.Increment(ref FileFlushes);
            if (n == _holdAt)
            {
                Held.Set();
                Release.Wait(TimeSpan.FromSeconds(30));
            }
            if (n == CutAtFileFlush)
            {
                _off = true;
                throw new CrashException("power cut before the batch's fsync");
            }
            _real.FlushFiles(paths);
        }

        public void Move(string source, string destination)
        {
            Live();
            Removal();
            _real.Move(source, destination);
        }

        private void Removal()
        {
            if (++_removals == CutAtRemoval)
            {
                _off = true;
                throw new CrashException($"power cut before removal step {CutAtRemoval}");
            }
        }

        public void FlushDirectory(string directory)
        {
            Live();
            _real.FlushDirectory(directory);
        }

        public void FlushDirectories(IReadOnlyList<string> directories)
        {
            Live();
            _real.FlushDirectories(directories);
            if (Interlocked.Increment(ref DirectoryFlushes) == CutAfterDirectoryFlush)
            {
                _off = true;
                throw new CrashException("power cut after the batch's fsync, before anyone was answered");
            }
        }

        public void Delete(string path)
        {
            Live();
            Removal();
            _real.Delete(path);
        }

        public bool Exists(string path) => _real.Exists(path);
        public IEnumerable<string> List(string directory, string pattern) => _real.List(directory, pattern);
        public void CreateDirectory(string path) => _real.CreateDirectory(path);
        public long Length(string path) => _real.Length(path);
        public long AvailableBytes(string directory) => _real.AvailableBytes(directory);
    }
}
