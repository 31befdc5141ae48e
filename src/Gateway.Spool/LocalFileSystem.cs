namespace Gateway.Spool;

/// <summary>The real file system, with fsync of files and directories (.NET has no directory fsync: libc's).</summary>
public sealed class LocalFileSystem : ISpoolFileSystem
{
    public static readonly LocalFileSystem Instance = new();

    public Stream Create(string path) => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    public Stream OpenRead(string path) => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    public void FlushToDisk(Stream stream) => ((FileStream)stream).Flush(flushToDisk: true);

    public void StartWriteBack(Stream stream)
    {
        if (stream is not FileStream file)
            return;
        file.Flush(flushToDisk: false); // what the stream still buffers, into the page cache
        BatchFsync.StartWriteBack(file.SafeFileHandle);
    }
    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);
    public void Delete(string path) => File.Delete(path);
    public bool Exists(string path) => File.Exists(path);
    public IEnumerable<string> List(string directory, string pattern) => Directory.EnumerateFiles(directory, pattern);
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);
    /// <summary>A regular file's size is one <c>statx</c> on Linux (<see cref="NativeFiles"/>); anything else as <see cref="FileInfo"/> says.</summary>
    public long Length(string path) => NativeFiles.TryLength(path, out var length) ? length : new FileInfo(path).Length;
    public long AvailableBytes(string directory) => new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;

    /// <summary>One open, one fstat, one read, no stream buffer (recovery reads 100,000 of these, issue #22).</summary>
    public byte[]? ReadSmall(string path, int max)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        if (length > max)
            return null;
        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length && RandomAccess.Read(handle, bytes.AsSpan(read), read) is var n and > 0)
            read += n;
        if (read < bytes.Length)
            Array.Resize(ref bytes, read); // shortened meanwhile (not by us: ours are renamed into place whole)
        return bytes;
    }

    /// <summary>
    /// As <see cref="ReadSmall(string, int)"/>, into the caller's buffer: nothing is allocated. On Linux a regular file
    /// is read with libc's open, read, close (<see cref="NativeFiles"/>: three system calls, System.IO's way seven);
    /// whatever that does not answer — an error, a file of another kind — is done as below, with its exceptions.
    /// </summary>
    public int ReadSmall(string path, Span<byte> buffer) =>
        NativeFiles.TryReadSmall(path, buffer, out var read) ? read : ReadSmallManaged(path, buffer);

    /// <summary><see cref="ReadSmall(string, Span{byte})"/> through System.IO (off Linux, and where libc's way gave up).</summary>
    internal static int ReadSmallManaged(string path, Span<byte> buffer)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        if (length > buffer.Length)
            return -1;
        var read = 0;
        while (read < length && RandomAccess.Read(handle, buffer[read..(int)length], read) is var n and > 0)
            read += n;
        return read; // shorter when shortened meanwhile (not by us: ours are renamed into place whole)
    }

    public void FlushDirectory(string directory) => Gateway.Shared.DirectoryFsync.Flush(directory);

    public void FlushFiles(IReadOnlyList<string> paths) => BatchFsync.FlushFiles(paths);

    public void WriteBackFiles(IReadOnlyList<string> paths) => BatchFsync.WriteBackAndWait(paths);

    public bool KeepsRenamesInOrder(string directory, out string what) => JournalOrder.Recognised(directory, out what);

    public void FlushDirectories(IReadOnlyList<string> directories)
    {
        // On ext4 the first fsync commits the journal transaction holding the renames of all of them; the others find
        // their changes committed already and cost a cache flush at most.
        foreach (var d in directories)
            Gateway.Shared.DirectoryFsync.Flush(d);
    }
}
