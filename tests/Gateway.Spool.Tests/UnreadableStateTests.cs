using Gateway.Spool;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Spool.Tests;

/// <summary>
/// A state file that cannot be read (EIO on a failing card) is passed over by NextDue — it does not hold up the queue —
/// and said once (SpoolEvent.Unreadable); once it is read again it is forgotten, so a later failure is said again.
/// </summary>
public sealed class UnreadableStateTests : IDisposable
{
    private readonly TempDirectory _dir = new("unreadable");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_unreadable_state_file_is_passed_over_said_once_and_said_again_after_it_was_read()
    {
        var fs = new FailingReads();
        var spool = new DurableSpool(new SpoolOptions { Directory = _dir.Path, MinFreeBytes = 0 }, fs, _time);
        spool.Recover();
        var first = spool.Enqueue(new MemoryStream(new byte[100]), 100, new SpoolObjectInfo("1.2.840.10008.5.1.4.1.1.7", "1.2.3.1", "OT", "t"), ["PACS"]);
        var second = spool.Enqueue(new MemoryStream(new byte[100]), 100, new SpoolObjectInfo("1.2.840.10008.5.1.4.1.1.7", "1.2.3.2", "OT", "t"), ["PACS"]);
        var said = new List<string>();
        spool.Changed += e =>
        {
            if (e.Kind == SpoolEvent.Unreadable)
                lock (said)
                    said.Add(e.EntryId);
        };
        var none = new HashSet<string>();

        fs.Failing = Path.Combine(spool.StateDir, first.Id + ".json");
        Assert.Equal(second.Id, spool.NextDue("PACS", _time.GetUtcNow(), none)?.Id); // the older one does not hold up the queue
        Assert.Equal(second.Id, spool.NextDue("PACS", _time.GetUtcNow(), none)?.Id);
        Assert.Equal([first.Id], said); // said once, not at every look

        fs.Failing = null;
        Assert.Equal(first.Id, spool.NextDue("PACS", _time.GetUtcNow(), none)?.Id); // readable again: first in line again
        fs.Failing = Path.Combine(spool.StateDir, first.Id + ".json");
        Assert.Equal(second.Id, spool.NextDue("PACS", _time.GetUtcNow(), none)?.Id);
        Assert.Equal([first.Id, first.Id], said); // a new failure after it was read is said again
    }

    /// <summary>The real file system, except that reading <see cref="Failing"/> throws an I/O error.</summary>
    private sealed class FailingReads : ISpoolFileSystem
    {
        private readonly LocalFileSystem _real = LocalFileSystem.Instance;
        public volatile string? Failing;

        public byte[]? ReadSmall(string path, int max) =>
            path == Failing ? throw new IOException("Input/output error") : _real.ReadSmall(path, max);

        public int ReadSmall(string path, Span<byte> buffer) =>
            path == Failing ? throw new IOException("Input/output error") : _real.ReadSmall(path, buffer);

        public Stream Create(string path) => _real.Create(path);
        public Stream OpenRead(string path) => path == Failing ? throw new IOException("Input/output error") : _real.OpenRead(path);
        public void FlushToDisk(Stream stream) => _real.FlushToDisk(stream);
        public void Move(string source, string destination) => _real.Move(source, destination);
        public void FlushDirectory(string directory) => _real.FlushDirectory(directory);
        public void Delete(string path) => _real.Delete(path);
        public bool Exists(string path) => _real.Exists(path);
        public IEnumerable<string> List(string directory, string pattern) => _real.List(directory, pattern);
        public void CreateDirectory(string path) => _real.CreateDirectory(path);
        public long Length(string path) => _real.Length(path);
        public long AvailableBytes(string directory) => _real.AvailableBytes(directory);
    }
}
