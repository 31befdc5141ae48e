using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #15's failure policy against the real `gateway run`, with real faults and a notify socket the test owns. A
/// forwarder worker whose spool volume is full logs the cause (2005), is down while it backs off — the watchdog is not
/// fed — and delivers once the volume has room again. A broker that is killed is a fault the telemetry part rides out
/// by itself: the loss is logged with its cause (5003), the watchdog is fed throughout, and telemetry connects again
/// when the broker is back. (The device's restart: Gateway.Host.Tests' FailurePolicyTests; the spool that vanishes:
/// FatalErrorTests.)
/// </summary>
public sealed class FailurePolicyTests
{
    private static readonly Dictionary<string, string> Watchdog = new() { ["WATCHDOG_USEC"] = "400000" };

    [Fact]
    public async Task A_forwarder_worker_on_a_full_spool_volume_is_logged_named_in_the_status_keeps_the_box_fed_and_delivers_once_there_is_room()
    {
        using var dir = new TempDirectory("policy-forwarder");
        using var notify = new NotifySocket(Path.Combine(dir.Path, "notify.sock"));
        var pacsPort = FreePort.Get();
        // The PACS is not there yet: the object waits in the spool, retried every second.
        var destination = $$"""{ "name": "pacs", "aeTitle": "STORESCP", "host": "127.0.0.1", "port": {{pacsPort.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1, "retryMaxSeconds": 1 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination,
            environment: new Dictionary<string, string>(Watchdog) { ["NOTIFY_SOCKET"] = notify.Path });
        using var volume = new SmallVolume(gateway.SpoolPath, 16);
        gateway.Start();
        // Said at start, before "running" (log 3049): the volume is ext4 with a journal, renames made durable by the file's fsync.
        Assert.Contains(gateway.Output.Split('\n'), l => l.Contains("[3049]", StringComparison.Ordinal) && l.Contains("ext4 with a journal on loop", StringComparison.Ordinal));
        Peers.RequirePydicom();
        var send = GatewayExecutable.Run("send", Path.Combine(Peers.PydicomData, "test_files", "CT_small.dcm"), "--to", $"127.0.0.1:{gateway.ScpPort}", "--called", "GATEWAY");
        Assert.True(send.ExitCode == 0, send.All);
        Assert.Equal(1, gateway.SpoolEntries);

        // The next retry cannot record itself: no space left on the spool's volume.
        volume.Fill();
        bool Failing(string m) => m.StartsWith("STATUS=forwarder worker for pacs failing", StringComparison.Ordinal);
        await notify.Until(() => notify.Messages.Any(Failing), "a STATUS naming the failing worker");
        // Alive and retrying is not wedged: the pings go on while the worker backs off (a restart would not free the volume).
        var firstFailing = notify.Messages.ToList().FindIndex(m => Failing(m));
        // The log line comes through the console logger's thread and the pipe, not with the STATUS: waited for too.
        bool NoSpaceLogged() => gateway.Output.Split('\n').Any(l => l.Contains("[2005]", StringComparison.Ordinal) && l.Contains("No space left on device", StringComparison.Ordinal));
        await notify.Until(() => notify.Messages.Skip(firstFailing).Count(m => m == "WATCHDOG=1") >= 3 && NoSpaceLogged(), "pings while the worker backs off, and the cause logged");
        Assert.Contains(gateway.Output.Split('\n'), l => l.Contains("[2005]", StringComparison.Ordinal) && l.Contains("No space left on device", StringComparison.Ordinal));

        // Room again and the PACS up: the same worker delivers the object, and the box is fed as usual.
        volume.Free();
        using var pacs = new DcmtkStoreScp(port: pacsPort);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (pacs.ReceivedFiles.Count == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Single(pacs.ReceivedFiles);
        var pings = notify.Count("WATCHDOG=1");
        await notify.Until(() => notify.Count("WATCHDOG=1") > pings && gateway.SpoolEntries == 0, "pings after the delivery and an empty spool");
        gateway.Terminate();
        Assert.True(gateway.ExitCode == 0, $"exit {gateway.ExitCode}: {gateway.Output}");
    }

    [Fact]
    public async Task A_killed_broker_is_logged_with_its_cause_the_watchdog_stays_fed_and_telemetry_connects_again()
    {
        using var dir = new TempDirectory("policy-telemetry");
        using var notify = new NotifySocket(Path.Combine(dir.Path, "notify.sock"));
        using var broker = new MosquittoPeer();
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destinationJson: "",
            extraConfig: $$""" "mqtt": { "host": "127.0.0.1", "port": {{broker.Port.ToString(CultureInfo.InvariantCulture)}}, "healthIntervalSeconds": 1 },""",
            environment: new Dictionary<string, string>(Watchdog) { ["NOTIFY_SOCKET"] = notify.Path });
        gateway.Start();
        int Lines(string id) => gateway.Output.Split('\n').Count(l => l.Contains(id, StringComparison.Ordinal));
        await notify.Until(() => Lines("[5001]") == 1, "MQTT connected");

        broker.Stop();
        await notify.Until(() => Lines("[5003]") == 1 && Lines("[5002]") >= 1, "the lost connection and the first retry said");
        Assert.Contains(gateway.Output.Split('\n'), l => l.Contains("[5003]", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{broker.Port}", StringComparison.Ordinal));
        // An unreachable broker is not a dead part: the pings go on while it is away.
        var pings = notify.Count("WATCHDOG=1");
        await notify.Until(() => notify.Count("WATCHDOG=1") >= pings + 3, "pings while the broker is away");
        Assert.Equal(1, Lines("[5001]")); // still away: no reconnect yet

        broker.Start();
        await notify.Until(() => Lines("[5001]") == 2, "MQTT connected again");
        Assert.DoesNotContain(notify.Messages, m => m.Contains("telemetry failed", StringComparison.Ordinal));
        Assert.DoesNotContain("[3023]", gateway.Output, StringComparison.Ordinal);
        gateway.Terminate();
        Assert.True(gateway.ExitCode == 0, $"exit {gateway.ExitCode}: {gateway.Output}");
    }
}
