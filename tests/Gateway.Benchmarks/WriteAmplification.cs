using System.Globalization;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #22: what the spool costs an SD card. `gateway run` keeps its spool on an ext4 volume of its own (a loop
/// device, made and mounted here), receives objects on its SCP from `gateway send` and forwards them to storescp; the
/// objects go through enqueue → delivery → deletion. Measured on the loop device's own counters
/// (/sys/block/loopN/stat, sectors written — data, metadata and the ext4 journal, which is what the card sees; nothing
/// else writes to that volume) after `sync -f`, and beside it the bytes the gateway process itself caused to be
/// written (/proc/PID/io write_bytes). Reported per object: device bytes ÷ object size, and the overhead beyond the
/// object in KB. The goal of the issue: ≤ 1.05 × size + 16 KB per object.
/// </summary>
public static class WriteAmplification
{
    /// <param name="volumes">mkfs.ext4 -O features of the spool's volume, one run each: null is mkfs's defaults,
    /// <c>fast_commit</c> the volume README "Operations" advises.</param>
    public static IReadOnlyList<string> Run(bool quick, IReadOnlyList<string?> volumes)
    {
        var rows = new List<string>
        {
            "| object | volume | objects | written to the device | per object | ÷ object size | beyond the object, per object | journal commits per object | fast commits per object | by the gateway process (write_bytes) | aim ≤ 1.05 × size + 16 KB |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        };
        foreach (var features in volumes)
        foreach (var (label, columns, rows_, count) in new[] { ("33 KB (128×128×16)", 128, 128, quick ? 100 : 500), ("525 KB (512×512×16)", 512, 512, quick ? 50 : 200), ("18 MB (3000×3000×16)", 3000, 3000, quick ? 3 : 10) })
        {
            var input = NetworkBenchmarks.Folder($"wa-{columns}-{count}", count, columns, rows_, 1);
            var size = new FileInfo(Directory.GetFiles(input)[0]).Length;
            var (device, process, commits, fast) = Measure(input, count, features);
            var perObject = (double)device / count;
            var volume = features is null ? "ext4 (mkfs defaults)" : $"ext4 -O {features}";
            var met = perObject <= 1.05 * size + 16 * 1024 ? "met" : "not met";
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {volume} | {count} | {device / 1048576.0:F1} MB | {perObject / 1024:F0} KB | {perObject / size:F3} | {(perObject - size) / 1024:F1} KB | {(double)commits / count:F2} | {(double)fast / count:F2} | {(double)process / count / 1024:F0} KB | {met} |"));
        }
        return rows;
    }

    private static (long DeviceBytes, long ProcessBytes, long JournalCommits, long FastCommits) Measure(string input, int count, string? features)
    {
        using var work = new TempDirectory("bench-wa");
        using var volume = new SmallVolume(Path.Combine(work.Path, "spool-volume"), 1024, eager: true, features);
        using var pacs = new DcmtkStoreScp("PACS");
        var scpPort = FreePort.Get();
        var spool = Path.Combine(volume.Path, "spool");
        var config = Path.Combine(work.Path, "gateway.json");
        File.WriteAllText(config, $$"""
        { "box": { "id": "bench" }, "web": { "enabled": false }, "spool": { "path": "{{spool}}", "minFreeBytes": 0 },
          "localScp": { "aeTitle": "GATEWAY", "port": {{scpPort}}, "bind": "127.0.0.1" },
          "destinations": [ { "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{pacs.Port}} } ] }
        """);
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(60));
        var device0 = volume.SectorsWritten();
        var commits0 = volume.JournalCommits();
        var fast0 = FastCommits(volume);
        var process0 = WriteBytes(gateway.Id);
        var send = ProcessRunner.Run(GatewayExecutable.Path, ["send", input, "--to", $"127.0.0.1:{scpPort}", "--called", "GATEWAY"], TimeSpan.FromMinutes(20));
        if (send.ExitCode != 0)
            throw new InvalidOperationException("gateway send failed: " + send.All[..Math.Min(2000, send.All.Length)]);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(20);
        while (Directory.GetFiles(Path.Combine(spool, "state")).Length > 0 || Directory.GetFiles(Path.Combine(spool, "objects")).Length > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the spool did not empty: {gateway.Output[^Math.Min(3000, gateway.Output.Length)..]}");
            Thread.Sleep(20);
        }
        var process1 = WriteBytes(gateway.Id);
        var device1 = volume.SectorsWritten();
        var commits1 = volume.JournalCommits();
        if (pacs.ReceivedFiles.Count != count)
            throw new InvalidOperationException($"storescp holds {pacs.ReceivedFiles.Count} objects, not {count}");
        var fast1 = FastCommits(volume);
        gateway.Kill();
        return ((device1 - device0) * 512, process1 - process0, commits1 - commits0, fast1 - fast0);
    }

    /// <summary>ext4's fast commits on the volume so far (the "N commits" line of /proc/fs/ext4/loopN/fc_info); 0 without the feature.</summary>
    private static long FastCommits(SmallVolume volume)
    {
        var info = $"/proc/fs/ext4/{volume.Device["/dev/".Length..]}/fc_info";
        if (!File.Exists(info))
            return 0;
        var line = File.ReadLines(info).FirstOrDefault(l => l.EndsWith(" commits", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[..line.IndexOf(' ')], CultureInfo.InvariantCulture);
    }

    private static long WriteBytes(int pid) =>
        File.ReadLines($"/proc/{pid}/io").Where(l => l.StartsWith("write_bytes:", StringComparison.Ordinal))
            .Select(l => long.Parse(l["write_bytes:".Length..].Trim(), CultureInfo.InvariantCulture)).Single();
}
