using System.Globalization;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #22: ten 18 MB DX objects, one at a time, from the moment our SCP acknowledged each (storescu as the
/// modality logs the C-STORE response) to the moment storescp as the PACS holds it, over a 1 Gbit/s link emulated in a
/// private network namespace (e2e/e2e.sh under `unshare -n`: loopback with a 1500-byte MTU and `tc … tbf rate 1gbit`),
/// beside the same bytes as raw TCP over the same link in the same run (e2e/raw_tcp.py). Goal: p50 ≤ 1.25× raw.
/// </summary>
public static class E2eBenchmarks
{
    public static IReadOnlyList<string> Run(bool quick)
    {
        var objects = NetworkBenchmarks.Folder(quick ? "e2e-18mb-3" : "e2e-18mb-10", quick ? 3 : 10, 3000, 3000, 1);
        using var work = new TempDirectory("bench-e2e");
        var script = Path.Combine(Repository.Root, "tests", "Gateway.Benchmarks", "e2e", "e2e.sh");
        var r = ProcessRunner.Run("/usr/bin/unshare", ["-n", script, GatewayExecutable.Path, objects, work.Path], TimeSpan.FromMinutes(10));
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"e2e.sh failed ({r.ExitCode}): {r.All}\n{TryRead(Path.Combine(work.Path, "gateway.log"))}");
        List<double> Times(string kind) => [.. r.StdOut.Split('\n')
            .Select(l => l.Split(' '))
            .Where(p => p.Length == 3 && p[0] == kind)
            .Select(p => long.Parse(p[2], CultureInfo.InvariantCulture) / 1000.0)
            .Order()];
        var raw = Times("raw");
        var ours = Times("gateway");
        static double P50(List<double> t) => t[t.Count / 2];
        var size = new FileInfo(Directory.GetFiles(objects)[0]).Length;
        return
        [
            "| path, one 18 MB object at a time over 1 Gbit/s | objects | p50 | min … max | ratio to raw TCP (p50) |",
            "|---|---|---|---|---|",
            string.Create(CultureInfo.InvariantCulture, $"| raw TCP, the same {size / 1e6:F1} MB (the wire floor) | {raw.Count} | {P50(raw):F0} ms | {raw[0]:F0} … {raw[^1]:F0} ms | 1.00× |"),
            string.Create(CultureInfo.InvariantCulture, $"| our SCP's acknowledgement → storescp holds it (spool, forwarder, C-STORE) | {ours.Count} | {P50(ours):F0} ms | {ours[0]:F0} … {ours[^1]:F0} ms | {P50(ours) / P50(raw):F2}× |"),
        ];
    }

    private static string TryRead(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
