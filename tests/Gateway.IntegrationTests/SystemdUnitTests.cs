using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #7: the unit file passes `systemd-analyze verify` and scores at most 2.5 in `systemd-analyze security
/// --offline=yes`. Issue #21: the fleet view's unit too, and the native view it starts runs with writable-and-executable
/// memory refused, which its unit asks for.
/// </summary>
public sealed partial class SystemdUnitTests
{
    private static string Unit(string name = "gateway.service") => Path.Combine(Repository.Root, "systemd", name);

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

    [Fact]
    public async Task The_fleet_unit_verifies_cleanly_scores_at_most_1_5_and_its_view_runs_with_memory_that_never_becomes_executable()
    {
        var analyze = Peers.Require("systemd-analyze", "systemd");
        using var dir = new TempDirectory("fleet-unit");
        var copy = Path.Combine(dir.Path, "gateway-fleet.service");
        var env = Path.Combine(dir.Path, "fleet.env");
        File.WriteAllText(env, "FLEET_ARGS=--broker 127.0.0.1:1883\n");
        File.WriteAllText(copy, File.ReadAllText(Unit("gateway-fleet.service"))
            .Replace("/opt/gateway/gateway", DeployedBuild.Front, StringComparison.Ordinal)
            .Replace("/etc/gateway/fleet.env", env, StringComparison.Ordinal));
        var verify = ProcessRunner.Run(analyze, ["verify", copy]);
        Assert.True(verify.ExitCode == 0 && verify.All.Trim().Length == 0, verify.All);

        var security = ProcessRunner.Run(analyze, ["security", "--offline=yes", Unit("gateway-fleet.service")]);
        var m = FleetExposureLine().Match(security.All);
        Assert.True(m.Success, security.All);
        var exposure = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 1.5, $"exposure {exposure}:\n{security.All}");
        var settings = File.ReadAllLines(Unit("gateway-fleet.service")).Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.Contains("MemoryDenyWriteExecute=yes", settings);

        // What MemoryDenyWriteExecute= asks, set by the kernel's own switch (prctl PR_SET_MDWE, Linux 6.3+, kept across
        // execve): the native view serves /metrics and keeps retrying the absent broker, as without it.
        var wrapper = Path.Combine(dir.Path, "mdwe.py");
        File.WriteAllText(wrapper, """
            import ctypes, mmap, os, sys
            if ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
                sys.exit("PR_SET_MDWE: errno %d" % ctypes.get_errno())
            try:
                mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
                sys.exit("PR_SET_MDWE had no effect: a writable and executable mapping was allowed")
            except PermissionError:
                pass
            os.execv(sys.argv[1], sys.argv[1:])
            """);
        var listen = FreePort.Get();
        using var fleet = new PeerProcess(Peers.Require("/usr/bin/python3", "python3"),
            [wrapper, DeployedBuild.Front, "fleet", "--broker", $"127.0.0.1:{FreePort.Get()}", "--listen", $"127.0.0.1:{listen}"]);
        fleet.WaitForOutput("unreachable", TimeSpan.FromSeconds(20));
        using var http = new HttpClient();
        Assert.Contains("target_info", await http.GetStringAsync(new Uri($"http://127.0.0.1:{listen}/metrics")), StringComparison.Ordinal);
        Assert.False(fleet.HasExited, fleet.Output);
    }

    [GeneratedRegex(@"Overall exposure level for gateway\.service: ([0-9.]+)")]
    private static partial Regex ExposureLine();

    [GeneratedRegex(@"Overall exposure level for gateway-fleet\.service: ([0-9.]+)")]
    private static partial Regex FleetExposureLine();
}
