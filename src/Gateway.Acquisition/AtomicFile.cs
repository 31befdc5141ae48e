namespace Gateway.Acquisition;

/// <summary>
/// Writes a file so that after a crash at any point it is either the old one or the whole new one: a temporary file
/// <c>.NAME.xxxxxxxx.tmp</c> beside it (mode 0600: these files hold patient data), fsync'd, renamed over it, the
/// directory fsync'd. A temporary file left by a crash starts with a dot and ends in <c>.tmp</c>, for its owner to remove.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new FileStream(tmp, options))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
            Gateway.Shared.DirectoryFsync.Flush(dir);
        }
        finally
        {
            if (File.Exists(tmp))
                File.Delete(tmp);
        }
    }
}
