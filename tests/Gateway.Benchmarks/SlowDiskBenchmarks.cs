using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #22, the slow-disk scenario: the spool on a card-like device — an ext4 volume of its own (loop device) whose
/// writes the kernel throttles to ~10 MB/s (a cgroup v1 blkio `throttle.write_bps_device` limit on that loop device for
/// the `gateway run` process) and that stalls now and then for seconds (the limit dropped to 1 byte/s, then restored).
/// `gateway simulate` plays the flat-panel detector over a socat pty pair with frames of 4.5 MB; the PACS (storescp) is
/// up for one phase and down for the next. Measured: every frame's wait for its ACK as the device sees it (the
/// simulator's own line: from its last byte to the ACK), resends, and at the end whether the PACS holds exactly the
/// frames that were acknowledged, once each.
/// </summary>
public static partial class SlowDiskBenchmarks
{
    private const long DiskBytesPerSecond = 10L * 1024 * 1024;
    private const int Side = 1536; // 1536 × 1536 × 16 bits: 4.5 MB a frame

    public static IReadOnlyList<string> Run(bool quick)
    {
        var frames = quick ? 15 : 45;
        using var work = new TempDirectory("bench-slowdisk");
        using var volume = new SmallVolume(Path.Combine(work.Path, "card"), 1024, eager: true);
        using var disk = new ThrottledDisk(volume, DiskBytesPerSecond);
        var pacsPort = FreePort.Get();
        var pacs = new DcmtkStoreScp("PACS", port: pacsPort);
        var receivedFiles = new List<string>();
        using var cable = new SocatPair(work.Path);
        var profile = Path.Combine(work.Path, "detector.json");
        File.WriteAllText(profile, File.ReadAllText(Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json"))
            .Replace("\"width\": 512", $"\"width\": {Side}", StringComparison.Ordinal)
            .Replace("\"height\": 512", $"\"height\": {Side}", StringComparison.Ordinal));
        var spool = Path.Combine(volume.Path, "spool");
        var config = Path.Combine(work.Path, "gateway.json");
        File.WriteAllText(config, $$"""
        { "box": { "id": "bench" }, "web": { "enabled": false }, "spool": { "path": "{{spool}}", "minFreeBytes": 0 },
          "device": { "profile": "{{profile}}", "serialPort": "{{cable.GatewayEnd}}", "gpio": false },
          "exam": { "PatientID": "BENCH-1", "PatientName": "Bench^Slow^Disk" },
          "destinations": [ { "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{pacsPort}}, "retryMinSeconds": 1, "retryMaxSeconds": 2 } ] }
        """);
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(60));
        disk.Add(gateway.Id);

        var rows = new List<string>
        {
            $"| phase ({frames} frames of {Side}×{Side}×16, one a second) | acknowledged | resent | ACK after the last byte: p50 | p95 | max | stalls of 3 s during the phase |",
            "|---|---|---|---|---|---|---|",
        };
        using var stalls = new CancellationTokenSource();
        var stallCount = 0;
        var staller = Task.Run(async () =>
        {
            // Every 10 s the card stops taking writes for 3 s (a garbage-collecting SD card, a brown-out of its controller).
            while (!stalls.IsCancellationRequested)
            {
                await Task.Delay(7000, stalls.Token).ContinueWith(_ => { });
                if (stalls.IsCancellationRequested)
                    break;
                disk.Limit(1);
                Interlocked.Increment(ref stallCount);
                await Task.Delay(3000).ConfigureAwait(false);
                disk.Limit(DiskBytesPerSecond);
            }
        });
        var acknowledged = 0;
        foreach (var phase in new[] { "PACS up", "PACS down" })
        {
            if (phase == "PACS down")
            {
                // What phase 1 acquired is delivered first (a PACS stopped mid-object could store one twice, legitimately:
                // its answer lost, the forwarder resends the identical instance — not what is measured here).
                WaitUntilEmpty(spool);
                receivedFiles.AddRange(pacs.ReceivedFiles.Select(Path.GetFileName)!);
                pacs.Dispose();
            }
            var stallsBefore = Volatile.Read(ref stallCount);
            var simulate = ProcessRunner.Run(GatewayExecutable.Path, ["simulate", "--profile", profile, "--device", cable.DeviceEnd,
                "--frames", frames.ToString(CultureInfo.InvariantCulture), "--interval-ms", "1000"], TimeSpan.FromMinutes(15));
            if (simulate.ExitCode != 0)
                throw new InvalidOperationException($"gateway simulate failed ({simulate.ExitCode}): {simulate.All}");
            var waits = AckLine().Matches(simulate.StdOut).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ToList();
            var resent = ResentLine().Match(simulate.StdOut) is { Success: true } r ? int.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
            acknowledged += waits.Count;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {phase} | {waits.Count} of {frames} | {resent} | {waits[waits.Count / 2]:F0} ms | {waits[(int)Math.Min(waits.Count - 1, Math.Ceiling(waits.Count * 0.95) - 1)]:F0} ms | {waits[^1]:F0} ms | {Volatile.Read(ref stallCount) - stallsBefore} |"));
        }
        stalls.Cancel();
        staller.GetAwaiter().GetResult();
        disk.Limit(DiskBytesPerSecond);

        // The PACS back: every acknowledged frame must reach it, once.
        using var back = new DcmtkStoreScp("PACS", port: pacsPort);
        WaitUntilEmpty(spool);
        // storescp names each file after the object's SOP Instance UID: a name twice is an object stored twice.
        var later = back.ReceivedFiles.Select(Path.GetFileName).ToList();
        var total = receivedFiles.Count + later.Count;
        var distinct = receivedFiles.Concat(later).Distinct(StringComparer.Ordinal).Count();
        rows.Add("");
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"Acknowledged to the device: {acknowledged}; held by the PACS at the end: {total} objects, {distinct} distinct (while it was up: {receivedFiles.Count}, after it came back: {later.Count}); " +
            $"{(total == acknowledged && distinct == total ? "every acknowledged frame delivered, once" : "MISMATCH")}. Writes to {disk.Device} throttled to {DiskBytesPerSecond / 1048576} MiB/s."));
        if (total != acknowledged || distinct != total)
            throw new InvalidOperationException(rows[^1]);
        gateway.Kill();
        return rows;
    }

    private static void WaitUntilEmpty(string spool)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (Directory.GetFiles(Path.Combine(spool, "state")).Length > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the spool did not empty while the PACS was up");
            Thread.Sleep(100);
        }
    }

    [GeneratedRegex(@"^frame \d+: acknowledged[^(]*\((\d+) ms after its last byte\)", RegexOptions.Multiline)]
    private static partial Regex AckLine();

    [GeneratedRegex(@"^done: \d+ acknowledged, (\d+) resent", RegexOptions.Multiline)]
    private static partial Regex ResentLine();
}
