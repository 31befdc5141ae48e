using System.Globalization;
using System.Text.Json;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #6 with the real processes: `gateway simulate` plays the flat-panel detector on one end of a socat pty pair,
/// `gateway run` acquires from the other end with the shipped profile, Orthanc receives the objects, and mosquitto
/// carries the box's health and events (issue #7's acceptance: device, PACS and broker all real).
/// </summary>
public sealed class DeviceToPacsTests
{
    [Fact]
    public async Task Frames_from_the_simulated_detector_arrive_in_Orthanc_with_device_and_exam_data_and_the_broker_hears_it()
    {
        using var dir = new TempDirectory("device-pacs");
        using var cable = new SocatPair(dir.Path);
        using var orthanc = new OrthancPeer();
        using var broker = new MosquittoPeer();
        var profile = Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json");
        var destination = $$"""{ "name": "orthanc", "aeTitle": "ORTHANC", "host": "127.0.0.1", "port": {{orthanc.DicomPort.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1 }""";
        var device = $$"""
            "device": { "profile": "{{profile}}", "serialPort": "{{cable.GatewayEnd}}", "gpio": false },
            "exam": { "PatientID": "IT-0001", "PatientName": "Test^Device", "AccessionNumber": "ACC-6" },
            "mqtt": { "host": "127.0.0.1", "port": {{broker.Port.ToString(CultureInfo.InvariantCulture)}}, "healthIntervalSeconds": 1 },
            """;
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, device);
        gateway.Start();
        Assert.Contains($"device fpd-1417-usb on {cable.GatewayEnd}", gateway.Output, StringComparison.Ordinal);
        broker.WaitFor("gateway/it-box/health", h => h.GetProperty("device").GetProperty("link").GetString() == "connected", TimeSpan.FromSeconds(20));
        using var events = broker.Listen("gateway/it-box/events");

        var simulate = await Task.Run(() => GatewayExecutable.Run("simulate", "--profile", profile, "--device", cable.DeviceEnd,
            "--frames", "10", "--corrupt-every", "3", "--noise"));
        Assert.True(simulate.ExitCode == 0, simulate.All);
        Assert.Contains("done: 10 acknowledged, 3 resent", simulate.StdOut, StringComparison.Ordinal);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (orthanc.Instances().Count < 10 && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        var instances = orthanc.Instances();
        Assert.Equal(10, instances.Count);
        foreach (var id in instances)
        {
            var tags = orthanc.SimplifiedTags(id);
            Assert.Equal("IT-0001", tags.GetProperty("PatientID").GetString());
            Assert.Equal("Test^Device", tags.GetProperty("PatientName").GetString());
            Assert.Equal("ACC-6", tags.GetProperty("AccessionNumber").GetString());
            Assert.Equal("125", tags.GetProperty("KVP").GetString());
            Assert.Equal("DX", tags.GetProperty("Modality").GetString());
        }
        Assert.DoesNotContain("IT-0001", gateway.Output, StringComparison.Ordinal); // no patient data in the logs
        Assert.DoesNotContain("Test^Device", gateway.Output, StringComparison.Ordinal);

        var received = events.WaitFor(20, TimeSpan.FromSeconds(30));
        var kinds = received.Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("kind").GetString()).ToList();
        Assert.Equal(10, kinds.Count(k => k == "acquired"));
        Assert.Equal(10, kinds.Count(k => k == "sent"));
        Assert.All(received.Select(e => e.Payload), p => Assert.DoesNotContain("IT-0001", p, StringComparison.Ordinal));
        broker.WaitFor("gateway/it-box/health", h => h.GetProperty("device").GetProperty("acquired").GetInt64() == 10
            && h.GetProperty("destinations")[0].GetProperty("pending").GetInt32() == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_profile_with_mistakes_stops_the_service_with_every_mistake_named()
    {
        using var dir = new TempDirectory("bad-profile");
        var profile = dir.File("bad.json");
        File.WriteAllText(profile, """{ "name": "bad", "serial": { "device": "/dev/x", "baud": 0 }, "frames": { "sync": "ZZ" }, "output": { "iod": "dx" } }""");
        var config = dir.File("gateway.json");
        File.WriteAllText(config, $$"""
            { "spool": { "path": "{{dir.File("spool")}}" },
              "destinations": [ { "name": "p", "aeTitle": "P", "host": "127.0.0.1", "port": 104 } ],
              "device": { "profile": "{{profile}}" } }
            """);
        var r = GatewayExecutable.Run("run", "--config", config);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("device.profile (" + profile + "): serial.baud: 0 is not between 1 and 12000000", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("frames.sync: 'ZZ' is not 1 to 16 bytes of hex", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("output.attributes: DX needs ImagerPixelSpacing and PatientOrientation", r.StdErr, StringComparison.Ordinal);
    }
}
