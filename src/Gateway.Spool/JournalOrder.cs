namespace Gateway.Spool;

/// <summary>
/// Whether the spool's volume keeps its metadata changes in order (issue #22, write amplification): ext4 with a
/// journal does. jbd2 commits whole transactions in order, an <c>fsync</c> of a file commits the transaction of the
/// file's last inode change — for a renamed file, the rename, since a rename sets the file's ctime in the same handle —
/// and with it every change before it; ext4's fast commits track a regular file's rename on its inode and write every
/// queued inode and name change of the volume, not only the one asked for. So on such a volume one <c>fsync</c> of the
/// last file a batch renamed makes all of the batch's renames, and everything before them, durable, in the order they
/// were made — where POSIX alone asks for an <c>fsync</c> of each directory (on ext4 each a full journal commit even
/// with fast commits; on a volume made with <c>-O fast_commit</c> the file's is a one-block fast commit).
/// Recognised only from what the kernel shows any user: the device of the directory (<c>statx</c>), its mount in
/// <c>/proc/self/mountinfo</c> with type <c>ext4</c>, and the journal's entry <c>/proc/fs/jbd2/&lt;device&gt;-*</c> (ext4
/// made without a journal, or ext2 and ext3 mounted by the ext4 driver without one, have none). Anything else — XFS,
/// btrfs, f2fs, overlayfs, tmpfs, NFS, a lookup that fails — keeps the directory fsyncs.
/// </summary>
public static class JournalOrder
{
    /// <summary>True when <paramref name="directory"/> is on ext4 with a journal; <paramref name="what"/> says what was found.</summary>
    public static bool Recognised(string directory, out string what) =>
        Recognised(directory, "/proc/self/mountinfo", "/sys/dev/block", "/proc/fs/jbd2", out what);

    internal static bool Recognised(string directory, string mountInfo, string sysDevBlock, string jbd2, out string what)
    {
        try
        {
            if (!NativeFiles.TryDevice(directory, out var major, out var minor))
            {
                what = "the volume's device could not be asked";
                return false;
            }
            var device = $"{major}:{minor}";
            string? type = null;
            foreach (var line in File.ReadLines(mountInfo))
            {
                // "36 35 98:0 /root /mount options [optional fields] - type source super-options"
                var fields = line.Split(' ');
                if (fields.Length < 9 || fields[2] != device || Array.IndexOf(fields, "-", 6) is var dash && (dash < 0 || dash + 1 >= fields.Length))
                    continue;
                type = fields[dash + 1];
                break;
            }
            if (type is null)
            {
                what = $"device {device} is not in {mountInfo}";
                return false;
            }
            if (type != "ext4")
            {
                what = $"file system {type}";
                return false;
            }
            var name = new DirectoryInfo(Path.Combine(sysDevBlock, device)).ResolveLinkTarget(returnFinalTarget: true)?.Name;
            if (string.IsNullOrEmpty(name))
            {
                what = $"ext4 on device {device}, whose name {sysDevBlock} does not give";
                return false;
            }
            if (!Directory.Exists(jbd2) || !Directory.EnumerateDirectories(jbd2, name + "-*").Any())
            {
                // An external journal shows as /proc/fs/jbd2/<its own device>, with no "-<inode>": not recognised either.
                what = $"ext4 without a journal on {name} (or with its journal on another device)";
                return false;
            }
            what = $"ext4 with a journal on {name}";
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the lookup throws (an unreadable or odd /proc, /sys, an argument .NET refuses) only means "not
            // recognised": the directory fsyncs, and never a spool that cannot start.
            what = $"the volume could not be recognised ({e.GetType().Name}: {e.Message})";
            return false;
        }
    }
}
