using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #16, start-up: what deploy/publish.sh ships for this machine. `gateway` is the native (ahead-of-time compiled)
/// front: its verbs run with no method compiled at run time and talk to dcmtk as the managed build does; the service
/// verbs are handed over to the managed `gateway-service` beside it, and a front without it says so. `gateway fleet`
/// runs in the front unless its page is asked for (issue #21).
/// </summary>
public sealed class NativeFrontTests
{
    private static string Front => DeployedBuild.Front;

    private static string Service => DeployedBuild.Service;

    private static ProcessResult Run(string exe, IDictionary<string, string>? env, params string[] args) =>
        ProcessRunner.Run(exe, args, TimeSpan.FromMinutes(2), environment: env);

    [Fact]
    public void The_native_gateway_wraps_and_sends_without_compiling_a_method_at_run_time()
    {
        using var dir = new TempDirectory("native-front");
        var pgm = dir.File("frame.pgm");
        var pixels = new byte[64 * 48];
        new Random(16).NextBytes(pixels);
        File.WriteAllBytes(pgm, [.. "P5\n64 48\n255\n"u8.ToArray(), .. pixels]);
        var meta = dir.File("meta.json");
        File.WriteAllText(meta, """{"PatientName": "Dupré^Hélène", "PatientID": "AOT16"}""");
        var dcm = dir.File("native.dcm");
        var wrap = Run(Front, null, "wrap", pgm, "--iod", "sc", "--meta", meta, "--out", dcm);
        Assert.True(wrap.ExitCode == 0, wrap.All);
        Assert.Empty(Dciodvfy.Errors(dcm));

        // The runtime's own switch for listing what its JIT compiles: the managed service lists hundreds of methods
        // for one C-ECHO, the native front has no JIT to list anything.
        using var scp = new DcmtkStoreScp();
        var to = $"127.0.0.1:{scp.Port.ToString(CultureInfo.InvariantCulture)}";
        var nativeJit = dir.File("native-jit.txt");
        var managedJit = dir.File("managed-jit.txt");
        var echo = Run(Front, JitList(nativeJit), "echo", "--to", to, "--called", scp.AeTitle);
        Assert.True(echo.ExitCode == 0, echo.All);
        Assert.Contains("0000 (success)", echo.StdOut, StringComparison.Ordinal);
        var managedEcho = Run(Service, JitList(managedJit), "echo", "--to", to, "--called", scp.AeTitle);
        Assert.True(managedEcho.ExitCode == 0, managedEcho.All);
        Assert.False(File.Exists(nativeJit) && File.ReadAllText(nativeJit).Length > 0, "the native gateway compiled methods at run time");
        Assert.True(File.ReadLines(managedJit).Count() > 50, "the switch that lists JIT-compiled methods had no effect on the managed service");

        var send = Run(Front, null, "send", dcm, "--to", to, "--called", scp.AeTitle);
        Assert.True(send.ExitCode == 0, send.All);
        Assert.Contains("1 of 1 stored", send.StdOut, StringComparison.Ordinal);
        var received = Gateway.Dicom.DicomFile.Open(Assert.Single(scp.ReceivedFiles));
        Assert.Equal(pixels, received.Dataset.GetBuffer(Gateway.Dicom.DicomTags.PixelData).Memory.ToArray());
        Assert.Equal("Dupré^Hélène", received.Dataset.GetString(Gateway.Dicom.DicomTags.PatientName));
    }

    [Fact]
    public void Service_verbs_are_handed_to_gateway_service_and_a_front_without_it_says_so()
    {
        using var dir = new TempDirectory("native-handover");
        var spool = dir.File("spool");
        Directory.CreateDirectory(spool);
        var list = Run(Front, null, "spool", "list", "--spool", spool);
        Assert.True(list.ExitCode == 0, list.All);
        Assert.Contains("0 entries", list.StdOut, StringComparison.Ordinal);

        // The service's own validation answers, with its exit code for bad input.
        var config = dir.File("gateway.json");
        File.WriteAllText(config, """{ "box": { "id": "" } }""");
        var check = Run(Front, null, "run", "--check", "--config", config);
        Assert.Equal(2, check.ExitCode);
        Assert.Contains("box.id", check.All, StringComparison.Ordinal);

        // Only the front, copied elsewhere: its own verbs work, a service verb names what is missing.
        var alone = dir.File("alone");
        Directory.CreateDirectory(alone);
        var front = Path.Combine(alone, "gateway");
        File.Copy(Front, front);
        File.SetUnixFileMode(front, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Assert.Equal(0, Run(front, null, "--version").ExitCode);
        var run = Run(front, null, "run", "--check", "--config", config);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(Path.Combine(alone, "gateway-service") + ", which is missing", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_fleet_view_runs_in_the_native_front_reads_its_configuration_strictly_and_hands_its_page_to_gateway_service()
    {
        using var dir = new TempDirectory("native-fleet");
        // The configuration through the front's source-generated contract: every problem named, as the managed reader
        // does — a wrong kind and an unknown key; unknown keys alone, then the file's own rules; null for a section.
        foreach (var (json, said) in new[]
        {
            ("""{ "healthIntervalSeconds": "5", "limits": { "maxBox": 10 } }""", new[] { "healthIntervalSeconds: must be a number, not the text \"5\"", "limits.maxBox: unknown key (known here: eventsPerBox, maxBoxes, maxPayloadBytes)" }),
            ("""{ "limits": { "maxBox": 10 }, "alarms": { "offlineMinutes": -1 } }""", ["limits.maxBox: unknown key", "alarms.offlineMinutes: -1 must be above 0"]),
            ("""{ "alarms": null }""", ["alarms: must be an object { … } (e.g. {} for the defaults), not null"]),
        })
        {
            var bad = dir.File("bad.json");
            File.WriteAllText(bad, json);
            var refused = Run(Front, null, "fleet", "--broker", "127.0.0.1:1", "--config", bad);
            Assert.True(refused.ExitCode == 2, refused.All);
            foreach (var line in said)
                Assert.Contains(line, refused.StdErr, StringComparison.Ordinal);
        }

        // A file that names one threshold keeps every other default (a generated reader must not null them), and the
        // view runs in this process: after start-up /proc/PID/exe is still the native gateway.
        var config = dir.File("fleet.json");
        File.WriteAllText(config, """{ "alarms": { "offlineMinutes": 1 }, /* comments and trailing commas, as in every file the gateway reads */ }""");
        var listen = FreePort.Get();
        using (var fleet = new PeerProcess(Front, ["fleet", "--broker", $"127.0.0.1:{FreePort.Get()}", "--listen", $"127.0.0.1:{listen}", "--config", config]))
        {
            fleet.WaitForOutput("/metrics", TimeSpan.FromSeconds(20));
            Assert.Contains("topics gateway/+/status|health|events", fleet.Output, StringComparison.Ordinal);
            Assert.Equal("gateway", ExecutableOf(fleet.Id));
            using var http = new HttpClient();
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{listen}/metrics"));
            Assert.Contains("gateway_fleet_boxes", metrics, StringComparison.Ordinal);
            // Stopped as systemd stops it: SIGTERM, exit 0.
            ProcessRunner.Run("/bin/kill", ["-TERM", fleet.Id.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(fleet.WaitForExit(TimeSpan.FromSeconds(15)), "gateway fleet did not stop on SIGTERM: " + fleet.Output);
            Assert.Equal(0, fleet.ExitCode);
        }

        // With its page (Razor Pages, not compiled ahead of time) the same process becomes gateway-service.
        using var paged = new PeerProcess(Front, ["fleet", "--broker", $"127.0.0.1:{FreePort.Get()}", "--listen", $"127.0.0.1:{FreePort.Get()}",
            "--listen-page", $"127.0.0.1:{FreePort.Get()}", "--state", dir.File("state")]);
        paged.WaitForOutput("fleet page https://", TimeSpan.FromSeconds(30));
        Assert.Equal("gateway-service", ExecutableOf(paged.Id));
    }

    /// <summary>The file name of what a process runs now (after an execv, the new image): /proc/PID/exe.</summary>
    private static string ExecutableOf(int pid) =>
        Path.GetFileName(new FileInfo($"/proc/{pid}/exe").LinkTarget ?? throw new InvalidOperationException($"/proc/{pid}/exe is no link"));

    private static Dictionary<string, string> JitList(string file) => new()
    {
        ["DOTNET_JitStdOutFile"] = file,
        ["DOTNET_JitDisasmSummary"] = "1",
    };
}
