using System.Diagnostics;
using System.Globalization;
using Gateway.Dicom;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issues #4 and #9: `gateway send` against dcmtk's `storescu` and `dcmsend`, all into the same `storescp`, which runs
/// with `--ignore` (receives every byte, stores nothing) so only the senders and the wire are measured. The receiving
/// storescp runs once with `TCP_NODELAY=1` (dcmtk at its best) and once at its defaults (Nagle on).
/// </summary>
public static class NetworkBenchmarks
{
    public sealed record Run(string Scenario, string Sender, string Receiver, int Objects, long Bytes, double Seconds, long PeakRssKb)
    {
        public double ObjectsPerSecond => Objects / Seconds;
        public double MegabytesPerSecond => Bytes / 1e6 / Seconds;
        public string Markdown() => string.Create(CultureInfo.InvariantCulture,
            $"| {Scenario} | {Sender} | {Receiver} | {Objects} | {Seconds:F3} s | {ObjectsPerSecond:F0} | {MegabytesPerSecond:F0} | {PeakRssKb / 1024} MB |");
    }

    internal static string Folder(string name, int count, int columns, int rows, int frames)
    {
        var dir = Path.Combine(BenchmarkFiles.Folder, name);
        if (Directory.Exists(dir) && Directory.GetFiles(dir).Length == count)
            return dir;
        Directory.CreateDirectory(dir);
        var template = BenchmarkFiles.Image(columns, rows, frames);
        for (var i = 0; i < count; i++)
        {
            template.Set(DicomTags.SOPInstanceUID, DicomUidGenerator.Default.NewUid());
            new DicomFile(template, DicomTransferSyntax.ExplicitVRLittleEndian).Save(Path.Combine(dir, $"{i:D5}.dcm"));
        }
        return dir;
    }

    /// <summary>Reads the files once so that every sender finds them in the page cache (the first one otherwise pays for the disk).</summary>
    private static void Warm(IEnumerable<string> files)
    {
        var buffer = new byte[1 << 20];
        foreach (var f in files)
        {
            using var s = File.OpenRead(f);
            while (s.Read(buffer) > 0)
            {
            }
        }
    }

    private static long Bytes(string dir) => Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);

    /// <summary>Runs a command under GNU time: wall seconds and peak RSS.</summary>
    private static (double Seconds, long RssKb) Timed(string exe, IReadOnlyList<string> args, IDictionary<string, string>? env = null)
    {
        var sw = Stopwatch.StartNew();
        var r = ProcessRunner.Run("/usr/bin/time", ["-f", "RSS=%M", exe, .. args], TimeSpan.FromMinutes(20), environment: env);
        sw.Stop();
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {string.Join(' ', args.Take(6))} … failed ({r.ExitCode}): {r.All[..Math.Min(2000, r.All.Length)]}");
        var rss = long.Parse(r.StdErr.Split('\n').Last(l => l.StartsWith("RSS=", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture);
        return (sw.Elapsed.TotalSeconds, rss);
    }

    private static Run Send(string scenario, string sender, DcmtkStoreScp scp, string dir, int? limit = null)
    {
        var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).Take(limit ?? int.MaxValue).ToList();
        var listDir = dir;
        if (limit is not null)
        {
            // A subset: link the first N files into their own folder so every tool sends exactly them.
            listDir = dir + $"-first{limit}";
            if (!Directory.Exists(listDir))
            {
                Directory.CreateDirectory(listDir);
                foreach (var f in files)
                    File.CreateSymbolicLink(Path.Combine(listDir, Path.GetFileName(f)), f);
            }
        }
        Warm(files);
        var port = scp.Port.ToString(CultureInfo.InvariantCulture);
        var (exe, args) = sender switch
        {
            "gateway send" => (GatewayExecutable.Path, new List<string> { "send", listDir, "--to", $"127.0.0.1:{port}", "--called", scp.AeTitle }),
            // The same verb in the managed service executable (ReadyToRun, JIT for the rest): what `gateway send` was
            // before the native front (issue #16, start-up).
            "gateway-service send" => (ServiceExecutable, new List<string> { "send", listDir, "--to", $"127.0.0.1:{port}", "--called", scp.AeTitle }),
            "storescu" => (Peers.Require("storescu", "dcmtk"), new List<string> { "-aec", scp.AeTitle, "+sd", "127.0.0.1", port, listDir }),
            "dcmsend" => (Peers.Require("dcmsend", "dcmtk"), new List<string> { "-aec", scp.AeTitle, "+sd", "127.0.0.1", port, listDir }),
            _ => throw new ArgumentOutOfRangeException(nameof(sender)),
        };
        // dcmtk senders at their best: TCP_NODELAY=1 in their environment too.
        var env = sender.StartsWith("gateway", StringComparison.Ordinal) ? null : new Dictionary<string, string> { ["TCP_NODELAY"] = "1" };
        var (seconds, rss) = Timed(exe, args, env);
        return new Run(scenario, sender, scp.Output.Length >= 0 ? "" : "", files.Count, files.Sum(f => new FileInfo(f).Length), seconds, rss);
    }

    /// <summary>`gateway-service` beside the `gateway` under test (deploy/publish.sh ships both).</summary>
    private static string ServiceExecutable
    {
        get
        {
            var path = Path.Combine(Path.GetDirectoryName(GatewayExecutable.Path)!, "gateway-service");
            return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: scripts/bench.sh network runs the deploy/publish.sh layout");
        }
    }

    /// <summary>
    /// Runs every sender on the same objects, in alternating rounds, and keeps each sender's median: this shared
    /// virtual machine varies by ±50 % from one run to the next, so single runs would say nothing about ratios.
    /// </summary>
    private static IEnumerable<Run> Compare(string scenario, string receiver, DcmtkStoreScp scp, string dir, int rounds, params (string Sender, int? Limit)[] senders)
    {
        var all = new Dictionary<string, List<Run>>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (sender, limit) in senders)
            {
                var run = Send(scenario, sender, scp, dir, limit) with { Receiver = receiver };
                (all.TryGetValue(sender, out var list) ? list : all[sender] = []).Add(run);
            }
        }
        return all.Values.Select(runs => runs.OrderBy(r => r.Seconds).ElementAt(runs.Count / 2));
    }

    /// <summary>
    /// One C-ECHO per process (exec → association → release → exit), alternating `gateway echo`, `gateway-service
    /// echo` and dcmtk's `echoscu` (TCP_NODELAY=1, else its last PDU waits ~40 ms for Nagle): the start-up the senders
    /// pay once per run, measured apart from the objects.
    /// </summary>
    private static IEnumerable<Run> CompareEcho(DcmtkStoreScp scp, int rounds)
    {
        var port = scp.Port.ToString(CultureInfo.InvariantCulture);
        var senders = new (string Name, string Exe, List<string> Args, Dictionary<string, string>? Env)[]
        {
            ("gateway echo", GatewayExecutable.Path, ["echo", "--to", $"127.0.0.1:{port}", "--called", scp.AeTitle], null),
            ("gateway-service echo", ServiceExecutable, ["echo", "--to", $"127.0.0.1:{port}", "--called", scp.AeTitle], null),
            ("echoscu", Peers.Require("echoscu", "dcmtk"), ["-aec", scp.AeTitle, "127.0.0.1", port], new() { ["TCP_NODELAY"] = "1" }),
        };
        var all = senders.ToDictionary(s => s.Name, _ => new List<Run>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, exe, args, env) in senders)
            {
                var (seconds, rss) = Timed(exe, args, env);
                all[name].Add(new Run("one C-ECHO, whole process", name, "storescp, TCP_NODELAY=1", 1, 0, seconds, rss));
            }
        }
        return all.Values.Select(runs => runs.OrderBy(r => r.Seconds).ElementAt(runs.Count / 2));
    }

    /// <param name="quick">Fewer objects, one round.</param>
    /// <param name="largeOnly">Only the 200 MB and 1 GiB objects into the TCP_NODELAY=1 storescp (`--large`), with
    /// <paramref name="largeRounds"/> alternating rounds (`--rounds N`, default 5): the bulk-transfer figures alone.</param>
    public static IReadOnlyList<Run> RunAll(bool quick, bool largeOnly = false, int largeRounds = 5)
    {
        var large = Folder("net-200m", quick ? 2 : 5, 1024, 1024, 100);        // 200 MB multi-frame
        var huge = Folder("net-1g", 1, 1024, 1024, 512);                       // 1 GiB multi-frame
        var runs = new List<Run>();
        const string Fast = "storescp, TCP_NODELAY=1";
        if (largeOnly)
        {
            Console.Error.WriteLine($"files ready: {Bytes(large) >> 20} + {Bytes(huge) >> 20} MiB; {largeRounds} rounds");
            using var scp = new DcmtkStoreScp(tcpNoDelay: true, extraArgs: ["--ignore"]);
            (string, int?)[] senders = [("gateway send", null), ("gateway-service send", null), ("storescu", null)];
            runs.AddRange(Compare("200 MB objects", Fast, scp, large, largeRounds, senders));
            runs.AddRange(Compare("one 1 GiB object", Fast, scp, huge, largeRounds, senders));
            return runs;
        }
        var small = Folder("net-33k", quick ? 500 : 2000, 128, 128, 1);        // 32 KiB pixel data, ~33 KB files
        var medium = Folder("net-525k", quick ? 500 : 2000, 512, 512, 1);      // 512 KiB pixel data, ~525 KB files
        var rounds = quick ? 1 : 3;
        Console.Error.WriteLine($"files ready: {Bytes(small) >> 20} + {Bytes(medium) >> 20} + {Bytes(large) >> 20} + {Bytes(huge) >> 20} MiB");

        using (var fast = new DcmtkStoreScp(tcpNoDelay: true, extraArgs: ["--ignore"]))
        {
            (string, int?)[] all = [("gateway send", null), ("gateway-service send", null), ("storescu", null), ("dcmsend", null)];
            runs.AddRange(Compare("525 KB objects", Fast, fast, medium, rounds, all));
            runs.AddRange(Compare("33 KB objects", Fast, fast, small, rounds, all));
            runs.AddRange(Compare("200 MB objects", Fast, fast, large, rounds, all));
            runs.AddRange(Compare("one 1 GiB object", Fast, fast, huge, rounds, ("gateway send", null), ("gateway-service send", null), ("storescu", null)));
            // Start-up to the first association and back: one C-ECHO each (the smallest whole run of a verb).
            runs.AddRange(CompareEcho(fast, quick ? 5 : 11));
        }
        const string Nagle = "storescp, defaults (Nagle on)";
        using (var nagle = new DcmtkStoreScp(tcpNoDelay: false, extraArgs: ["--ignore"]))
        {
            // storescu is held to ~40 ms per object by this peer: it sends 200 objects, once, to keep the run short.
            runs.AddRange(Compare("525 KB objects", Nagle, nagle, medium, rounds, ("gateway send", null)));
            runs.AddRange(Compare("525 KB objects", Nagle, nagle, medium, 1, ("storescu", 200)));
            runs.AddRange(Compare("33 KB objects", Nagle, nagle, small, rounds, ("gateway send", null)));
            runs.AddRange(Compare("33 KB objects", Nagle, nagle, small, 1, ("storescu", 200)));
        }
        return runs;
    }
}
