using System.Globalization;

namespace Gateway.Testing;

/// <summary>
/// A cgroup v1 blkio group that throttles writes to a <see cref="SmallVolume"/>'s loop device: processes added
/// to it write to that device at most at the limit; other devices and other processes are untouched. Root only.
/// </summary>
public sealed class ThrottledDisk : IDisposable
{
    private static int _groups;
    private readonly string _group;
    private readonly string _majorMinor;

    public ThrottledDisk(SmallVolume volume, long bytesPerSecond)
    {
        Device = volume.Device;
        _majorMinor = File.ReadAllText($"/sys/block/{Device["/dev/".Length..]}/dev").Trim();
        _group = $"/sys/fs/cgroup/blkio/gateway-test-{Environment.ProcessId}-{Interlocked.Increment(ref _groups)}";
        if (!Directory.Exists("/sys/fs/cgroup/blkio"))
            throw new InvalidOperationException("no cgroup v1 blkio controller at /sys/fs/cgroup/blkio (a slow disk is played by throttling a loop device's writes; root and cgroup v1 are needed)");
        Directory.CreateDirectory(_group);
        Limit(bytesPerSecond);
    }

    public string Device { get; }

    public void Add(int pid) => File.WriteAllText(Path.Combine(_group, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>Bytes per second the group may write to the device from now on (1: a stall).</summary>
    public void Limit(long bytesPerSecond) =>
        File.WriteAllText(Path.Combine(_group, "blkio.throttle.write_bps_device"), $"{_majorMinor} {bytesPerSecond.ToString(CultureInfo.InvariantCulture)}");

    public void Dispose()
    {
        try
        {
            Limit(0); // 0 removes the limit: anything still queued goes out
            foreach (var pid in File.ReadAllLines(Path.Combine(_group, "cgroup.procs")))
                File.WriteAllText("/sys/fs/cgroup/blkio/cgroup.procs", pid);
            Directory.Delete(_group);
        }
        catch (IOException)
        {
            // A process still exiting: the empty group is removed with the next run's, or at reboot.
        }
    }
}
