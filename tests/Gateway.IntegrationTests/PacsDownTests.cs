using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>Issue #5 acceptance: Orthanc is not running for the first 30 s; objects wait in the spool and all arrive once it starts.</summary>
public sealed class PacsDownTests
{
    [Fact]
    public async Task Objects_wait_while_Orthanc_is_down_for_30_seconds_and_all_arrive_when_it_starts()
    {
        using var dir = new TempDirectory("pacs-down");
        var orthancPort = FreePort.Get();
        var destination = $$"""{ "name": "orthanc", "aeTitle": "ORTHANC", "host": "127.0.0.1", "port": {{orthancPort.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1, "retryMaxSeconds": 8 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination);
        gateway.Start();
        var samples = new[] { "CT_small.dcm", "MR_small.dcm", "rtplan.dcm" }.Select(f => Path.Combine(Peers.PydicomData, "test_files", f)).ToArray();
        Peers.RequirePydicom();
        var send = GatewayExecutable.Run(["send", .. samples, "--to", $"127.0.0.1:{gateway.ScpPort}", "--called", "GATEWAY"]);
        Assert.True(send.ExitCode == 0, send.All); // acknowledged: durable in the spool, the PACS is irrelevant here

        await Task.Delay(TimeSpan.FromSeconds(30));
        Assert.Equal(3, gateway.SpoolEntries);
        var list = GatewayExecutable.Run("spool", "list", "--spool", gateway.SpoolPath);
        Assert.Contains("3 pending", list.StdOut);
        Assert.Contains("connection refused", list.StdOut);

        using var orthanc = new OrthancPeer(dicomPort: orthancPort);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (orthanc.Instances().Count < 3 && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        Assert.Equal(3, orthanc.Instances().Count);
        while (gateway.SpoolEntries > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(0, gateway.SpoolEntries);
    }
}
