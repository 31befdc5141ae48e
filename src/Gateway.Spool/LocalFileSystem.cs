namespace Gateway.Spool;

/// <summary>The real file system, with fsync of files and directories (.NET has no directory fsync: libc's).</summary>
public sealed class LocalFileSystem : ISpoolFileSystem
{
    public static readonly LocalFileSystem Instance = new();

    public Stream Create(string path) => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    public Stream OpenRead(string path) => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    public void FlushToDisk(Stream stream) => ((FileStream)stream).Flush(flushToDisk: true);
    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);
    public void Delete(string path) => File.Delete(path);
    public bool Exists(string path) => File.Exists(path);
    public IEnumerable<string> List(string directory, string pattern) => Directory.EnumerateFiles(directory, pattern);
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);
    public long Length(string path) => new FileInfo(path).Length;
    public long AvailableBytes(string directory) => new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;

    public void FlushDirectory(string directory) => Gateway.Shared.DirectoryFsync.Flush(directory);

    public void FlushFiles(IReadOnlyList<string> paths) => BatchFsync.FlushFiles(paths);

    public void FlushDirectories(IReadOnlyList<string> directories)
    {
        // On ext4 the first fsync commits the journal transaction holding the renames of all of them; the others find
        // their changes committed already and cost a cache flush at most.
        foreach (var d in directories)
            Gateway.Shared.DirectoryFsync.Flush(d);
    }
}
