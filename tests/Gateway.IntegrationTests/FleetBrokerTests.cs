using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #21's distributed part with real brokers, from the files README "Running a fleet" shows (deploy/mosquitto):
/// the ACL refuses a box writing as another; a box behind a site broker (bridged to the centre over TLS) and a box
/// connected directly to the centre over TLS both appear in the central fleet view, whose alarms flow back to the
/// site; a site whose broker dies goes offline at the centre (its boxes fall silent; the bridge's will says 0).
/// </summary>
public sealed class FleetBrokerTests
{
    private const string FleetUser = FleetBrokers.FleetUser;

    [Fact]
    public void Acl_refuses_a_box_writing_as_another_box_and_the_fleet_user_writes_only_alarms()
    {
        using var brokers = new FleetBrokers([], ["ward-a", "ward-b"]);
        var central = brokers.Central;
        using var everything = new PeerProcess(Peers.Require("mosquitto_sub", "mosquitto-clients"),
            [.. central.ClientArgs(FleetUser), "-t", "gateway/#", "-v"]);
        // The subscription is active once one of box A's own messages comes through.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        for (var i = 0; !everything.Output.Contains("ready-", StringComparison.Ordinal); i++)
        {
            Assert.True(DateTime.UtcNow < deadline, "box A's own messages never reached the fleet user: " + everything.Output + central.Output);
            Assert.Equal(0, central.Publish("gateway/ward-a/events", string.Create(CultureInfo.InvariantCulture, $"ready-{i}"), "ward-a").ExitCode);
            Thread.Sleep(200);
        }

        // Box A writes under box B's id: the broker says no (MQTT 5 carries the refusal back) and delivers nothing.
        var forged = central.Publish("gateway/ward-b/health", "forged-health", "ward-a", mqtt5: true);
        Assert.Contains("Not authorized", forged.All, StringComparison.Ordinal);
        central.Publish("gateway/ward-b/status", "forged-status", "ward-a", retain: true);
        central.Publish("gateway/fleet/alarms/ward-b", "forged-alarm", "ward-a");
        // The fleet user may write the alarms and nothing a box says.
        central.Publish("gateway/ward-a/status", "forged-by-fleet", FleetUser);
        Assert.Equal(0, central.Publish("gateway/fleet/alarms/ward-a", "alarm-by-fleet", FleetUser).ExitCode);
        // A wrong password does not get in at all.
        var intruder = ProcessRunner.Run(Peers.Require("mosquitto_pub", "mosquitto-clients"),
            ["-h", "localhost", "-p", central.Port.ToString(CultureInfo.InvariantCulture), "--cafile", brokers.Certificates.CaFile,
             "-u", "ward-b", "-P", "not-the-password", "-t", "gateway/ward-b/health", "-m", "intruder", "-q", "1"]);
        Assert.NotEqual(0, intruder.ExitCode);
        Assert.Equal(0, central.Publish("gateway/ward-a/health", "genuine-last", "ward-a").ExitCode);

        var deadline2 = DateTime.UtcNow.AddSeconds(10);
        while (!everything.Output.Contains("genuine-last", StringComparison.Ordinal) && DateTime.UtcNow < deadline2)
            Thread.Sleep(50);
        var seen = everything.Output;
        Assert.Contains("gateway/ward-a/health genuine-last", seen, StringComparison.Ordinal);
        Assert.Contains("gateway/fleet/alarms/ward-a alarm-by-fleet", seen, StringComparison.Ordinal);
        foreach (var refused in new[] { "forged-health", "forged-status", "forged-alarm", "forged-by-fleet", "intruder" })
            Assert.DoesNotContain(refused, seen, StringComparison.Ordinal);
        // Nor was the forged status retained: a new subscriber to box B gets nothing.
        Assert.Empty(central.Subscribe("gateway/ward-b/#", 1, TimeSpan.FromSeconds(2), FleetUser));
    }

    [Fact]
    public void Site_box_over_the_tls_bridge_and_direct_box_show_at_the_centre_alarms_flow_back_and_a_cut_site_goes_offline()
    {
        using var dir = new TempDirectory("fleet-bridge");
        using var brokers = new FleetBrokers(["ward-a"], ["ward-c"]);
        using var pacs = new DcmtkStoreScp();
        var site = brokers.Site;
        var central = brokers.Central;
        Directory.CreateDirectory(Path.Combine(dir.Path, "a"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "c"));
        // Box A at the site (plain MQTT on the site's network), box C straight to the centre over TLS.
        using var boxA = new GatewayProcess(Path.Combine(dir.Path, "a"), FreePort.Get(), Destination(pacs.Port),
            Mqtt("127.0.0.1", site.Port, "ward-a", brokers.Password("ward-a"), caFile: null), boxId: "ward-a");
        using var boxC = new GatewayProcess(Path.Combine(dir.Path, "c"), FreePort.Get(), Destination(pacs.Port),
            Mqtt("localhost", central.Port, "ward-c", brokers.Password("ward-c"), brokers.Certificates.CaFile), boxId: "ward-c");
        boxA.Start();
        boxC.Start();

        // disk-low far above any disk: every box has an alarm to send back; offline after 3 s of silence.
        var config = dir.File("fleet.json");
        File.WriteAllText(config, """{ "healthIntervalSeconds": 1, "alarms": { "offlineMinutes": 0.05, "diskFreeBelowMiB": 10000000 } }""");
        var listen = FreePort.Get();
        using var fleet = new PeerProcess(DeployedBuild.Front,
            ["fleet", "--broker", $"localhost:{central.Port}", "--tls-ca", brokers.Certificates.CaFile, "--user", FleetUser,
             "--password-file", brokers.PasswordFile(FleetUser), "--listen", $"127.0.0.1:{listen}", "--config", config]);
        fleet.WaitForOutput("/metrics", TimeSpan.FromSeconds(20));

        Until(() => Up(listen, "ward-a") == 1 && Up(listen, "ward-c") == 1, TimeSpan.FromSeconds(60),
            () => $"the centre does not show both boxes online: {PrometheusText.Get(listen)}\nfleet: {fleet.Output}\nsite: {site.Output}\ncentral: {central.Output}");
        Assert.Equal("1", central.Subscribe(FleetBrokers.BridgeNotification, 1, TimeSpan.FromSeconds(5)).Single().Payload);

        // The central view's alarm of the site's box comes back over the bridge: the site has it (retained).
        var back = site.WaitFor("gateway/fleet/alarms/ward-a",
            j => j.GetProperty("alarms").EnumerateArray().Any(a => a.GetProperty("kind").GetString() == "disk-low"), TimeSpan.FromSeconds(30));
        Assert.Equal("ward-a", back.GetProperty("boxId").GetString());

        // The site broker dies: no will of box A reaches the centre (its broker is gone), the bridge's will does (0);
        // the view sees box A fall silent, shows it down and raises the offline alarm; box C is untouched.
        site.Stop();
        Until(() => central.Subscribe(FleetBrokers.BridgeNotification, 1, TimeSpan.FromSeconds(2)).SingleOrDefault().Payload == "0", TimeSpan.FromSeconds(60),
            () => "the centre never published the bridge's will: " + central.Output);
        var offline = central.WaitFor("gateway/fleet/alarms/ward-a",
            j => j.GetProperty("alarms").EnumerateArray().Any(a => a.GetProperty("kind").GetString() == "offline"), TimeSpan.FromSeconds(60));
        Assert.Equal("ward-a", offline.GetProperty("boxId").GetString());
        Assert.True(Up(listen, "ward-a") == 0 && Up(listen, "ward-c") == 1, PrometheusText.Get(listen));

        // The site comes back: the box reconnects on its own, the bridge carries it again, the alarm clears.
        site.Start();
        Until(() => Up(listen, "ward-a") == 1, TimeSpan.FromSeconds(90), () => $"box A never came back: {PrometheusText.Get(listen)}\n{boxA.Output}");
        central.WaitFor("gateway/fleet/alarms/ward-a",
            j => j.GetProperty("alarms").EnumerateArray().All(a => a.GetProperty("kind").GetString() != "offline"), TimeSpan.FromSeconds(30));
        Assert.Equal("1", central.Subscribe(FleetBrokers.BridgeNotification, 1, TimeSpan.FromSeconds(5)).Single().Payload);

        // Box A taken out of service, as README "Running a fleet" says, at its own broker (the site's: deleted only at
        // the centre, the bridge would carry the site's retained copy back after its next reconnect). The deletion
        // crosses the bridge, the view drops the box and deletes its alarm at the centre, and that deletion crosses
        // the bridge back: neither broker keeps an alarm of box A.
        boxA.Kill();
        var pub = Peers.Require("mosquitto_pub", "mosquitto-clients");
        foreach (var leaf in new[] { "status", "health" })
        {
            var r = ProcessRunner.Run(pub, [.. site.ClientArgs("ward-a"), "-q", "1", "-t", $"gateway/ward-a/{leaf}", "-r", "-n"]);
            Assert.True(r.ExitCode == 0, r.All);
        }
        Until(() => Up(listen, "ward-a") is null, TimeSpan.FromSeconds(30), () => $"the view still shows box A: {PrometheusText.Get(listen)}\nfleet: {fleet.Output}");
        Until(() => central.Subscribe("gateway/fleet/alarms/ward-a", 1, TimeSpan.FromSeconds(1)).Count == 0, TimeSpan.FromSeconds(30),
            () => "the centre keeps box A's alarm: " + central.Output);
        Until(() => site.Subscribe("gateway/fleet/alarms/ward-a", 1, TimeSpan.FromSeconds(1)).Count == 0, TimeSpan.FromSeconds(30),
            () => "the site keeps box A's alarm (the deletion did not cross the bridge): " + site.Output);
        Assert.Equal(1, Up(listen, "ward-c"));
    }

    [Fact]
    public void Readme_shows_the_broker_files_the_tests_run()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        foreach (var name in new[] { "central.conf", "site.conf", "acl" })
        {
            var text = File.ReadAllText(FleetBrokers.DeployFile(name)).TrimEnd('\n');
            Assert.True(readme.Contains(text, StringComparison.Ordinal), $"README \"Running a fleet\" does not show deploy/mosquitto/{name} as it is");
        }
    }

    private static double? Up(int metricsPort, string box) =>
        PrometheusText.BoxUp(PrometheusText.Get(metricsPort)).TryGetValue(box, out var v) ? v : null;

    private static string Mqtt(string host, int port, string user, string password, string? caFile)
    {
        var tls = caFile is null ? "" : ", \"tls\": { \"caFile\": \"" + caFile + "\" }";
        return string.Create(CultureInfo.InvariantCulture,
            $$"""

              "mqtt": { "host": "{{host}}", "port": {{port}}, "username": "{{user}}", "password": "{{password}}", "healthIntervalSeconds": 1{{tls}} },
            """);
    }

    private static string Destination(int port) => string.Create(CultureInfo.InvariantCulture,
        $$"""{ "name": "pacs", "aeTitle": "STORESCP", "host": "127.0.0.1", "port": {{port}}, "retryMinSeconds": 1 }""");

    private static void Until(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(what());
            Thread.Sleep(250);
        }
    }
}
