using BenchmarkDotNet.Running;
using Gateway.Benchmarks;

// Usage: scripts/bench.sh dicom|network|wrap|spool|writes|slowdisk|e2e|service|acquisition|commitment|codecs|worklist|video|fleet [--quick]
//   service [--metrics]: --metrics measures only the installed box without and with its own /metrics (issue #21).
//   fleet [--boxes N] [--hold S]: 1,000 simulated boxes through a TLS-bridged pair of mosquitto into `gateway fleet` (issue #21).
//   commitment [--wait-only]: the price of commitment into Orthanc, then the modality's wait for our report (SCP side).
//   codecs [--in-process] [--jpeg-baseline]: --jpeg-baseline runs only the JPEG baseline part (against tjbench);
//     with --in-process too, only the in-process codec against tjbench (no `gateway` processes, so no publish);
//     --stages: the time of each stage of our JPEG baseline codec alone (JpegBaselineStages);
//     --forward-memory: the forwarder's transcode on the way of a 50-frame 100 MB object, peak RSS now / before / dcmtk;
//     --only rle|jpeg-lossless|jpeg-ls|jpeg-ls-near: that lossless codec alone, no JPEG baseline part.
//   spool [--index|--enqueue|--forward]: --index runs only the 100,000-entry index part (recovery time, managed memory, NextDue),
//   --enqueue only the durable enqueue, --forward only the forwarding of 10,000 small objects; each in-process.
//     With --index: --reuse recovers the spool an earlier run filled (profiling), --dirty without a sync first, --cold
//     without reading the files once first (whatever the page cache still holds).
//   dicom: in-process BenchmarkDotNet figures, then `gateway` vs dcmtk side by side on the same files.
//   network [--large [--rounds N]]: `gateway send` vs storescu and dcmsend into one storescp (with and without
//     TCP_NODELAY=1); --large: only the 200 MB and 1 GiB objects, N alternating rounds (default 5), medians.
var suite = args.FirstOrDefault() ?? "dicom";
var quick = args.Contains("--quick");
switch (suite)
{
    case "dicom":
        var mf = BenchmarkFiles.MultiFrame;
        var dx = BenchmarkFiles.Dx18MB;
        var bdnArgs = quick ? new[] { "--filter", "*", "--job", "short" } : ["--filter", "*"];
        BenchmarkSwitcher.FromTypes([typeof(DicomFileBenchmarks)]).Run(bdnArgs);
        var outFile = Path.Combine(BenchmarkFiles.Folder, "side-by-side-out.dcm");
        var rows = new[]
        {
            SideBySide.Compare("metadata of 200×512×512×16 (100 MB)", ["dump", mf], ["dcmdump", "-M", "-q", mf]),
            SideBySide.Compare("read + write 3000×3000×16 (18 MB) as Explicit LE", ["convert", dx, outFile, "--ts", "explicit"], ["dcmconv", "+te", dx, outFile]),
        };
        Console.WriteLine();
        Console.WriteLine("| scenario | ours | median | dcmtk | median | dcmtk/ours after start-up |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine(r.Markdown());
        return 0;
    case "network":
        var roundsAt = Array.IndexOf(args, "--rounds");
        var runs = NetworkBenchmarks.RunAll(quick, args.Contains("--large"),
            roundsAt > 0 && roundsAt + 1 < args.Length ? int.Parse(args[roundsAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 5);
        Console.WriteLine();
        Console.WriteLine("| objects | sender | receiver | count | time | objects/s | MB/s | peak RSS |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
            Console.WriteLine(r.Markdown());
        return 0;
    case "wrap":
        Console.WriteLine("| input | tool | median time | peak RSS |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var row in WrapBenchmarks.Run())
            Console.WriteLine(row);
        return 0;
    case "spool":
        Console.WriteLine("| scenario | ours | figure | reference | ratio (ours ÷ reference speed) |");
        Console.WriteLine("|---|---|---|---|---|");
        if (args.Contains("--index"))
        {
            foreach (var row in SpoolBenchmarks.RunIndex(quick, reuse: args.Contains("--reuse"), dirty: args.Contains("--dirty"), cold: args.Contains("--cold")))
                Console.WriteLine(row);
            return 0;
        }
        var part = args.Contains("--enqueue") ? "enqueue" : args.Contains("--forward") ? "forward" : null;
        foreach (var row in SpoolBenchmarks.Run(quick, part))
            Console.WriteLine(row);
        if (part is not null)
            return 0;
        Console.WriteLine();
        Console.WriteLine("Write amplification (enqueue → delivery → deletion, the spool on its own ext4 loop volume):");
        // Both volumes by default: mkfs's defaults and fast commits (the advice); `--fast-commit` or `--mkfs-defaults` one of them.
        foreach (var row in WriteAmplification.Run(quick, WriteVolumes(args)))
            Console.WriteLine(row);
        return 0;
    case "fleet":
        foreach (var row in FleetBenchmarks.Run(args))
            Console.WriteLine(row);
        return 0;
    case "e2e":
        foreach (var row in E2eBenchmarks.Run(quick))
            Console.WriteLine(row);
        return 0;
    case "slowdisk":
        foreach (var row in SlowDiskBenchmarks.Run(quick))
            Console.WriteLine(row);
        return 0;
    case "writes":
        // Both volumes by default: mkfs's defaults and fast commits (the advice); `--fast-commit` or `--mkfs-defaults` one of them.
        foreach (var row in WriteAmplification.Run(quick, WriteVolumes(args)))
            Console.WriteLine(row);
        return 0;
    case "acquisition":
        Console.WriteLine("| scenario | figure | reference |");
        Console.WriteLine("|---|---|---|");
        foreach (var row in AcquisitionBenchmarks.Run(quick))
            Console.WriteLine(row);
        return 0;
    case "commitment":
        Console.WriteLine("| scenario | time (send → empty spool) | throughput | spool state writes per object |");
        Console.WriteLine("|---|---|---|---|");
        if (!args.Contains("--wait-only"))
        {
            foreach (var row in CommitmentBenchmarks.Run(quick))
                Console.WriteLine(row);
        }
        Console.WriteLine();
        Console.WriteLine("| the modality's wait for its report (SCP side) | N-ACTION response → N-EVENT-REPORT, median | rounds |");
        Console.WriteLine("|---|---|---|");
        foreach (var row in ModalityWaitBenchmarks.Run(quick))
            Console.WriteLine(row);
        return 0;
    case "worklist":
        Console.WriteLine("| measure | ours | dcmtk |");
        Console.WriteLine("|---|---|---|");
        foreach (var row in WorklistBenchmarks.Run())
            Console.WriteLine(row);
        return 0;
    case "codecs" when args.Contains("--forward-memory"):
        foreach (var row in TranscodeMemoryBenchmarks.Run(quick))
            Console.WriteLine(row);
        return 0;
    case "transcode-child" when args.Length == 4:
        return TranscodeMemoryBenchmarks.ChildMain(args[1], args[2], args[3]);
    case "codecs" when args.Contains("--stages"):
        foreach (var row in JpegBaselineStages.Run(quick))
            Console.WriteLine(row);
        return 0;
    case "codecs":
        var onlyAt = Array.IndexOf(args, "--only");
        foreach (var row in CodecBenchmarks.Run(quick, args.Contains("--in-process"), args.Contains("--jpeg-baseline"), onlyAt > 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null))
            Console.WriteLine(row);
        return 0;
    case "video":
        Console.WriteLine("| measure | ours | reference |");
        Console.WriteLine("|---|---|---|");
        foreach (var row in VideoBenchmarks.Run(quick))
            Console.WriteLine(row);
        return 0;
    case "service":
        Console.WriteLine("| measure | value |");
        Console.WriteLine("|---|---|");
        foreach (var row in ServiceBenchmarks.Run(args.Contains("--metrics")))
            Console.WriteLine(row);
        return 0;
    default:
        Console.Error.WriteLine($"unknown suite '{suite}'; known: dicom, network, wrap, spool, writes, e2e, service, acquisition, commitment, codecs, worklist, video");
        return 2;
}

static string?[] WriteVolumes(string[] args) =>
    args.Contains("--fast-commit") ? ["fast_commit"] : args.Contains("--mkfs-defaults") ? [null] : [null, "fast_commit"];
