using System.Globalization;
using Gateway.Dicom;
using Gateway.Testing;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #18, the SCP side: how long a modality waits for its storage commitment report — from the N-ACTION response to
/// the N-EVENT-REPORT, both as the modality (dcmjs-dimse) logged them. The modality stores N × 525 KB on one
/// association, asks for all of them and waits on that association: through `gateway run` answering at "spooled",
/// end to end into Orthanc without commitment (C-STORE success), end to end into Orthanc with commitment (Orthanc's
/// report on a new association to us first); and, as the reference, the modality storing into Orthanc and asking
/// Orthanc itself (its report on a new association to the modality's SCP). Medians of alternating rounds.
/// </summary>
public static class ModalityWaitBenchmarks
{
    private enum Path2 { Spooled, DeliveredNoCommit, DeliveredCommit, OrthancDirect }

    public static IReadOnlyList<string> Run(bool quick)
    {
        var count = quick ? 20 : 100;
        var dir = NetworkBenchmarks.Folder(quick ? "net-525k-20" : "net-525k-100", count, 512, 512, 1);
        var files = Directory.GetFiles(dir, "*.dcm").Order(StringComparer.Ordinal).ToArray();
        var asked = files.Select(f =>
        {
            var ds = DicomFile.Open(f).Dataset;
            return (ds.GetString(DicomTags.SOPClassUID), ds.GetString(DicomTags.SOPInstanceUID));
        }).ToArray();
        var rounds = quick ? 1 : 3;
        var paths = Enum.GetValues<Path2>();
        var waits = paths.ToDictionary(p => p, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var p in paths)
                waits[p].Add(Wait(p, files, asked, round));
        }
        string Label(Path2 p) => p switch
        {
            Path2.Spooled => "through the gateway, answerWhen spooled",
            Path2.DeliveredNoCommit => "through the gateway, delivered, Orthanc without commitment (C-STORE success)",
            Path2.DeliveredCommit => "through the gateway, delivered, Orthanc with commitment (its report first)",
            _ => "reference: stored into Orthanc and asked of Orthanc directly",
        };
        return [.. paths.Select(p =>
        {
            var sorted = waits[p].Order().ToList();
            return string.Create(CultureInfo.InvariantCulture,
                $"| {count} × 525 KB, {Label(p)} | {sorted[sorted.Count / 2]:F0} ms | {string.Join(", ", sorted.Select(w => w.ToString("F0", CultureInfo.InvariantCulture)))} |");
        })];
    }

    private static double Wait(Path2 path, string[] files, (string, string)[] asked, int round)
    {
        using var work = new TempDirectory("bench-modality-wait");
        var scpPort = FreePort.Get();
        using var listener = DcmjsPeer.StartScp("MODALITY");
        using var orthanc = new OrthancPeer(modalities: new Dictionary<string, (string, int)> { ["gateway"] = ("GATEWAY", scpPort), ["modality"] = ("MODALITY", listener.Port) });
        var transaction = string.Create(CultureInfo.InvariantCulture, $"1.2.826.0.1.3680043.10.99.18.9{(int)path}{round}.{Environment.ProcessId}");
        var requests = files.Select(DcmjsRequest.CStore).Append(DcmjsRequest.NAction(DcmjsRequest.CommitmentDataset(transaction, asked))).ToList();
        if (path == Path2.OrthancDirect)
        {
            var direct = DcmjsPeer.RunScu("127.0.0.1", orthanc.DicomPort, orthanc.AeTitle, "MODALITY", requests, timeout: TimeSpan.FromMinutes(5));
            var reported = listener.WaitFor(l => l.Any(m => m.Event == "request" && m.Command == "N-EVENT-REPORT"), TimeSpan.FromMinutes(5))
                .First(m => m.Event == "request" && m.Command == "N-EVENT-REPORT");
            return Between(direct.Responses.Last(r => r.Command == "N-ACTION"), reported, direct.ToString());
        }
        var spool = System.IO.Path.Combine(work.Path, "spool");
        var config = System.IO.Path.Combine(work.Path, "gateway.json");
        var answer = path == Path2.Spooled ? "spooled" : "delivered";
        var commitment = path == Path2.DeliveredCommit ? ", \"commitment\": { \"sameAssociationSeconds\": 0 }" : "";
        File.WriteAllText(config, $$"""
        { "box": { "id": "bench" }, "web": { "enabled": false }, "spool": { "path": "{{spool}}", "minFreeBytes": 0 },
          "localScp": { "aeTitle": "GATEWAY", "port": {{scpPort}}, "bind": "127.0.0.1",
            "commitment": { "answerWhen": "{{answer}}", "modalities": [ { "aeTitle": "MODALITY", "host": "127.0.0.1", "port": {{listener.Port}} } ] } },
          "destinations": [ { "name": "orthanc", "aeTitle": "{{orthanc.AeTitle}}", "host": "127.0.0.1", "port": {{orthanc.DicomPort}}{{commitment}} } ] }
        """);
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(60));
        var result = DcmjsPeer.RunScu("127.0.0.1", scpPort, "GATEWAY", "MODALITY", requests,
            new DcmjsScuOptions { ExpectRequests = 1, Wait = TimeSpan.FromMinutes(5) }, TimeSpan.FromMinutes(6));
        if (result.ExitCode != 0 || result.PeerRequests.Count != 1 || result.PeerRequests[0].EventTypeId != 1)
            throw new InvalidOperationException($"no report of all committed: {result}\n{gateway.Output}");
        gateway.Kill();
        return Between(result.Responses.Last(r => r.Command == "N-ACTION"), result.PeerRequests[0], result.ToString());
    }

    private static double Between(DcmjsMessage response, DcmjsMessage report, string diagnostics) =>
        response.At is { } from && report.At is { } to ? to - from : throw new InvalidOperationException("the dcmjs lines have no time: " + diagnostics);
}
