using Gateway.Spool;
using Gateway.Testing;
using Xunit;

namespace Gateway.Host.Tests;

/// <summary>Issue #5: `gateway spool list|retry|purge` on a real spool directory.</summary>
public sealed class SpoolCommandTests
{
    [Fact]
    public void List_shows_what_waits_for_whom_retry_requeues_dead_letters_and_purge_asks_first()
    {
        using var dir = new TempDirectory("spool-cli");
        var spool = new DurableSpool(new SpoolOptions { Directory = dir.Path, MinFreeBytes = 0 });
        var info = new SpoolObjectInfo("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5", "OT", "test");
        var waiting = spool.Enqueue(new MemoryStream(new byte[100]), 100, info, ["PACS"]);
        var refused = spool.Enqueue(new MemoryStream(new byte[50]), 50, info with { SopInstanceUid = "1.2.3.4.6" }, ["PACS"]);
        spool.MarkDead(refused.Id, "PACS", "0122 (refused: SOP class not supported)");
        spool.MarkRetry(waiting.Id, "PACS", "127.0.0.1:104: connection refused", DateTimeOffset.UtcNow.AddMinutes(1));

        var list = GatewayExecutable.Run("spool", "list", "--spool", dir.Path);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("2 entries, 150 bytes", list.StdOut);
        Assert.Contains("destination PACS: 1 pending", list.StdOut);
        Assert.Contains("1 dead letter(s)", list.StdOut);
        Assert.Contains("0122 (refused: SOP class not supported)", list.StdOut);
        Assert.Contains("connection refused", list.StdOut);

        var retry = GatewayExecutable.Run("spool", "retry", "--spool", dir.Path);
        Assert.Contains("1 dead letter(s) put back in the queue", retry.StdOut);
        Assert.Contains("destination PACS: 2 pending", GatewayExecutable.Run("spool", "list", "--spool", dir.Path).StdOut);

        var again = new DurableSpool(new SpoolOptions { Directory = dir.Path, MinFreeBytes = 0 });
        again.Recover();
        again.MarkDead(refused.Id, "PACS", "still refused");
        var ask = GatewayExecutable.Run("spool", "purge", "--spool", dir.Path);
        Assert.Contains("repeat with --yes", ask.StdOut);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(dir.Path, "state")).Length);
        var purge = GatewayExecutable.Run("spool", "purge", "--spool", dir.Path, "--yes");
        Assert.Contains("1 entr(ies) deleted", purge.StdOut);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "state")));
        // The purge freed the disk before it returned (an operator purges when the disk is full): no payload of the
        // purged entry is left, nothing waits in tmp/ for a flush.
        Assert.False(File.Exists(again.PayloadPath(refused.Id)));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "tmp")));

        var bad = GatewayExecutable.Run("spool", "list", "--spool", "/nonexistent");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("no such directory", bad.StdErr);
    }
}
