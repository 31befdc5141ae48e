using Gateway.Spool;
using Gateway.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Issue #22: on ext4 with a journal the spool makes a batch's renames durable with one fsync of the last file renamed,
/// not an fsync of each directory (<see cref="JournalOrder"/>). Proved against real volumes: the recognition, and what a
/// card would hold if the power went the moment an enqueue returned — a copy of the volume's image taken right then
/// (everything the kernel had written to the device, nothing it still held), mounted (ext4 replays its journal) and
/// recovered by a new spool: every acknowledged object is there, whole.
/// </summary>
public sealed class JournalOrderTests : IDisposable
{
    private readonly TempDirectory _dir = new("journal-order");
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test");

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Mounts <paramref name="image"/> (a copy of the volume: the card after a power cut; ext4 replays its journal),
    /// recovers the spool on it and checks that nothing is quarantined and every entry of <paramref name="expected"/> is
    /// there, whole — or gone where <paramref name="mayBeGone"/> allows it. The copy is removed after.
    /// </summary>
    private void CheckCopy(string image, IEnumerable<(string Id, string Sha)> expected, Func<string, bool>? mayBeGone = null)
    {
        var mount = Path.Combine(_dir.Path, Path.GetFileNameWithoutExtension(image));
        Directory.CreateDirectory(mount);
        var mounted = ProcessRunner.Run("/bin/mount", ["-o", "loop", image, mount]);
        Assert.True(mounted.ExitCode == 0, mounted.All);
        try
        {
            var recovered = new DurableSpool(new SpoolOptions { Directory = Path.Combine(mount, "spool"), MinFreeBytes = 0 });
            var report = recovered.Recover();
            Assert.True(report.Quarantined.Count == 0, $"{Path.GetFileName(image)}: quarantined {string.Join(", ", report.Quarantined)}");
            foreach (var (id, sha) in expected)
            {
                if (recovered.Find(id) is not { } e)
                {
                    Assert.True(mayBeGone?.Invoke(id) == true, $"{Path.GetFileName(image)}: the acknowledged entry {id} is not on the card");
                    continue;
                }
                Assert.Equal(sha, e.Sha256);
                Assert.True(recovered.Verify(e), $"{Path.GetFileName(image)}: entry {id} is damaged");
            }
        }
        finally
        {
            ProcessRunner.Run("/bin/umount", ["-d", mount]);
            File.Delete(image);
        }
    }

    [Fact]
    public void Ext4_with_a_journal_is_recognised_and_without_one_or_on_tmpfs_it_is_not()
    {
        using (var journaled = new SmallVolume(Path.Combine(_dir.Path, "journaled"), 32))
        {
            Assert.True(JournalOrder.Recognised(journaled.Path, out var what), what);
            Assert.StartsWith("ext4 with a journal on loop", what, StringComparison.Ordinal);
            var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(journaled.Path, "spool"), MinFreeBytes = 0 });
            Assert.Contains("one fsync of the last file", spool.RenameDurability, StringComparison.Ordinal);
            var always = new DurableSpool(new SpoolOptions { Directory = Path.Combine(journaled.Path, "spool"), MinFreeBytes = 0, AlwaysFsyncDirectories = true });
            Assert.Contains("an fsync of each directory (spool.directoryFsync always)", always.RenameDurability, StringComparison.Ordinal);
        }
        using (var bare = new SmallVolume(Path.Combine(_dir.Path, "bare"), 32, features: "^has_journal"))
        {
            Assert.False(JournalOrder.Recognised(bare.Path, out var what), what);
            Assert.StartsWith("ext4 without a journal on loop", what, StringComparison.Ordinal);
            var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(bare.Path, "spool"), MinFreeBytes = 0 });
            Assert.Contains("an fsync of each directory", spool.RenameDurability, StringComparison.Ordinal);
        }
        var tmpfs = Path.Combine(_dir.Path, "tmpfs");
        Directory.CreateDirectory(tmpfs);
        Assert.Equal(0, ProcessRunner.Run("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", tmpfs]).ExitCode);
        try
        {
            Assert.False(JournalOrder.Recognised(tmpfs, out var what), what);
            Assert.Equal("file system tmpfs", what);
        }
        finally
        {
            ProcessRunner.Run("/bin/umount", ["-l", tmpfs]);
        }
        Assert.False(JournalOrder.Recognised(Path.Combine(_dir.Path, "no such directory"), out var missing));
        Assert.Equal("the volume's device could not be asked", missing);
    }

    [Fact]
    public void Recognition_never_throws_and_says_no_when_it_cannot_tell()
    {
        // What .NET refuses outright (an empty path) is not an IOException: still only "not recognised".
        Assert.False(JournalOrder.Recognised(_dir.Path, "", "/sys/dev/block", "/proc/fs/jbd2", out var what), what);
        Assert.Contains("could not be recognised", what, StringComparison.Ordinal);
        Assert.False(JournalOrder.Recognised(_dir.Path, Path.Combine(_dir.Path, "no mountinfo"), "/sys/dev/block", "/proc/fs/jbd2", out what), what);
        // A mountinfo line with escaped spaces in its paths, and one too short: the device is still found by its field.
        Assert.True(NativeFiles.TryDevice(_dir.Path, out var major, out var minor));
        var info = Path.Combine(_dir.Path, "mountinfo");
        File.WriteAllLines(info, ["1 0 0:1 / / rw - ext4", $"36 35 {major}:{minor} /a\\040b /mnt\\040x rw,relatime shared:1 - xfs /dev/x\\040y rw"]);
        Assert.False(JournalOrder.Recognised(_dir.Path, info, "/sys/dev/block", "/proc/fs/jbd2", out what), what);
        Assert.Equal("file system xfs", what);
    }

    [Fact]
    public void Spool_directories_elsewhere_than_its_journaled_volume_keep_the_directory_fsyncs()
    {
        // The spool's own directory on ext4 with a journal, but tmp/, objects/ and state/ (where every rename happens)
        // symlinked to a tmpfs: what counts is the volume of the renames, not of the spool's directory.
        using var journaled = new SmallVolume(Path.Combine(_dir.Path, "journaled"), 32);
        var tmpfs = Path.Combine(_dir.Path, "elsewhere");
        Directory.CreateDirectory(tmpfs);
        Assert.Equal(0, ProcessRunner.Run("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", tmpfs]).ExitCode);
        try
        {
            var root = Path.Combine(journaled.Path, "spool");
            Directory.CreateDirectory(root);
            foreach (var d in new[] { "tmp", "objects", "state" })
            {
                Directory.CreateDirectory(Path.Combine(tmpfs, d));
                Directory.CreateSymbolicLink(Path.Combine(root, d), Path.Combine(tmpfs, d));
            }
            Assert.True(JournalOrder.Recognised(root, out var what), what);
            var spool = new DurableSpool(new SpoolOptions { Directory = root, MinFreeBytes = 0 });
            Assert.Contains("an fsync of each directory", spool.RenameDurability, StringComparison.Ordinal);
            Assert.Contains("tmpfs", spool.RenameDurability, StringComparison.Ordinal);
            spool.Recover();
            Assert.NotNull(spool.Enqueue(new MemoryStream(new byte[100]), 100, Info, ["PACS"]));
        }
        finally
        {
            ProcessRunner.Run("/bin/umount", ["-l", tmpfs]);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("fast_commit")]
    public void What_the_card_holds_the_moment_an_enqueue_returns_has_every_acknowledged_object(string? features)
    {
        using var volume = new SmallVolume(Path.Combine(_dir.Path, "card"), 64, eager: true, features);
        var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(volume.Path, "spool"), MinFreeBytes = 0, BatchWindow = TimeSpan.Zero });
        Assert.Contains("one fsync of the last file", spool.RenameDurability, StringComparison.Ordinal);
        spool.Recover();
        var random = new Random(22);
        var acknowledged = new List<(string Id, string Sha)>();
        var snapshots = new List<(string Image, int Acknowledged, bool FirstDelivered)>();
        var firstDelivered = false;
        for (var i = 0; i < 8; i++)
        {
            var bytes = new byte[random.Next(1, 200_000)];
            random.NextBytes(bytes);
            var entry = spool.Enqueue(new MemoryStream(bytes), bytes.Length, Info, ["PACS"]);
            acknowledged.Add((entry.Id, entry.Sha256));
            // The power goes now: the card holds what the kernel wrote to it (the image), and nothing else.
            var image = Path.Combine(_dir.Path, $"cut-{i}.img");
            File.Copy(volume.ImagePath, image);
            snapshots.Add((image, acknowledged.Count, firstDelivered));
            // State changes between the cuts too: a retry scheduled, and the first entry delivered (and so removed).
            if (i % 3 == 1)
                spool.MarkRetry(acknowledged[i - 1].Id, "PACS", "connection refused", DateTimeOffset.UtcNow.AddMinutes(1));
            if (i == 4)
            {
                Assert.True(spool.MarkDone(acknowledged[0].Id, "PACS"));
                // Its deletion flush now, not from the spool's timer a second later: a copy of the image taken while
                // the volume is being written is torn in a way no power cut leaves, and could fail for that alone.
                spool.FlushDeletions();
                firstDelivered = true;
            }
        }
        foreach (var (image, count, delivered) in snapshots)
        {
            // The first one, once delivered (and so forgotten) before this cut, may be gone: gone or whole, never half.
            // Before that it must be there like every other (its enqueue is the first batch on the volume).
            CheckCopy(image, acknowledged.Take(count), id => delivered && id == acknowledged[0].Id);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("fast_commit")]
    public async Task Batches_of_several_enqueues_made_durable_by_one_fsync_are_on_the_card_whole(string? features)
    {
        // The single-caller test above has one unit a batch, so "the last file renamed" is always the caller's own. Here
        // several callers share each batch: one fsync of the last one's state file must carry the others' renames too.
        using var volume = new SmallVolume(Path.Combine(_dir.Path, "card"), 64, eager: true, features);
        var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(volume.Path, "spool"), MinFreeBytes = 0, BatchWindow = TimeSpan.FromMilliseconds(50) });
        Assert.Contains("one fsync of the last file", spool.RenameDurability, StringComparison.Ordinal);
        spool.Recover();
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(string Id, string Sha)>();
        var snapshots = new List<(string Image, (string Id, string Sha)[] Acknowledged)>();
        const int Rounds = 4, Callers = 4;
        for (var round = 0; round < Rounds; round++)
        {
            using var start = new Barrier(Callers);
            var callers = Enumerable.Range(0, Callers).Select(c => Task.Factory.StartNew(() =>
            {
                var bytes = new byte[20_000 + 1000 * c];
                new Random(round * Callers + c).NextBytes(bytes);
                start.SignalAndWait();
                var entry = spool.Enqueue(new MemoryStream(bytes), bytes.Length, Info, ["PACS"]);
                acknowledged.Add((entry.Id, entry.Sha256));
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(callers);
            // All of them returned: the power goes now.
            var image = Path.Combine(_dir.Path, $"batch-{round}.img");
            File.Copy(volume.ImagePath, image);
            snapshots.Add((image, [.. acknowledged]));
        }
        Assert.True(spool.Batches < Rounds * Callers, $"{spool.Batches} batches for {Rounds * Callers} enqueues: none was shared");
        if (features == "fast_commit")
        {
            var info = File.ReadAllText($"/proc/fs/ext4/{volume.Device["/dev/".Length..]}/fc_info");
            Assert.DoesNotMatch(@"^fc stats:\s*0 commits", info); // fast commits did happen (not only full ones)
        }
        foreach (var (image, expected) in snapshots)
            CheckCopy(image, expected);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("fast_commit")]
    public async Task Payloads_taken_by_move_that_nothing_wrote_back_are_on_the_card_whole(string? features)
    {
        // The copying enqueue starts each payload's write-back itself (StartWriteBack), so its blocks are allocated
        // before the commit whatever the commit does. The SCP's way, EnqueueByMove with the hash given, leaves every
        // byte of the payload (and of every state file but the last one renamed) in the page cache, blocks unallocated
        // (delayed allocation): only the commit's own write-back puts them on the card before the renames are committed.
        using var volume = new SmallVolume(Path.Combine(_dir.Path, "card"), 64, eager: true, features);
        var root = Path.Combine(volume.Path, "spool");
        var spool = new DurableSpool(new SpoolOptions { Directory = root, MinFreeBytes = 0, BatchWindow = TimeSpan.FromMilliseconds(50) });
        Assert.Contains("one fsync of the last file", spool.RenameDurability, StringComparison.Ordinal);
        spool.Recover();
        var incoming = Path.Combine(root, "tmp");
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(string Id, string Sha, byte[] Bytes)>();
        var snapshots = new List<(string Image, (string Id, string Sha, byte[] Bytes)[] Acknowledged)>();
        const int Rounds = 4;
        for (var round = 0; round < Rounds; round++)
        {
            // The first round a lone caller: its own state file is the one fsync'd, so only the write-back before the
            // renames puts its payload on the card. Then three callers a batch: the others' state files too.
            var count = round == 0 ? 1 : 3;
            using var start = new Barrier(count);
            var callers = Enumerable.Range(0, count).Select(c => Task.Factory.StartNew(() =>
            {
                var bytes = new byte[(c + 1) * 700_000 + round * 1000];
                new Random(100 + round * 3 + c).NextBytes(bytes);
                var file = Path.Combine(incoming, $"received-{round}-{c}");
                // Written as a receiver writes, no fsync (the spool's commit makes it durable) and no preallocation
                // (File.WriteAllBytes fallocates: its blocks would be allocated before any write-back).
                using (var f = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    f.Write(bytes);
                var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
                start.SignalAndWait();
                var entry = spool.EnqueueByMove(file, Info, ["PACS"], held: false, sha256: sha);
                acknowledged.Add((entry.Id, sha, bytes));
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(callers);
            var image = Path.Combine(_dir.Path, $"moved-{round}.img");
            File.Copy(volume.ImagePath, image);
            snapshots.Add((image, [.. acknowledged]));
        }
        foreach (var (image, expected) in snapshots)
            CheckCopy(image, expected.Select(x => (x.Id, x.Sha))); // the checksum is of every byte: the size with it
    }

    [Theory]
    [InlineData(null)]
    [InlineData("fast_commit")]
    public void The_one_fsync_after_the_write_back_sends_the_device_a_cache_flush(string? features)
    {
        // The files' data is written back (sync_file_range) with no flush of the device's volatile cache of its own: only
        // the commit of the one fsync after the renames (jbd2's commit block, or the fast commit's tail, with
        // REQ_PREFLUSH) makes it durable on a card with a write cache. A kernel whose commit left the flush out (say,
        // when the commit is one metadata block and it saw no data of its own to order) would lose it: count the
        // flushes the loop device receives around a lone enqueue, given a payload the spool alone writes back.
        using var volume = new SmallVolume(Path.Combine(_dir.Path, "card"), 64, eager: true, features);
        var root = Path.Combine(volume.Path, "spool");
        var spool = new DurableSpool(new SpoolOptions { Directory = root, MinFreeBytes = 0, BatchWindow = TimeSpan.Zero });
        spool.Recover();
        var stat = $"/sys/block/{volume.Device["/dev/".Length..]}/stat";
        long Flushes() => long.Parse(File.ReadAllText(stat).Split(' ', StringSplitOptions.RemoveEmptyEntries)[15], System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 3; i++) // the first fsync after the mount may be a full commit even with fast commits
        {
            var bytes = new byte[300_000];
            new Random(i).NextBytes(bytes);
            var file = Path.Combine(root, "tmp", $"received-{i}");
            using (var f = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
                f.Write(bytes);
            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            var before = Flushes();
            spool.EnqueueByMove(file, Info, ["PACS"], held: false, sha256: sha);
            Assert.True(Flushes() > before, $"enqueue {i}: no cache flush reached the device ({features ?? "no fast commits"})");
        }
    }
}
