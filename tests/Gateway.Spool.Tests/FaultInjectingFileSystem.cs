using Gateway.Spool;

namespace Gateway.Spool.Tests;

/// <summary>
/// The real file system, except that operation number <see cref="CrashAt"/> throws as if the power went out just
/// before it: nothing of that operation or after happens. Counts every mutating or syncing operation.
/// <see cref="Ordered"/>: it says it keeps metadata changes in order (as ext4 with a journal), so that the spool makes
/// renames durable by an fsync of the last file renamed; a crash then leaves a prefix of the operations, which is what
/// such a volume promises.
/// </summary>
internal sealed class FaultInjectingFileSystem(int crashAt, bool armed = true, bool ordered = false) : ISpoolFileSystem
{
    public bool Ordered { get; } = ordered;

    public bool KeepsRenamesInOrder(string directory, out string what)
    {
        what = Ordered ? "a test volume that keeps its metadata in order" : "a test volume";
        return Ordered;
    }

    public void FlushFiles(IReadOnlyList<string> paths)
    {
        foreach (var p in paths)
        {
            Step("fsync file " + Path.GetFileName(p));
            using var s = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            _real.FlushToDisk(s);
        }
    }

    /// <summary>Operations are counted (and the crash can happen) only while armed.</summary>
    public bool Armed { get; set; } = armed;

    private readonly LocalFileSystem _real = LocalFileSystem.Instance;
    public int Operations { get; private set; }
    public int CrashAt { get; } = crashAt;
    public List<string> Log { get; } = [];

    private bool _crashed;

    private void Step(string what)
    {
        // After the crash nothing reaches the disk any more — not even the caller's undo — as after a real power cut.
        if (_crashed)
            throw new CrashException($"the power is off (crashed before operation {CrashAt}): {what}");
        if (!Armed)
            return;
        Operations++;
        Log.Add(what);
        if (Operations == CrashAt)
        {
            _crashed = true;
            throw new CrashException($"crash before operation {CrashAt}: {what}");
        }
    }

    public Stream Create(string path)
    {
        Step("create " + Path.GetFileName(path));
        return _real.Create(path);
    }

    public Stream OpenRead(string path) => _real.OpenRead(path);

    public void FlushToDisk(Stream stream)
    {
        Step("fsync file");
        _real.FlushToDisk(stream);
    }

    public void Move(string source, string destination)
    {
        Step($"rename {Path.GetFileName(source)} -> {Path.GetFileName(Path.GetDirectoryName(destination))}/{Path.GetFileName(destination)}");
        _real.Move(source, destination);
    }

    public void FlushDirectory(string directory)
    {
        Step("fsync dir " + Path.GetFileName(directory));
        _real.FlushDirectory(directory);
    }

    public void Delete(string path)
    {
        Step("delete " + Path.GetFileName(path));
        _real.Delete(path);
    }

    public bool Exists(string path) => _real.Exists(path);
    public IEnumerable<string> List(string directory, string pattern) => _real.List(directory, pattern);
    public void CreateDirectory(string path) => _real.CreateDirectory(path);
    public long Length(string path) => _real.Length(path);
    public long AvailableBytes(string directory) => _real.AvailableBytes(directory);
}

internal sealed class CrashException(string message) : IOException(message);
