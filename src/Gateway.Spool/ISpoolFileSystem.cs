namespace Gateway.Spool;

/// <summary>
/// The file operations the spool needs, and nothing more: the seam a fault-injecting test double replaces to prove
/// that a crash between any two steps leaves a consistent spool (STYLE 6 and 8). Implementations throw
/// <see cref="IOException"/> on failure; every method is safe to call from several threads on different files.
/// </summary>
public interface ISpoolFileSystem
{
    Stream Create(string path);
    Stream OpenRead(string path);
    /// <summary>Makes the written bytes of <paramref name="stream"/> durable (fsync).</summary>
    void FlushToDisk(Stream stream);
    /// <summary>
    /// A hint: starts writing what was written to <paramref name="stream"/> so far to the device, without waiting for it
    /// (the later fsync is still the guarantee). An error the write-back returns as it is started (a delayed allocation
    /// that failed) is thrown, as a later fsync need not see it. By default nothing.
    /// </summary>
    void StartWriteBack(Stream stream)
    {
    }
    /// <summary>Renames atomically, replacing <paramref name="destination"/> if it exists.</summary>
    void Move(string source, string destination);
    /// <summary>
    /// True when the volume holding <paramref name="directory"/> makes metadata changes durable in the order they were
    /// made and an fsync of a renamed file makes its rename and every change before it durable (<see cref="JournalOrder"/>:
    /// ext4 with a journal). Then the group commit makes a batch's renames durable with one fsync of the last file
    /// renamed instead of an fsync of each directory. <paramref name="what"/> says what the volume was found to be.
    /// By default false.
    /// </summary>
    bool KeepsRenamesInOrder(string directory, out string what)
    {
        what = "not asked (a file system of its own)";
        return false;
    }
    /// <summary>Makes renames and deletions in <paramref name="directory"/> durable (fsync of the directory).</summary>
    void FlushDirectory(string directory);
    /// <summary>
    /// Makes the written bytes of every file in <paramref name="paths"/> durable (group commit, issue #22: each file is
    /// fsync'd, after the write-back of all of them was started, so that one journal commit covers the batch).
    /// </summary>
    /// <remarks>By default each is opened and passed to <see cref="FlushToDisk"/>, one by one.</remarks>
    void FlushFiles(IReadOnlyList<string> paths)
    {
        foreach (var p in paths)
        {
            using var s = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            FlushToDisk(s);
        }
    }

    /// <summary>
    /// Writes the data of every file in <paramref name="paths"/> to the device and waits for it, without a journal
    /// commit (Linux <c>sync_file_range</c>): where <see cref="KeepsRenamesInOrder"/> holds, the group commit's one fsync
    /// after the renames commits the files' sizes and blocks with them. By default <see cref="FlushFiles"/> (fsync of each).
    /// </summary>
    void WriteBackFiles(IReadOnlyList<string> paths) => FlushFiles(paths);

    /// <summary>Makes renames and deletions in every directory of <paramref name="directories"/> durable (by default <see cref="FlushDirectory"/> of each).</summary>
    void FlushDirectories(IReadOnlyList<string> directories)
    {
        foreach (var d in directories)
            FlushDirectory(d);
    }
    /// <summary>
    /// The whole content of a small file (a state file), or null when it is longer than <paramref name="max"/> bytes.
    /// Throws <see cref="FileNotFoundException"/> when it does not exist.
    /// </summary>
    /// <remarks>By default read through <see cref="OpenRead"/>.</remarks>
    byte[]? ReadSmall(string path, int max)
    {
        using var s = OpenRead(path);
        using var copy = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = s.Read(buffer)) > 0)
        {
            copy.Write(buffer, 0, n);
            if (copy.Length > max)
                return null;
        }
        return copy.ToArray();
    }

    /// <summary>
    /// As <see cref="ReadSmall(string, int)"/>, into <paramref name="buffer"/> (recovery reads 100,000 state files, issue
    /// #22: one buffer per thread): the number of bytes read, or -1 when the file is longer than the buffer.
    /// </summary>
    /// <remarks>By default through <see cref="ReadSmall(string, int)"/>, copied.</remarks>
    int ReadSmall(string path, Span<byte> buffer)
    {
        if (ReadSmall(path, buffer.Length) is not { } bytes)
            return -1;
        bytes.CopyTo(buffer);
        return bytes.Length;
    }

    void Delete(string path);
    bool Exists(string path);
    IEnumerable<string> List(string directory, string pattern);
    void CreateDirectory(string path);
    long Length(string path);
    /// <summary>Bytes free for this process on the volume holding <paramref name="directory"/>.</summary>
    long AvailableBytes(string directory);
}
