using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>Issue #7: the unit file passes `systemd-analyze verify` and scores at most 2.5 in `systemd-analyze security --offline=yes`.</summary>
public sealed partial class SystemdUnitTests
{
    private static string Unit() => Path.Combine(Repository.Root, "systemd", "gateway.service");

    [Fact]
    public void The_unit_verifies_cleanly()
    {
        var analyze = Peers.Require("systemd-analyze", "systemd");
        using var dir = new TempDirectory("unit");
        // The installed path does not exist on a build machine: verify a copy that starts the gateway we built.
        var copy = Path.Combine(dir.Path, "gateway.service");
        File.WriteAllText(copy, File.ReadAllText(Unit()).Replace("/opt/gateway/gateway", GatewayExecutable.Path, StringComparison.Ordinal));
        var r = ProcessRunner.Run(analyze, ["verify", copy]);
        Assert.True(r.ExitCode == 0 && r.All.Trim().Length == 0, r.All);
    }

    [Fact]
    public void The_unit_exposure_is_at_most_2_5()
    {
        var analyze = Peers.Require("systemd-analyze", "systemd");
        var r = ProcessRunner.Run(analyze, ["security", "--offline=yes", Unit()]);
        var m = ExposureLine().Match(r.All);
        Assert.True(m.Success, r.All);
        var exposure = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.5, $"exposure {exposure}:\n{r.All}");
        // PrivateDevices= would hide the serial ports and GPIO chips; MemoryDenyWriteExecute= breaks the .NET JIT.
        var settings = File.ReadAllLines(Unit()).Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.DoesNotContain(settings, l => l.StartsWith("PrivateDevices=", StringComparison.Ordinal));
        Assert.DoesNotContain(settings, l => l.StartsWith("MemoryDenyWriteExecute=", StringComparison.Ordinal));
        Assert.Contains("DevicePolicy=closed", settings);
        Assert.Contains("Type=notify", settings);
    }

    [GeneratedRegex(@"Overall exposure level for gateway\.service: ([0-9.]+)")]
    private static partial Regex ExposureLine();
}
