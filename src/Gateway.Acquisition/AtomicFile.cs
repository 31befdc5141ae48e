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

    /// <summary>
    /// Reads back a folder of files written by <see cref="Write"/>, each as untrusted input: <paramref name="parse"/>
    /// gives the value, or null with the problem (null problem: the file vanished while being read — skipped quietly).
    /// Every problem goes into <paramref name="problems"/> as "NAME: problem". With <paramref name="moveAside"/> (the
    /// owner at start) a temporary file a crash left is deleted — its write never completed — and an unusable file is
    /// moved to <c>unusable/</c> beside them, never deleted; otherwise both are only skipped. The values come sorted by
    /// <paramref name="id"/> (ordinal).
    /// </summary>
    public static List<T> ReadAll<T>(string dir, Func<string, (T? Value, string? Problem)> parse, Func<T, string> id, List<string> problems, bool moveAside)
        where T : class
    {
        var list = new List<T>();
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.'))
            {
                if (moveAside && name.EndsWith(".tmp", StringComparison.Ordinal))
                    File.Delete(file);
                continue;
            }
            T? value;
            string? problem;
            try
            {
                (value, problem) = parse(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                (value, problem) = (null, e.Message);
            }
            if (value is not null)
            {
                list.Add(value);
                continue;
            }
            if (problem is null)
                continue;
            problems.Add($"{name}: {problem}");
            if (!moveAside)
                continue;
            try
            {
                var aside = Path.Combine(dir, "unusable");
                Directory.CreateDirectory(aside);
                File.Move(file, Path.Combine(aside, name), overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{name}: could not be set aside ({e.Message}); it stays and is skipped");
            }
        }
        list.Sort((a, b) => string.CompareOrdinal(id(a), id(b)));
        return list;
    }
}
