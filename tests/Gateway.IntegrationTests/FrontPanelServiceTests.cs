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

/// <summary>Issue #15's failure policy: what no restart of a part can help stops the process with 1, said loudly.</summary>
public sealed class FatalErrorTests
{
    [Fact]
    public void A_spool_whose_folders_vanish_stops_the_service_with_exit_1()
    {
        using var dir = new TempDirectory("spool-gone");
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destinationJson: "");
        gateway.Start();
        Directory.Delete(gateway.SpoolPath, recursive: true);
        // Waits for the end of the output too: the exit is seen before the last lines ([3028]) are read from the pipe.
        Assert.True(gateway.WaitForExit(TimeSpan.FromSeconds(60)), "still running: " + gateway.Output);
        Assert.True(gateway.ExitCode == 1, $"exit {gateway.ExitCode}: {gateway.Output}");
        Assert.Contains("[3028]", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_gateway_on_the_same_spool_is_refused_at_once()
    {
        using var dir = new TempDirectory("spool-twice");
        using var first = new GatewayProcess(dir.Path, FreePort.Get(), destinationJson: "");
        first.Start();
        var second = ProcessRunner.Run(GatewayExecutable.Path, ["run", "--config", Path.Combine(dir.Path, "gateway.json")], TimeSpan.FromSeconds(60));
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("in use by another running gateway", second.All, StringComparison.Ordinal);
    }
}
