namespace Gateway.Spool;

/// <summary>
/// The running service's claim on a spool directory (issue #13 item 6): an exclusive lock (flock) on
/// <c>SPOOL/lock</c>, held for the process's lifetime and released by the kernel when it dies, SIGKILL included. Only
/// the holder may recover or change the spool; others read it (<see cref="DurableSpool.ReadEntries"/>) or ask the
/// holder through its control socket.
/// </summary>
public sealed class SpoolLock : IDisposable
{
    private readonly FileStream _file;

    private SpoolLock(FileStream file) => _file = file;

    public static string PathOf(string spoolDirectory) => System.IO.Path.Combine(spoolDirectory, "lock");

    /// <summary>Takes the lock, or returns null when another process (or another holder in this one) has it.</summary>
    public static SpoolLock? TryAcquire(string spoolDirectory)
    {
        Directory.CreateDirectory(spoolDirectory);
        var path = PathOf(spoolDirectory);
        try
        {
            // Created by whoever comes first (the service, or root running `gateway spool retry`), read by everyone:
            // opened read-only, so a lock file owned by another user still locks. On Unix, .NET implements
            // FileShare.None with flock(LOCK_EX | LOCK_NB) on the descriptor; flock needs no write access.
            if (!File.Exists(path))
            {
                using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
                {
                }
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
            return new SpoolLock(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"{path}: {e.Message} (the spool directory must be writable by the service's user)", e);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>The spool's lock is held by another process: a second service must not run on it.</summary>
public sealed class SpoolInUseException(string message) : IOException(message);
