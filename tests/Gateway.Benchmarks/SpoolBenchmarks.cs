using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gateway.Acquisition.Forwarding;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Spool;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>Issue #5: durable enqueue, a spool of 100,000 entries, and forwarding 10,000 small objects.</summary>
public static class SpoolBenchmarks
{
    private static readonly SpoolObjectInfo Info = new(DicomUids.SecondaryCaptureImageStorage, "1.2.3", "OT", "bench");

    /// <summary>All of it; <paramref name="only"/> "enqueue" or "forward" runs that part alone (`spool --enqueue`, `spool --forward`).</summary>
    public static IReadOnlyList<string> Run(bool quick, string? only = null)
    {
        var rows = new List<string>();
        var root = Path.Combine(BenchmarkFiles.Folder, "spool-bench");
        if (Directory.Exists(root))
            Directory.Delete(root, true);
        if (only is null or "enqueue")
            rows.AddRange(Enqueue(quick, root));
        // 2. A spool holding 100,000 entries: recovery time and managed memory of the loaded index.
        if (only is null)
            rows.AddRange(RunIndex(quick, root));
        if (only is null or "forward")
            rows.AddRange(Forward(quick, root));
        return rows;
    }

    private static List<string> Enqueue(bool quick, string root)
    {
        var rows = new List<string>();
        // 1. Durable enqueue of 512 KB objects, ours vs the same system calls in Python.
        var n = quick ? 100 : 500;
        var payload = new byte[512 * 1024];
        new Random(1).NextBytes(payload);
        // Alternate three rounds of each and keep the medians: the disk's write-back of earlier runs skews whoever goes first.
        var oursRuns = new List<double>();
        var theirRuns = new List<double>();
        var sw = new Stopwatch();
        for (var round = 0; round < 3; round++)
        {
            var script = ProcessRunner.Run(Peers.DebianPython, [Path.Combine(AppContext.BaseDirectory, "durable_enqueue.py"), Path.Combine(root, $"script{round}"), n.ToString(CultureInfo.InvariantCulture), payload.Length.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(10));
            theirRuns.Add(double.Parse(script.StdOut.Trim(), CultureInfo.InvariantCulture));
            var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(root, $"enqueue{round}"), MinFreeBytes = 0 });
            sw.Restart();
            for (var i = 0; i < n; i++)
                spool.Enqueue(new MemoryStream(payload), payload.Length, Info, ["PACS"]);
            oursRuns.Add(sw.Elapsed.TotalSeconds);
        }
        var ours = oursRuns.Order().ElementAt(1);
        var theirs = theirRuns.Order().ElementAt(1);
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| durable enqueue, {n} × 512 KB, one producer (group commit: files fsync'd, renamed, directories fsync'd) | DurableSpool | {n / ours:F0} objects/s ({n * 0.5 / ours:F0} MB/s) | per-object syscalls in Python (fsync, fsync, rename, fsync dir, rename, fsync dir): {n / theirs:F0} objects/s | {theirs / ours:F2}× |"));

        // 1b. The same with four producers at once (four associations, a device and the SCP): the batches they share.
        {
            var spool = new DurableSpool(new SpoolOptions { Directory = Path.Combine(root, "enqueue-4"), MinFreeBytes = 0 });
            sw.Restart();
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
            {
                for (var i = 0; i < n / 4; i++)
                    spool.Enqueue(new MemoryStream(payload), payload.Length, Info, ["PACS"]);
            });
            var four = sw.Elapsed.TotalSeconds;
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"| durable enqueue, {n / 4 * 4} × 512 KB, four producers at once | DurableSpool | {n / 4 * 4 / four:F0} objects/s in {spool.Batches} group commits ({n / 4 * 4.0 / spool.Batches:F1} objects each) | one producer above: {n / ours:F0} objects/s | {ours / four * (n / 4 * 4) / n:F2}× |"));
        }

        return rows;
    }

    private static List<string> Forward(bool quick, string root)
    {
        var rows = new List<string>();
        var sw = new Stopwatch();
        // 3. Forwarding 10,000 small objects to storescp vs storescu sending the same files.
        var objects = quick ? 1000 : 10_000;
        var fwd = Path.Combine(root, "forward");
        var files = Path.Combine(root, "forward-files");
        Directory.CreateDirectory(files);
        var template = BenchmarkFiles.Image(128, 128, 1);
        var fwdSpool = new DurableSpool(new SpoolOptions { Directory = fwd, MinFreeBytes = 0 });
        fwdSpool.Recover();
        for (var i = 0; i < objects; i++)
        {
            template.Set(DicomTags.SOPInstanceUID, DicomUidGenerator.Default.NewUid());
            var f = Path.Combine(files, $"{i:D5}.dcm");
            new DicomFile(template, DicomTransferSyntax.ExplicitVRLittleEndian).Save(f);
        }
        foreach (var f in Directory.GetFiles(files).Order(StringComparer.Ordinal))
            fwdSpool.Enqueue(f, Info, ["PACS"]);
        using (var scp = new DcmtkStoreScp(tcpNoDelay: true, extraArgs: ["--ignore"]))
        {
            var destination = new Destination { Name = "PACS", Client = new DicomClientOptions { Host = "127.0.0.1", Port = scp.Port, CalledAE = scp.AeTitle } };
            var forwarder = new Forwarder(fwdSpool, [destination]);
            using var stop = new CancellationTokenSource();
            // On stderr, for a profiler to attach to this phase alone (`perf record -p`).
            Console.Error.WriteLine($"forwarding {objects} objects: pid {Environment.ProcessId}");
            sw.Restart();
            var run = forwarder.RunAsync(stop.Token);
            while (fwdSpool.Count > 0)
                Thread.Sleep(20);
            // Until every delivered entry's files are unlinked and the deletions durable (the spool does that in the
            // background, off the forwarder's path): the whole cost is in the figure.
            fwdSpool.FlushDeletions();
            var forwarded = sw.Elapsed.TotalSeconds;
            Console.Error.WriteLine("forwarding done");
            stop.Cancel();
            run.GetAwaiter().GetResult();
            sw.Restart();
            var r = ProcessRunner.Run(Peers.Require("storescu", "dcmtk"), ["-aec", scp.AeTitle, "+sd", "127.0.0.1", scp.Port.ToString(CultureInfo.InvariantCulture), files],
                TimeSpan.FromMinutes(10), environment: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" });
            var storescu = sw.Elapsed.TotalSeconds;
            if (r.ExitCode != 0)
                throw new InvalidOperationException(r.All);
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| forward {objects:N0} × 33 KB to storescp (TCP_NODELAY=1, --ignore) | Forwarder: verify checksum, send, durable state change, delete | {objects / forwarded:F0} objects/s | storescu +sd on the same files (no spool, no fsync): {objects / storescu:F0} objects/s | {storescu / forwarded:F2}× |"));
        }
        return rows;
    }

    /// <summary>
    /// A spool of 100,000 entries (two destinations each): recovery time, managed memory of the loaded index, and the
    /// cost of <see cref="DurableSpool.NextDue"/> on it (`scripts/bench.sh spool --index` runs only this).
    /// </summary>
    /// <param name="reuse">Recover the spool a previous run filled, if it holds as many entries (repeated runs, profiling).</param>
    /// <param name="dirty">Recover the files as just written, not yet on the disk (as this benchmark did until issue #22's
    /// recovery work): the recovery's directory fsync may then wait for the write-back of 200,000 new files.</param>
    /// <param name="cold">Do not read the files once before recovery is timed (whatever the page cache still holds).</param>
    public static IReadOnlyList<string> RunIndex(bool quick, string? root = null, bool reuse = false, bool dirty = false, bool cold = false)
    {
        var rows = new List<string>();
        root ??= Path.Combine(BenchmarkFiles.Folder, "spool-bench");
        var big = Path.Combine(root, "big");
        var count = quick ? 10_000 : 100_000;
        if (!reuse || !Directory.Exists(big) || Directory.EnumerateFiles(Path.Combine(big, "state")).Count() != count)
        {
            if (Directory.Exists(big))
                Directory.Delete(big, true);
            Fill(big, count);
        }
        // Read from the page cache, as after a service restart (not a reboot); written back to the disk first, as files
        // spooled during an outage long have been by the time the service starts again.
        if (!dirty)
            Process.Start("sync")!.WaitForExit();
        // Then every state file read and every payload's size asked once, so that the timed recovery finds them in the
        // page cache: on this VM clean cached pages are taken back within minutes (a recovery that read them from the
        // disk took 78 s at 14:55 UTC on 2026-12-03); --cold leaves the cache as it is.
        if (!cold)
        {
            foreach (var f in Directory.EnumerateFiles(Path.Combine(big, "state")))
                File.ReadAllBytes(f);
            foreach (var f in Directory.EnumerateFiles(Path.Combine(big, "objects")))
                _ = new FileInfo(f).Length;
        }
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        var loaded = new DurableSpool(new SpoolOptions { Directory = big, MinFreeBytes = 0 });
        var report = loaded.Recover();
        var recovery = sw.Elapsed.TotalSeconds;
        GC.Collect();
        var after = GC.GetTotalMemory(true);
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| spool with {report.Entries:N0} entries | DurableSpool.Recover | {recovery:F2} s to recover, {(after - before) / 1024.0 / 1024:F1} MB managed for the index ({(after - before) / report.Entries} bytes/entry) | | |"));
        // NextDue with a few entries busy (as with several workers), 1,000 calls alternating between the destinations:
        // for ARCHIVE the whole backlog is due, for PACS only the newest 1 % (the older ones back off).
        var busy = new HashSet<string>(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow.AddMinutes(1);
        for (var i = 0; i < 4 && loaded.NextDue("PACS", now, busy) is { } e; i++)
            busy.Add(e.Id);
        sw.Restart();
        const int calls = 1000;
        for (var i = 0; i < calls; i++)
            loaded.NextDue(i % 2 == 0 ? "PACS" : "ARCHIVE", now, busy);
        var perCall = sw.Elapsed.TotalMilliseconds * 1000 / calls;
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| NextDue on {report.Entries:N0} entries, 4 busy | DurableSpool.NextDue | {perCall:F0} µs per call | | |"));
        GC.KeepAlive(loaded);
        return rows;
    }

    /// <summary>Writes entries the way the spool does, minus the fsyncs (it is the loading that is measured here).</summary>
    private static void Fill(string dir, int count)
    {
        var objects = Path.Combine(dir, "objects");
        var state = Path.Combine(dir, "state");
        Directory.CreateDirectory(objects);
        Directory.CreateDirectory(state);
        var now = DateTimeOffset.UtcNow;
        var payload = new byte[1024];
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload));
        for (var i = 0; i < count; i++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks + i:D19}-{i % 1_000_000:D6}-0000");
            File.WriteAllBytes(Path.Combine(objects, id + ".dcm"), payload);
            var entry = new SpoolEntry(id, now, payload.Length, sha, Info.SopClassUid, DicomUidGenerator.Default.NewUid(), "OT", "bench",
                new Dictionary<string, Delivery>
                {
                    // After an outage of the PACS: all but the newest 1 % back off (an hour ahead), which NextDue must step over.
                    ["PACS"] = i < count / 100 * 99 ? new(DeliveryState.Pending, 3, now.AddHours(1), "connection refused") : new(DeliveryState.Pending, 0, now, null),
                    ["ARCHIVE"] = new(DeliveryState.Pending, 0, now, null),
                });
            // As the spool writes it (indented, states by name: SpoolJson), not the serialiser's defaults (states as numbers).
            File.WriteAllBytes(Path.Combine(state, id + ".json"), JsonSerializer.SerializeToUtf8Bytes(entry, SpoolJson.Default.SpoolEntry));
        }
    }
}
