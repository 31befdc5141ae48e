using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Dicom.Network;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #7: the sd_notify protocol against a datagram socket the test owns — READY=1 after start-up, WATCHDOG=1
/// periodically and no more once the forwarder is wedged, STOPPING=1 on SIGTERM.
/// </summary>
public sealed class SystemdNotifyTests
{
    /// <summary>A PACS that accepts the association and then never answers a C-STORE (it keeps reading).</summary>
    private static int SilentPacs()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync();
                _ = Task.Run(async () =>
                {
                    var s = client.GetStream();
                    var header = new byte[6];
                    await s.ReadExactlyAsync(header);
                    var body = new byte[(header[2] << 24) | (header[3] << 16) | (header[4] << 8) | header[5]];
                    await s.ReadExactlyAsync(body);
                    var rq = PduParser.ParseAssociateRequest(body);
                    await s.WriteAsync(PduEncoder.AssociateAccept(new AssociateAccept(rq.CalledAE, rq.CallingAE,
                        [.. rq.Contexts.Select(c => new PresentationContextAnswer(c.Id, PresentationContextResult.Acceptance, c.TransferSyntaxes[0]))],
                        new UserInformation { MaxPduLength = 16384 })));
                    var sink = new byte[65536];
                    while (await s.ReadAsync(sink) > 0)
                    {
                    }
                });
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Ready_watchdog_while_alive_silence_when_wedged_and_stopping()
    {
        using var dir = new TempDirectory("notify");
        using var notify = new NotifySocket(Path.Combine(dir.Path, "notify.sock"));
        var pacs = SilentPacs();
        var destination = $$"""{ "name": "silent", "aeTitle": "SILENT", "host": "127.0.0.1", "port": {{pacs.ToString(CultureInfo.InvariantCulture)}} }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination,
            extraConfig: """ "service": { "watchdogStallSeconds": 2 },""",
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path, ["WATCHDOG_USEC"] = "400000" });
        gateway.Start();

        await Until(() => notify.Count("READY=1") == 1 && notify.Count("WATCHDOG=1") >= 3, "READY=1 and watchdog pings", notify);
        Assert.Contains(notify.Received, r => r.Message.StartsWith("STATUS=0 object(s) waiting", StringComparison.Ordinal));

        // Wedge the forwarder: an object for a PACS that never answers.
        Peers.RequirePydicom();
        var send = GatewayExecutable.Run("send", Path.Combine(Peers.PydicomData, "test_files", "CT_small.dcm"), "--to", $"127.0.0.1:{gateway.ScpPort}", "--called", "GATEWAY");
        Assert.True(send.ExitCode == 0, send.All);
        await Until(() => notify.Received.Any(r => r.Message.Contains("watchdog not fed", StringComparison.Ordinal)), "the wedge to be noticed", notify);
        var pingsAtWedge = notify.Count("WATCHDOG=1");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(pingsAtWedge, notify.Count("WATCHDOG=1"));

        ProcessRunner.Run("/bin/kill", ["-TERM", gateway.Pid.ToString(CultureInfo.InvariantCulture)]);
        await Until(() => notify.Count("STOPPING=1") == 1, "STOPPING=1", notify);
    }

    [Fact]
    public async Task A_box_without_destinations_feeds_the_watchdog_and_stops_cleanly()
    {
        // Issue #15 item 1: with no destination (commissioning) the watchdog loop died on Min() of nothing at its first
        // tick, so WATCHDOG=1 never came (systemd killed the box every WatchdogSec) and SIGTERM ended in a crash.
        using var dir = new TempDirectory("notify-empty");
        using var notify = new NotifySocket(Path.Combine(dir.Path, "notify.sock"));
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destinationJson: "",
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path, ["WATCHDOG_USEC"] = "400000" });
        gateway.Start();
        await Until(() => notify.Count("READY=1") == 1 && notify.Count("WATCHDOG=1") >= 3, "READY=1 and watchdog pings with no destination", notify);
        gateway.Terminate();
        Assert.True(gateway.ExitCode == 0, $"exit {gateway.ExitCode}: {gateway.Output}");
        // The socket's reader thread may take the datagram after the exit was seen: waited for, then counted.
        await Until(() => notify.Count("STOPPING=1") >= 1, "STOPPING=1", notify);
        Assert.Equal(1, notify.Count("STOPPING=1"));
        Assert.DoesNotContain("Unhandled exception", gateway.Output, StringComparison.Ordinal);
    }

    private static Task Until(Func<bool> condition, string what, NotifySocket notify) => notify.Until(condition, what);
}
