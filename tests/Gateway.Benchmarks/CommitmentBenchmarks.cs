using System.Diagnostics;
using System.Globalization;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #18: the price of Storage Commitment. `gateway run` receives objects on its SCP (`gateway send`) and forwards
/// them to Orthanc, once forgetting each at C-STORE success and once keeping it until Orthanc's commitment report (on a
/// new association to our SCP); timed from the first send to an empty spool, alternating rounds, medians. The state
/// writes per object are counted in a separate run under strace (renames into the spool's state/ directory, and fsyncs of
/// the outcome ledger that the SCP side adds when `localScp.commitment` is on).
/// </summary>
public static class CommitmentBenchmarks
{
    public static IReadOnlyList<string> Run(bool quick)
    {
        var count = quick ? 200 : 2000;
        var dir = NetworkBenchmarks.Folder(quick ? "net-525k-200" : "net-525k", count, 512, 512, 1);
        var rounds = quick ? 1 : 3;
        // (commitment towards Orthanc, the SCP side's outcome ledger on): off, off with the ledger (#18 SCP side), on.
        var variants = new[] { (false, false), (false, true), (true, false) };
        var times = variants.ToDictionary(v => v, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var v in variants)
                times[v].Add(Forward(dir, count, v.Item1, strace: false, ledger: v.Item2).Seconds);
        }
        var small = NetworkBenchmarks.Folder("net-525k-100", 100, 512, 512, 1);
        var rows = new List<string>();
        foreach (var v in variants)
        {
            var median = times[v].Order().ElementAt(times[v].Count / 2);
            var (_, writes, appends) = Forward(small, 100, v.Item1, strace: true, ledger: v.Item2);
            var label = v switch
            {
                (true, _) => "commitment on (report on a new association)",
                (false, true) => "commitment off, localScp.commitment on (outcome ledger)",
                _ => "commitment off",
            };
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {count} × 525 KB into Orthanc, {label} | {median:F1} s | {count / median:F0} objects/s | {writes / 100.0:F1} (+{appends / 100.0:F1} ledger fsyncs) |"));
        }
        return rows;
    }

    private static (double Seconds, int StateWrites, int LedgerSyncs) Forward(string input, int count, bool commitment, bool strace, bool ledger = false)
    {
        using var work = new TempDirectory("bench-commit");
        var scpPort = FreePort.Get();
        using var orthanc = new OrthancPeer(modalities: new Dictionary<string, (string, int)> { ["gateway"] = ("GATEWAY", scpPort) });
        var spool = Path.Combine(work.Path, "spool");
        var config = Path.Combine(work.Path, "gateway.json");
        File.WriteAllText(config, $$"""
        { "box": { "id": "bench" }, "web": { "enabled": false }, "spool": { "path": "{{spool}}", "minFreeBytes": 0 },
          "localScp": { "aeTitle": "GATEWAY", "port": {{scpPort}}, "bind": "127.0.0.1"{{(ledger ? ", \"commitment\": { \"modalities\": [ { \"aeTitle\": \"MODALITY\", \"host\": \"127.0.0.1\", \"port\": 1 } ] }" : "")}} },
          "destinations": [ { "name": "orthanc", "aeTitle": "{{orthanc.AeTitle}}", "host": "127.0.0.1", "port": {{orthanc.DicomPort}}{{(commitment ? ", \"commitment\": { \"sameAssociationSeconds\": 0 }" : "")}} } ] }
        """);
        var trace = Path.Combine(work.Path, "strace.txt");
        using var gateway = strace
            ? new PeerProcess("strace", ["-f", "-e", "trace=rename,renameat,renameat2,fsync,fdatasync", "-y", "-o", trace, GatewayExecutable.Path, "run", "--config", config])
            : new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        var send = ProcessRunner.Run(GatewayExecutable.Path, ["send", input, "--to", $"127.0.0.1:{scpPort}", "--called", "GATEWAY"], TimeSpan.FromMinutes(20));
        if (send.ExitCode != 0)
            throw new InvalidOperationException("gateway send failed: " + send.All[..Math.Min(2000, send.All.Length)]);
        var state = Path.Combine(spool, "state");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(20);
        while (Directory.GetFiles(state).Length > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the spool did not empty: {gateway.Output[^Math.Min(3000, gateway.Output.Length)..]}");
            Thread.Sleep(20);
        }
        clock.Stop();
        if (orthanc.Instances().Count != count)
            throw new InvalidOperationException($"Orthanc holds {orthanc.Instances().Count} instances, not {count}");
        gateway.Kill();
        var writes = strace ? File.ReadLines(trace).Count(l => l.Contains("/state/", StringComparison.Ordinal) && l.Contains(".json\"", StringComparison.Ordinal) && l.Contains("rename", StringComparison.Ordinal)) : 0;
        // fsync of an outcomes segment (strace -y names the descriptor's file).
        var appends = strace ? File.ReadLines(trace).Count(l => l.Contains("sync(", StringComparison.Ordinal) && l.Contains("/outcomes/outcomes-", StringComparison.Ordinal) && l.Contains(".log>", StringComparison.Ordinal)) : 0;
        return (clock.Elapsed.TotalSeconds, writes, appends);
    }
}
