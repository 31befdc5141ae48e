using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>Issue #15: a front panel that is configured but not there never stops the service.</summary>
public sealed class FrontPanelServiceTests
{
    [Fact]
    public async Task A_missing_display_is_said_once_and_the_service_runs_and_stops_cleanly()
    {
        using var dir = new TempDirectory("panel-missing");
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destinationJson: "",
            extraConfig: """ "display": { "type": "hd44780", "bus": 250, "retrySeconds": 1 },""");
        gateway.Start();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!gateway.Output.Contains("[4102]", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Contains("[4102]", gateway.Output, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(3)); // retries every second: still said only once
        Assert.Single(gateway.Output.Split('\n'), l => l.Contains("[4102]", StringComparison.Ordinal));
        gateway.Terminate();
        Assert.True(gateway.ExitCode == 0, $"exit {gateway.ExitCode}: {gateway.Output}");
    }
}
