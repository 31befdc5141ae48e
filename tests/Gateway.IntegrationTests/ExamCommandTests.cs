using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #17 from a shell, for a technician on SSH or a script (asked for by a RIS engineer who configured the box from
/// the docs alone): `gateway worklist --json` gives each step's key, `gateway exam select KEY` picks it in the running
/// service, `gateway exam` shows it, images follow, `gateway exam end` ends it — and the MPPS SCP (dcmjs-dimse) gets
/// N-CREATE then N-SET COMPLETED; `gateway exam cancel CODE` clears a selection no image was taken for; without a
/// running service the command says so.
/// </summary>
public sealed class ExamCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_step_picked_ended_and_cleared_from_the_shell_gives_the_MPPS_the_page_would()
    {
        using var dir = new TempDirectory("exam-cli");
        using var ris = new WlmscpfsPeer(DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        using var mpps = DcmjsPeer.StartScp("RIS");
        using var pacs = new DcmtkStoreScp("PACS");
        var import = Directory.CreateDirectory(dir.File("import")).FullName;
        var profile = dir.File("profile.json");
        File.WriteAllText(profile, $$"""
            { "schema": 1, "name": "cli-dx", "description": "a DX console exporting PGM files",
              "watchFolder": { "path": "{{import}}", "stableMs": 50, "pollMs": 20 },
              "output": { "iod": "dx", "grouping": "object-per-frame",
                "attributes": { "Manufacturer": "Test", "ImagerPixelSpacing": [0.2, 0.2], "PatientOrientation": ["L", "F"] } } }
            """);
        var extra = $$"""
              "device": { "profile": "{{profile}}", "gpio": false },
              "worklist": { "aeTitle": "WLSCP", "host": "127.0.0.1", "port": {{ris.Port}}, "callingAeTitle": "ROOM7", "refreshSeconds": 60,
                "query": { "scheduledStationAeTitle": "ROOM7", "modality": "DX", "daysBefore": 1, "daysAfter": 1 } },
              "mpps": { "aeTitle": "RIS", "host": "127.0.0.1", "port": {{mpps.Port}}, "callingAeTitle": "ROOM7", "retryMinSeconds": 0.5, "retryMaxSeconds": 1, "timeoutSeconds": 5 },
            """;
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{pacs.Port}}, "retryMinSeconds": 0.2, "retryMaxSeconds": 1 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, extra);
        var config = Path.Combine(dir.Path, "gateway.json");

        var stopped = GatewayExecutable.Run("exam", "--config", config);
        Assert.Equal(1, stopped.ExitCode);
        Assert.Contains("no running gateway answers", stopped.StdErr, StringComparison.Ordinal);

        gateway.Start();
        // `exam select` looks in the list the service fetched: its first fetch runs beside the start, so it is waited for.
        gateway.WaitForOutput("[7001]", Patience);
        var list = GatewayExecutable.Run("worklist", "--config", config, "--json");
        Assert.True(list.ExitCode == 0, list.All);
        var keys = FindTests.Matches(list).ToDictionary(m => FindTests.Text(m, "00100020")!, m => m.GetProperty("key").GetString()!);
        Assert.Matches("^[0-9a-f]{32}$", keys["WL-1"]);
        var text = GatewayExecutable.Run("worklist", "--config", config);
        Assert.Contains($"    key: {keys["WL-1"]}", text.StdOut, StringComparison.Ordinal);

        var none = GatewayExecutable.Run("exam", "--config", config);
        Assert.True(none.ExitCode == 0, none.All);
        Assert.StartsWith("no exam", none.StdOut, StringComparison.Ordinal);
        var unknown = GatewayExecutable.Run("exam", "select", "0123456789abcdef0123456789abcdef", "--config", config);
        Assert.Equal(1, unknown.ExitCode);
        var bad = GatewayExecutable.Run("exam", "select", "../etc", "--config", config);
        Assert.Equal(2, bad.ExitCode);

        var select = GatewayExecutable.Run("exam", "select", keys["WL-1"], "--config", config);
        Assert.True(select.ExitCode == 0, select.All + gateway.Output);
        Assert.Contains("selected from the worklist", select.StdOut, StringComparison.Ordinal);
        Assert.Contains("ID WL-1", select.StdOut, StringComparison.Ordinal);
        var early = GatewayExecutable.Run("exam", "end", "--config", config);
        Assert.Equal(1, early.ExitCode); // no image yet: nothing to end (cancel clears it)

        var pixels = Enumerable.Range(0, 64 * 48).SelectMany(i => new[] { (byte)(i >> 8 & 0x0F), (byte)i }).ToArray();
        File.WriteAllBytes(Path.Combine(import, ".x.tmp"), [.. System.Text.Encoding.ASCII.GetBytes("P5\n64 48\n4095\n"), .. pixels]);
        File.Move(Path.Combine(import, ".x.tmp"), Path.Combine(import, "exposure-1.pgm"));
        var deadline = DateTime.UtcNow + Patience;
        while (pacs.ReceivedFiles.Count == 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(100);
        Assert.Single(pacs.ReceivedFiles);
        var show = GatewayExecutable.Run("exam", "show", "--config", config);
        Assert.Contains("in progress, 1 image(s)", show.StdOut, StringComparison.Ordinal);
        var other = GatewayExecutable.Run("exam", "select", keys["WL-3"], "--config", config);
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("in progress", other.StdErr, StringComparison.Ordinal);

        var end = GatewayExecutable.Run("exam", "end", "--config", config);
        Assert.True(end.ExitCode == 0, end.All);
        var requests = mpps.WaitFor(l => l.Count(m => m.Event == "request") == 2, Patience).Where(m => m.Event == "request").ToList();
        Assert.Equal(["N-CREATE", "N-SET"], requests.Select(r => r.Command));
        Assert.Equal("COMPLETED", requests[1].Text("00400252"));
        Assert.Equal("WL-1", requests[0].Text("00100020"));

        // A wrong step picked: cancel clears it, nothing goes to the RIS.
        Assert.Equal(0, GatewayExecutable.Run("exam", "select", keys["WL-2"], "--config", config).ExitCode);
        var reasons = GatewayExecutable.Run("exam", "reasons");
        Assert.Contains("110501  Equipment failure", reasons.StdOut, StringComparison.Ordinal);
        var cancel = GatewayExecutable.Run("exam", "cancel", "110502", "--config", config);
        Assert.True(cancel.ExitCode == 0, cancel.All);
        Assert.StartsWith("no exam", GatewayExecutable.Run("exam", "--config", config).StdOut, StringComparison.Ordinal);
        Thread.Sleep(1500);
        Assert.Equal(2, mpps.Requests().Count);
        // The journal names actions, never the patient.
        Assert.DoesNotContain("WL-1", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Müller", gateway.Output, StringComparison.Ordinal);
    }
}
