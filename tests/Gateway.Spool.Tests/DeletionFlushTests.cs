using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Issue #22: a delivered entry leaves <c>state/</c> by a rename into <c>tmp/</c> at once; the deletion flush (a timer,
/// an explicit flush, Close) makes that durable, then unlinks its files. What fails in between is kept and tried again.
/// </summary>
public sealed class DeletionFlushTests : IDisposable
{
    private readonly TempDirectory _dir = new("deletion-flush");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero));
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test");

    public void Dispose() => _dir.Dispose();

    private DurableSpool Spool(ISpoolFileSystem fs, long minFree = 0) =>
        new(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = minFree, BatchWindow = TimeSpan.Zero }, fs, _time);

    private static MemoryStream Payload(int size) => new(new byte[size]);

    [Theory]
    [InlineData("EACCES")]
    [InlineData("EIO")]
    public void A_refused_unlink_stays_listed_and_goes_with_the_next_flush(string how)
    {
        var fs = new ScriptedFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var a = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        var b = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        spool.MarkDone(a.Id, "PACS");
        spool.MarkDone(b.Id, "PACS");
        Assert.Empty(Directory.GetFiles(spool.StateDir)); // gone for every reader at once
        fs.RefuseDeletes = 1;
        fs.Refusal = how == "EACCES" ? new UnauthorizedAccessException("EACCES (test)") : new IOException("EIO (test)");
        Assert.ThrowsAny<Exception>(spool.FlushDeletions);
        Assert.True(File.Exists(spool.PayloadPath(a.Id)), "the refused payload is still there");
        Assert.False(File.Exists(spool.PayloadPath(b.Id)), "the other entry went all the same");
        Assert.Equal(100, spool.BytesToUnlink);
        spool.FlushDeletions();
        Assert.False(File.Exists(spool.PayloadPath(a.Id)));
        Assert.Empty(Directory.GetFiles(spool.TempDir));
        Assert.Equal(0, spool.BytesToUnlink);
    }

    [Fact]
    public async Task The_timer_flushes_within_the_window_and_a_failure_is_said_and_retried_after_its_back_off()
    {
        var fs = new ScriptedFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var events = new List<SpoolEvent>();
        spool.Changed += e =>
        {
            lock (events)
                events.Add(e);
        };
        var a = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        fs.RefuseDeletes = 1;
        fs.Refusal = new IOException("EIO (test)");
        spool.MarkDone(a.Id, "PACS");
        _time.Advance(TimeSpan.FromSeconds(1)); // the deletion window: the flush runs, its unlink is refused
        await Poll.Until(() =>
        {
            lock (events)
                return events.Any(e => e.Kind == SpoolEvent.DeletionsNotDurable);
        }, TimeSpan.FromSeconds(10), () => "the refused unlink was not said");
        Assert.True(File.Exists(spool.PayloadPath(a.Id)));
        _time.Advance(TimeSpan.FromSeconds(2)); // its back-off (the window doubled)
        await Poll.Until(() => !File.Exists(spool.PayloadPath(a.Id)), TimeSpan.FromSeconds(10), () => "the retry never unlinked the payload");
        Assert.Empty(Directory.GetFiles(spool.TempDir));
    }

    [Fact]
    public void A_rename_refused_for_want_of_room_unlinks_the_state_file_at_once()
    {
        var fs = new ScriptedFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var a = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        fs.RefuseMovesInto = spool.TempDir; // tmp/'s directory needs a block the full disk does not have
        Assert.True(spool.MarkDone(a.Id, "PACS"));
        Assert.Null(spool.Find(a.Id));
        Assert.Empty(Directory.GetFiles(spool.StateDir));
        spool.FlushDeletions();
        Assert.False(File.Exists(spool.PayloadPath(a.Id)));
    }

    [Fact]
    public void A_full_disk_flushes_the_pending_deletions_before_it_refuses_an_object()
    {
        // The volume: 10,000 bytes of payload room above the floor; three delivered objects of 3,000 still occupy it.
        var fs = new ScriptedFileSystem { Capacity = 10_000 };
        var spool = Spool(fs, minFree: 1);
        spool.Recover();
        var ids = Enumerable.Range(0, 3).Select(_ => spool.Enqueue(Payload(3000), 3000, Info, ["PACS"]).Id).ToList();
        foreach (var id in ids)
            spool.MarkDone(id, "PACS");
        Assert.Equal(9000, spool.BytesToUnlink);
        var d = spool.Enqueue(Payload(3000), 3000, Info, ["PACS"]);
        Assert.NotNull(spool.Find(d.Id));
        Assert.All(ids, id => Assert.False(File.Exists(spool.PayloadPath(id))));
    }

    [Fact]
    public void The_removal_from_state_is_durable_before_any_payload_is_unlinked()
    {
        var fs = new ScriptedFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var a = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        fs.Log.Clear();
        spool.MarkDone(a.Id, "PACS");
        spool.FlushDeletions();
        var log = fs.Log.ToList();
        var stateFsync = log.FindIndex(x => x == "fsync " + spool.StateDir);
        var payloadUnlink = log.FindIndex(x => x == "delete " + spool.PayloadPath(a.Id));
        Assert.True(stateFsync >= 0 && payloadUnlink > stateFsync, string.Join("\n", log));
        Assert.Equal("fsync " + spool.ObjectsDir, log.Last());
    }

    [Fact]
    public void Close_unlinks_what_waits_and_later_removals_are_left_to_recovery()
    {
        var fs = new ScriptedFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var a = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        var b = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        spool.MarkDone(a.Id, "PACS");
        spool.Close();
        Assert.False(File.Exists(spool.PayloadPath(a.Id)));
        spool.MarkDone(b.Id, "PACS"); // after the stop: renamed, its files left for the next start
        var restarted = Spool(new ScriptedFileSystem());
        var report = restarted.Recover();
        Assert.Equal(0, report.Entries);
        Assert.Equal(0, report.TempFilesRemoved); // a delivered entry's renamed state file is not a half-written file
        Assert.Equal(1, report.OrphansRemoved);
        Assert.Empty(Directory.GetFiles(restarted.TempDir));
        Assert.Empty(Directory.GetFiles(restarted.ObjectsDir));
    }

    [Fact]
    public async Task The_timer_does_not_wait_for_a_flush_under_way_and_flushes_after_it()
    {
        var fs = new ScriptedFileSystem();
        var spool = Spool(fs);
        spool.Recover();
        var a = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        var b = spool.Enqueue(Payload(100), 100, Info, ["PACS"]);
        spool.MarkDone(a.Id, "PACS");
        fs.HoldNextDirectoryFlush();
        var held = Task.Run(spool.FlushDeletions); // an explicit flush, stalled in its fsync of state/
        Assert.True(fs.Held.Wait(TimeSpan.FromSeconds(20)));
        spool.MarkDone(b.Id, "PACS"); // its timer falls due while that flush is stalled
        var tick = Task.Run(() => _time.Advance(TimeSpan.FromSeconds(1)));
        // The timer's callback must not block its (pool) thread behind the stalled flush (held until Release: any ceiling
        // tells; 30 s, not 5, so that a starved pool starting the Task.Run late is not taken for a blocked callback).
        Assert.Same(tick, await Task.WhenAny(tick, Task.Delay(TimeSpan.FromSeconds(30))));
        fs.Release.Set();
        await held;
        await Poll.Until(() => !File.Exists(spool.PayloadPath(b.Id)), TimeSpan.FromSeconds(10), () => "the flush put off was never run");
        Assert.False(File.Exists(spool.PayloadPath(a.Id)));
    }

    /// <summary>The real file system, logging its changes, refusing what a test asks it to, with a volume of a given size.</summary>
    private sealed class ScriptedFileSystem : ISpoolFileSystem
    {
        private readonly LocalFileSystem _real = LocalFileSystem.Instance;
        public List<string> Log { get; } = [];
        public int RefuseDeletes;
        public Exception Refusal = new IOException("refused (test)");
        public string? RefuseMovesInto;
        /// <summary>When set: the bytes available are this minus every payload in the spool's objects/.</summary>
        public long? Capacity;

        private void Note(string what)
        {
            lock (Log)
                Log.Add(what);
        }

        public Stream Create(string path) => _real.Create(path);
        public Stream OpenRead(string path) => _real.OpenRead(path);
        public void FlushToDisk(Stream stream) => _real.FlushToDisk(stream);

        public void Move(string source, string destination)
        {
            if (RefuseMovesInto is { } dir && Path.GetDirectoryName(destination) == dir)
                throw new IOException("No space left on device (test)");
            Note($"move {source} {destination}");
            _real.Move(source, destination);
        }

        public void FlushDirectory(string directory)
        {
            if (Interlocked.Exchange(ref _hold, 0) == 1)
            {
                Held.Set();
                Release.Wait(TimeSpan.FromSeconds(30));
            }
            Note("fsync " + directory);
            _real.FlushDirectory(directory);
        }

        private int _hold;
        /// <summary>The next directory fsync waits for <see cref="Release"/> (after setting <see cref="Held"/>).</summary>
        public void HoldNextDirectoryFlush() => _hold = 1;
        public ManualResetEventSlim Held { get; } = new();
        public ManualResetEventSlim Release { get; } = new();

        public void Delete(string path)
        {
            if (path.EndsWith(".dcm", StringComparison.Ordinal) && RefuseDeletes > 0)
            {
                RefuseDeletes--;
                throw Refusal;
            }
            Note("delete " + path);
            _real.Delete(path);
        }

        public bool Exists(string path) => _real.Exists(path);
        public IEnumerable<string> List(string directory, string pattern) => _real.List(directory, pattern);
        public void CreateDirectory(string path) => _real.CreateDirectory(path);
        public long Length(string path) => _real.Length(path);

        public long AvailableBytes(string directory) => Capacity is { } c
            ? c - Directory.GetFiles(Path.Combine(directory, "objects")).Sum(f => new FileInfo(f).Length)
            : _real.AvailableBytes(directory);
    }
}
