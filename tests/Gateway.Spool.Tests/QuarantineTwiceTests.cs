using Gateway.Spool;
using Gateway.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// Two destinations' workers can both set the same entry aside: one finds a checksum mismatch and quarantines it, the
/// other — reading the payload while it transcodes — then finds it gone ("payload is missing"). The first reason is
/// the one that says what happened; the second call must not replace it.
/// </summary>
public sealed class QuarantineTwiceTests : IDisposable
{
    private readonly TempDirectory _dir = new("quarantine-twice");
    private static readonly SpoolObjectInfo Info = new("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "OT", "test");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_entry_quarantined_already_keeps_its_first_reason()
    {
        var spool = new DurableSpool(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0 });
        var entry = spool.Enqueue(new MemoryStream(new byte[100]), 100, Info, ["a", "b"]);

        spool.Quarantine(entry, "checksum mismatch: stored 00, found 11");
        spool.Quarantine(entry, "payload is missing");

        Assert.Equal("checksum mismatch: stored 00, found 11\n", File.ReadAllText(Path.Combine(spool.QuarantineDir, entry.Id + ".reason.txt")));
        Assert.Equal([entry.Id + ".dcm", entry.Id + ".json", entry.Id + ".reason.txt"],
            Directory.GetFiles(spool.QuarantineDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(spool.Entries);
    }
}
