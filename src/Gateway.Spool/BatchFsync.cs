using System.Runtime.InteropServices;

namespace Gateway.Spool;

/// <summary>
/// fsync of several files as one group (issue #22). Each file is still fsync'd on its own — the guarantee is POSIX's,
/// not a file system's — but first the write-back of every one of them is started (Linux <c>sync_file_range</c> with
/// SYNC_FILE_RANGE_WRITE), so that their blocks are allocated in the same running journal transaction: on ext4 the
/// first fsync commits that transaction for all of them and the others only wait for their data. Off Linux (and on
/// any error of the hint) it is a plain fsync of each.
/// </summary>
internal static partial class BatchFsync
{
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000; // O_CLOEXEC on Linux (x64 and arm64 alike)
    private const uint SyncFileRangeWrite = 2;
    private const uint SyncFileRangeWaitBefore = 1, SyncFileRangeWaitAfter = 4;
    private const int Enoent = 2;
    private const int Einval = 22;
    private const int Enotsup = 95;
    private const int Espipe = 29;

    private static bool _native = OperatingSystem.IsLinux();

    public static void FlushFiles(IReadOnlyList<string> paths)
    {
        if (_native)
        {
            try
            {
                FlushNative(paths);
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _native = false; // no libc to call: .NET's own fsync of each, below
            }
        }
        foreach (var p in paths)
        {
            using var f = new FileStream(p, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            f.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// Starts the write-back of what was written to <paramref name="file"/> (sync_file_range, SYNC_FILE_RANGE_WRITE): a
    /// hint, except that a write-back that failed as it was started is an <see cref="IOException"/>. Such an error comes
    /// from the file system's writepages itself (a delayed allocation that failed and gave its pages up, a journal
    /// aborted), is returned to this call only and not necessarily kept for a later fsync or write-back wait, which may
    /// then find no dirty page and succeed (review of issue #22). A file system that cannot do it (EINVAL, ENOTSUP,
    /// ESPIPE) is not an error.
    /// </summary>
    public static void StartWriteBack(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        if (!_native)
            return;
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            if (SyncFileRange((int)file.DangerousGetHandle(), 0, 0, SyncFileRangeWrite) != 0)
                ThrowUnlessUnsupported(Marshal.GetLastPInvokeError(), "starting the write-back of a file");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _native = false;
        }
        finally
        {
            if (added)
                file.DangerousRelease();
        }
    }

    /// <summary>
    /// The data of every file in <paramref name="paths"/> written to the device and waited for — <c>sync_file_range</c>
    /// with WAIT_BEFORE | WRITE | WAIT_AFTER, which writes every dirty page (WB_SYNC_ALL) and waits for its write, as the
    /// first half of an fsync does — without the journal commit an fsync adds: the caller makes the files' sizes and
    /// blocks durable with a later fsync on a volume whose commits carry every file's changes (<see cref="JournalOrder"/>).
    /// A write that failed (EIO, ENOSPC of a delayed allocation) is an <see cref="IOException"/>; a file system that
    /// cannot do it (EINVAL, ENOTSUP, ESPIPE), and anything off Linux, is fsync'd instead.
    /// </summary>
    public static void WriteBackAndWait(IReadOnlyList<string> paths)
    {
        if (!_native)
        {
            FlushFiles(paths);
            return;
        }
        var fallback = new List<string>();
        try
        {
            foreach (var path in paths)
            {
                var fd = OpenOrThrow(path, "write it back");
                try
                {
                    if (SyncFileRange(fd, 0, 0, SyncFileRangeWaitBefore | SyncFileRangeWrite | SyncFileRangeWaitAfter) != 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (Unsupported(errno))
                            fallback.Add(path);
                        else
                            throw new IOException($"writing {path} back failed (errno {errno})");
                    }
                }
                finally
                {
                    _ = Close(fd);
                }
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _native = false;
            FlushFiles(paths);
            return;
        }
        if (fallback.Count > 0)
            FlushFiles(fallback);
    }

    /// <summary>EINVAL, ENOTSUP, ESPIPE: the file system cannot do it for this file (not an error of the file's writes).</summary>
    private static bool Unsupported(int errno) => errno is Einval or Enotsup or Espipe;

    private static void ThrowUnlessUnsupported(int errno, string what)
    {
        if (!Unsupported(errno))
            throw new IOException($"{what} failed (errno {errno})");
    }

    /// <summary>
    /// Opens <paramref name="path"/> read-only for a sync (<paramref name="purpose"/> names it in the error):
    /// <see cref="FileNotFoundException"/> when the file is not there (as .NET's own open would say), told apart from
    /// any other failure (<see cref="IOException"/>).
    /// </summary>
    private static int OpenOrThrow(string path, string purpose)
    {
        var fd = Open(path, ReadOnly | CloseOnExec);
        if (fd >= 0)
            return fd;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Enoent)
            throw new FileNotFoundException($"cannot open {path} to {purpose}: no such file (errno {errno})", path);
        throw new IOException($"cannot open {path} to {purpose} (errno {errno})");
    }

    private static void FlushNative(IReadOnlyList<string> paths)
    {
        var fds = new int[paths.Count];
        Array.Fill(fds, -1);
        try
        {
            for (var i = 0; i < paths.Count; i++)
            {
                fds[i] = OpenOrThrow(paths[i], "fsync it");
                // A hint: the fsync below is the guarantee — but an error writepages returns here is this call's alone.
                if (paths.Count > 1 && SyncFileRange(fds[i], 0, 0, SyncFileRangeWrite) != 0)
                    ThrowUnlessUnsupported(Marshal.GetLastPInvokeError(), "starting the write-back of " + paths[i]);
            }
            for (var i = 0; i < fds.Length; i++)
            {
                // EINVAL / ENOTSUP: the file system cannot sync this file at all (as .NET's own Flush(true), not an error).
                if (Fsync(fds[i]) != 0 && Marshal.GetLastPInvokeError() is var errno && errno is not (Einval or Enotsup))
                    throw new IOException($"fsync of {paths[i]} failed (errno {errno})");
            }
        }
        finally
        {
            foreach (var fd in fds)
            {
                if (fd >= 0)
                    _ = Close(fd);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
