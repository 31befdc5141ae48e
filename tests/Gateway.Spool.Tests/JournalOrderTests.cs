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
        var snapshots = new List<(string Image, int Acknowledged)>();
        for (var i = 0; i < 8; i++)
        {
            var bytes = new byte[random.Next(1, 200_000)];
            random.NextBytes(bytes);
            var entry = spool.Enqueue(new MemoryStream(bytes), bytes.Length, Info, ["PACS"]);
            acknowledged.Add((entry.Id, entry.Sha256));
            // The power goes now: the card holds what the kernel wrote to it (the image), and nothing else.
            var image = Path.Combine(_dir.Path, $"cut-{i}.img");
            File.Copy(volume.ImagePath, image);
            snapshots.Add((image, acknowledged.Count));
            // State changes between the cuts too: a retry scheduled, and the first entry delivered (and so removed).
            if (i % 3 == 1)
                spool.MarkRetry(acknowledged[i - 1].Id, "PACS", "connection refused", DateTimeOffset.UtcNow.AddMinutes(1));
            if (i == 4)
                Assert.True(spool.MarkDone(acknowledged[0].Id, "PACS"));
        }
        foreach (var (image, count) in snapshots)
        {
            var mount = Path.Combine(_dir.Path, Path.GetFileNameWithoutExtension(image));
            Directory.CreateDirectory(mount);
            var mounted = ProcessRunner.Run("/bin/mount", ["-o", "loop", image, mount]);
            Assert.True(mounted.ExitCode == 0, mounted.All);
            try
            {
                var recovered = new DurableSpool(new SpoolOptions { Directory = Path.Combine(mount, "spool"), MinFreeBytes = 0 });
                var report = recovered.Recover();
                Assert.Empty(report.Quarantined);
                foreach (var (id, sha) in acknowledged.Take(count))
                {
                    // The first one may have been delivered (and so forgotten) before this cut: gone or whole, never half.
                    if (recovered.Find(id) is not { } e)
                    {
                        Assert.True(id == acknowledged[0].Id, $"{Path.GetFileName(image)}: the acknowledged entry {id} is not on the card");
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
    }
}
