using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>What a crash leaves in spool/incoming before an enqueue is cleared at the next start (never acknowledged, so resent).</summary>
public sealed class IncomingSweepTests
{
    [Fact]
    public void Unacknowledged_leftovers_are_removed_at_start_and_unfinished_series_are_kept()
    {
        using var dir = new TempDirectory("sweep");
        using var pacs = new DcmtkStoreScp();
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(),
            $$"""{ "name": "pacs", "aeTitle": "STORESCP", "host": "127.0.0.1", "port": {{pacs.Port}} }""");
        var incoming = Path.Combine(gateway.SpoolPath, "incoming");
        Directory.CreateDirectory(Path.Combine(incoming, ".incoming"));
        File.WriteAllText(Path.Combine(incoming, "4f2a.dcm"), "renamed by the SCP, not yet enqueued");
        File.WriteAllText(Path.Combine(incoming, ".incoming", "9c1d.part"), "half received");
        File.WriteAllText(Path.Combine(incoming, "acq-77.dcm"), "written, not yet enqueued");
        File.WriteAllText(Path.Combine(incoming, "series-1.frames"), "frames");
        File.WriteAllText(Path.Combine(incoming, "series-1.frames.json"), "{}");
        gateway.Start();
        // A log line (the console logger's thread) may reach the pipe after the "running" line (stdout): waited for.
        gateway.WaitForOutput("3 file(s) never acknowledged to their sender removed", TimeSpan.FromSeconds(30));
        Assert.Equal(["series-1.frames", "series-1.frames.json"], Directory.GetFiles(incoming).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
