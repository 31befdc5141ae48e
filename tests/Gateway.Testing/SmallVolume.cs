namespace Gateway.Testing;

/// <summary>
/// A small file system of its own — ext4 in an image file on a loop device, mounted by the test (it runs as root, as CI
/// does) — so that "the disk is full" is real ENOSPC for every process writing there, and fsync costs what it costs on
/// a real disk (tmpfs would make every crash window a few microseconds wide). No blocks are reserved for root.
/// <see cref="Fill"/> takes every free byte; <see cref="Free"/> gives them back.
/// </summary>
public sealed class SmallVolume : IDisposable
{
    private readonly string _filler;
    private readonly string _image;

    /// <param name="eager">Initialise the inode tables and the journal now (mkfs's lazy_itable_init=0,lazy_journal_init=0), so
    /// that no kernel thread writes to the volume later: its block device's counters then count only what the processes
    /// using it caused (<see cref="SectorsWritten"/>).</param>
    /// <param name="features">File system features for mkfs's -O, e.g. <c>fast_commit</c> (null: mkfs's defaults).</param>
    public SmallVolume(string path, int megabytes, bool eager = false, string? features = null)
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal))
            throw new InvalidOperationException("a small volume needs root to mount a tmpfs (tests run as root here and in CI)");
        Path = path;
        Directory.CreateDirectory(path);
        _image = path + ".img";
        using (var image = new FileStream(_image, FileMode.Create))
            image.SetLength((long)megabytes << 20);
        List<string> arguments = ["-q", "-F", "-m", "0"];
        if (eager)
            arguments.AddRange(["-E", "lazy_itable_init=0,lazy_journal_init=0"]);
        if (features is not null)
            arguments.AddRange(["-O", features]);
        arguments.Add(_image);
        var mkfs = ProcessRunner.Run("/sbin/mkfs.ext4", [.. arguments]);
        if (mkfs.ExitCode != 0)
            throw new InvalidOperationException("mkfs.ext4 failed: " + mkfs.All);
        var mount = ProcessRunner.Run("/bin/mount", ["-o", "loop", _image, path]);
        if (mount.ExitCode != 0)
            throw new InvalidOperationException("mount -o loop failed (a loop device is needed): " + mount.All);
        _filler = System.IO.Path.Combine(path, "filler");
    }

    public string Path { get; }

    /// <summary>The image file the volume's loop device reads and writes: a copy of it is what a card holds at that moment.</summary>
    public string ImagePath => _image;

    public bool IsFull { get; private set; }

    /// <summary>
    /// The 512-byte sectors written to the volume's loop device so far (/sys/block/loopN/stat), after `sync -f` made
    /// the file system write what it holds — data, metadata and its journal: what a card under it would be asked to write.
    /// </summary>
    public long SectorsWritten()
    {
        var sync = ProcessRunner.Run("/bin/sync", ["-f", Path]);
        if (sync.ExitCode != 0)
            throw new InvalidOperationException("sync -f failed: " + sync.All);
        var fields = File.ReadAllText($"/sys/block/{LoopName}/stat").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[6], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The journal transactions ext4 has committed on this volume so far (the first figure of /proc/fs/jbd2/loopN-8/info):
    /// each fsync that finds metadata not yet committed costs one — a descriptor block, the changed metadata blocks, a
    /// commit block.
    /// </summary>
    public long JournalCommits()
    {
        var info = $"/proc/fs/jbd2/{LoopName}-8/info";
        var first = File.ReadLines(info).First();
        return long.Parse(first[..first.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The loop device the volume is mounted from, e.g. <c>/dev/loop3</c>.</summary>
    public string Device
    {
        get
        {
            if (_device is null)
            {
                var source = ProcessRunner.Run("/bin/findmnt", ["-n", "-o", "SOURCE", "--target", Path]).StdOut.Trim();
                if (!source.StartsWith("/dev/loop", StringComparison.Ordinal))
                    throw new InvalidOperationException($"{Path} is not on a loop device ({source})");
                _device = source;
            }
            return _device;
        }
    }

    private string? _device;

    private string LoopName => Device["/dev/".Length..];

    /// <summary>Writes one file until the volume refuses more (ENOSPC).</summary>
    public void Fill()
    {
        var chunk = new byte[1 << 16];
        using var s = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1);
        try
        {
            while (true)
                s.Write(chunk);
        }
        catch (IOException)
        {
        }
        // Whatever a 64 KiB write could not take, single bytes can.
        try
        {
            while (true)
                s.Write(chunk.AsSpan(0, 1));
        }
        catch (IOException)
        {
        }
        IsFull = true;
    }

    public void Free()
    {
        File.Delete(_filler);
        IsFull = false;
    }

    public void Dispose()
    {
        ProcessRunner.Run("/bin/umount", ["-d", "-l", Path]);
        try
        {
            Directory.Delete(Path, recursive: true);
            File.Delete(_image);
        }
        catch (IOException)
        {
        }
    }
}
