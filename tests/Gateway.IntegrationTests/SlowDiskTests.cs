using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #22, the slow-disk scenario as a test: the spool on a card-like volume (ext4 on a loop device whose writes the
/// kernel throttles to 10 MiB/s for the `gateway run` process, a blkio cgroup) that stops taking writes for 5 s —
/// longer than the device's 2 s ACK time-out. The detector (`gateway simulate`) resends the frame it got no answer for,
/// byte-identically, as hardware/README.md tells it to; the gateway answers when the frame is durable, recognises the
/// resend (event 4004) and stores it once. Every frame the device was told is stored reaches storescp, once; none is
/// lost, none doubled. (`scripts/bench.sh slowdisk` measures the same set-up's waits.)
/// </summary>
public sealed partial class SlowDiskTests
{
    [Fact]
    public async Task A_card_that_stalls_longer_than_the_device_waits_loses_no_frame_and_stores_none_twice()
    {
        using var dir = new TempDirectory("slow-disk");
        using var volume = new SmallVolume(Path.Combine(dir.Path, "card"), 256, eager: true);
        using var disk = new ThrottledDisk(volume, 10L << 20);
        using var pacs = new DcmtkStoreScp("PACS");
        using var cable = new SocatPair(dir.Path);
        // 1024 × 1024 × 16 bits (2 MiB, ~0.2 s at the card's speed); the device waits 2 s for an answer.
        var profile = Path.Combine(dir.Path, "detector.json");
        File.WriteAllText(profile, File.ReadAllText(Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json"))
            .Replace("\"width\": 512", "\"width\": 1024", StringComparison.Ordinal)
            .Replace("\"height\": 512", "\"height\": 1024", StringComparison.Ordinal)
            .Replace("\"ackTimeoutMs\": 10000", "\"ackTimeoutMs\": 2000", StringComparison.Ordinal));
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{pacs.Port.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1 }""";
        var device = $$"""
            "device": { "profile": "{{profile}}", "serialPort": "{{cable.GatewayEnd}}", "gpio": false },
            "exam": { "PatientID": "SLOW-1", "PatientName": "Test^Slow^Card" },
            """;
        using var gateway = new GatewayProcess(volume.Path, FreePort.Get(), destination, device);
        gateway.Start();
        disk.Add(gateway.Pid);

        const int frames = 6;
        var simulate = Task.Run(() => ProcessRunner.Run(GatewayExecutable.Path, ["simulate", "--profile", profile, "--device", cable.DeviceEnd,
            "--frames", frames.ToString(CultureInfo.InvariantCulture), "--interval-ms", "300"], TimeSpan.FromMinutes(3)));
        // Once two frames are in, the card stalls for 5 s: the next frame's answer comes after the device gave up on it.
        await Until(() => Directory.Exists(Path.Combine(gateway.SpoolPath, "state")) && gateway.SpoolEntries + pacs.ReceivedFiles.Count >= 2,
            TimeSpan.FromSeconds(60), () => "the first frames never arrived: " + gateway.Output);
        disk.Limit(1);
        await Task.Delay(5000);
        disk.Limit(10L << 20);
        var r = await simulate;
        Assert.True(r.ExitCode == 0, r.All);
        var done = DoneLine().Match(r.StdOut);
        Assert.True(done.Success, r.StdOut);
        Assert.Equal(frames, int.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.True(int.Parse(done.Groups[2].Value, CultureInfo.InvariantCulture) >= 1, "the stall did not outlast the device's ACK time-out: " + r.StdOut);
        Assert.Contains("no answer; resending", r.StdOut, StringComparison.Ordinal);

        await Until(() => gateway.SpoolEntries == 0 && pacs.ReceivedFiles.Count >= frames, TimeSpan.FromSeconds(60),
            () => $"{pacs.ReceivedFiles.Count} at the PACS, {gateway.SpoolEntries} still spooled");
        await Task.Delay(1000); // a duplicate would come now
        Assert.Equal(frames, pacs.ReceivedFiles.Count);
        gateway.WaitForOutput("resent identically by the device", TimeSpan.FromSeconds(5));
        var instances = pacs.ReceivedFiles.Select(f => Gateway.Dicom.DicomFile.Open(f).Dataset.GetString(Gateway.Dicom.DicomTags.InstanceNumber)).Order().ToList();
        Assert.Equal(Enumerable.Range(1, frames).Select(i => i.ToString(CultureInfo.InvariantCulture)), instances);
    }

    private static Task Until(Func<bool> condition, TimeSpan timeout, Func<string> why) => Poll.Until(condition, timeout, why);

    [GeneratedRegex(@"^done: (\d+) acknowledged, (\d+) resent", RegexOptions.Multiline)]
    private static partial Regex DoneLine();
}
