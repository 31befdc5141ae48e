using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Dicom;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// The README's first command: `gateway demo` runs the whole pipeline with no setup. Judged from outside: the objects
/// its built-in PACS received pass dciodvfy and carry the demo exam; its embedded broker answers mosquitto_sub.
/// </summary>
public sealed partial class DemoTests
{
    [GeneratedRegex(@"embedded broker 127\.0\.0\.1:(\d+)")]
    private static partial Regex BrokerLine();

    [Theory]
    [InlineData("socat")]
    [InlineData("memory")]
    public void The_demo_moves_frames_from_the_simulated_device_to_its_PACS_and_reports_over_MQTT(string cable)
    {
        Peers.Require("socat", "socat");
        var sub = Peers.Require("mosquitto_sub", "mosquitto-clients");
        using var dir = new TempDirectory("demo");
        using var demo = new PeerProcess(GatewayExecutable.Path, ["demo", "--dir", dir.Path, "--seconds", "14", "--cable", cable]);
        demo.WaitForOutput("gateway demo running", TimeSpan.FromSeconds(30));
        var port = int.Parse(BrokerLine().Match(demo.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        string Read(string topic) => ProcessRunner.Run(sub, ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-i", "demo-test",
            "-t", topic, "-v", "-C", "1", "-W", "15"]).StdOut;
        Assert.StartsWith("gateway/demo/status {\"schema\":1,\"boxId\":\"demo\",\"state\":\"online\"", Read("gateway/demo/status"), StringComparison.Ordinal);
        Assert.StartsWith("gateway/demo/health {\"schema\":1,\"boxId\":\"demo\"", Read("gateway/demo/health"), StringComparison.Ordinal);
        Assert.StartsWith("gateway/demo/events {\"schema\":1,\"boxId\":\"demo\"", Read("gateway/demo/events"), StringComparison.Ordinal);

        Assert.True(demo.WaitForExit(TimeSpan.FromSeconds(40)), demo.Output);
        // Issue #15 item 4: the count survived the device's stop ("0 frame(s) acquired" after 12 objects stored).
        Assert.Matches(@"demo stopped: [1-9]\d* frame\(s\) acquired, [1-9]\d* object\(s\) stored by the PACS", demo.Output);
        var objects = Directory.GetFiles(Path.Combine(dir.Path, "pacs"), "*.dcm");
        Assert.NotEmpty(objects);
        foreach (var file in objects)
        {
            Assert.Empty(Dciodvfy.Errors(file));
            Assert.Equal("DEMO-0001", DicomFile.Open(file).Dataset.GetString(DicomTags.PatientID));
        }
    }
}
