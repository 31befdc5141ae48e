using System.Globalization;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway commit PATH... --to HOST:PORT --called AET [--calling AET] [--listen PORT [--aet AET]] [--timeout SECONDS]`:
/// asks an archive to commit files already sent (Storage Commitment Push Model, N-ACTION) and waits for its report —
/// on the requesting association, or with <c>--listen</c> also on a new association the archive opens to us. One line
/// per instance (committed, failed with the archive's reason, or not reported); exit 0 only when every instance was
/// committed, 1 otherwise, 2 for bad usage.
/// </summary>
internal static class CommitCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var options = NetworkArgs.Client(args);
        var listen = args.Option("listen") is { } l ? NetworkArgs.Port(l, "--listen") : (int?)null;
        var aet = args.Option("aet") is { } a ? NetworkArgs.AeTitle(a, "--aet") : options.CallingAE;
        if (listen is null && args.Option("aet") is not null)
            throw new UsageException("--aet names the AE title we listen as: it needs --listen PORT");
        var timeout = args.Option("timeout") is { } t
            ? int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= 86400 ? s
                : throw new UsageException($"--timeout '{t}' is not a number of seconds from 1 to 86400")
            : 60;
        args.RejectUnknown();
        if (args.Positional.Count == 0)
            throw new UsageException("give at least one file or directory whose instances the archive should commit");
        var instances = new List<(string SopClass, string SopInstance)>();
        foreach (var path in args.Positional.SelectMany(Files))
        {
            try
            {
                var header = DicomFile.OpenHeader(path);
                var sopClass = DicomClientAssociation.SopClassOf(header);
                var sopInstance = header.Dataset.TryGetString(DicomTags.SOPInstanceUID) ?? header.Meta.TryGetString(DicomTags.MediaStorageSOPInstanceUID);
                if (!DicomUid.IsValid(sopClass) || sopInstance is null || !DicomUid.IsValid(sopInstance))
                    throw new UsageException($"{path}: its SOP Class or Instance UID is missing or not a valid UID");
                instances.Add((sopClass, sopInstance));
            }
            catch (DicomFormatException e)
            {
                throw new UsageException($"{path}: not a valid DICOM file: {e.Message}");
            }
        }
        return RunAsync(options, instances, listen, aet, TimeSpan.FromSeconds(timeout), stdout, stderr).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(DicomClientOptions options, List<(string SopClass, string SopInstance)> instances, int? listen, string aet,
        TimeSpan timeout, TextWriter stdout, TextWriter stderr)
    {
        var transaction = DicomUidGenerator.Default.NewUid();
        var report = new TaskCompletionSource<DicomDataset>(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask<DimseReply> OnReport(DimseRequest request, CancellationToken ct)
        {
            if (request.Command.EventTypeId is not (1 or 2))
                return ValueTask.FromResult(new DimseReply(new DicomStatus(0x0113)));
            if (request.DataSet?.TryGetString(DicomTags.TransactionUID) != transaction)
                return ValueTask.FromResult(new DimseReply(new DicomStatus(0x0115, "not the transaction asked for")));
            report.TrySetResult(request.DataSet!);
            return ValueTask.FromResult(DimseReply.Success);
        }
        var handlers = new DimseHandlers().On(CommandField.NEventReportRequest, DicomUids.StorageCommitmentPushModel, OnReport);
        using var incoming = new TempFolder();
        await using var server = listen is { } port
            ? DicomServer.Start(new DicomServerOptions
            {
                AeTitle = aet, Port = port, Address = System.Net.IPAddress.Any, OutputDirectory = incoming.Path,
                AcceptSopClass = _ => false, Handlers = handlers,
            }, NullLogger.Instance)
            : null;
        var request = Acquisition.Forwarding.CommitmentReports.Request(transaction, instances);
        var association = await DicomClient.OpenAsync(options with { Handlers = handlers },
            [new PresentationContextProposal(1, DicomUids.StorageCommitmentPushModel, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian])])
            .ConfigureAwait(false);
        await using (association.ConfigureAwait(false))
        {
            if (!association.AcceptedContexts.Any(c => c.AbstractSyntax == DicomUids.StorageCommitmentPushModel))
            {
                stderr.WriteLine($"gateway commit: {options.CalledAE} does not offer storage commitment: {association.WhyNotAccepted(DicomUids.StorageCommitmentPushModel)}");
                return Cli.Failed;
            }
            var response = await association.NActionAsync(DicomUids.StorageCommitmentPushModel, DicomUids.StorageCommitmentPushModelInstance, 1, request)
                .ConfigureAwait(false);
            if (!response.Status.IsSuccess)
            {
                stderr.WriteLine($"gateway commit: {options.CalledAE} refused the request: {response.Status}");
                return Cli.Failed;
            }
            stdout.WriteLine($"asked {options.CalledAE} to commit {instances.Count} instance(s), transaction {transaction}");
            var finished = await Task.WhenAny(report.Task, Task.Delay(timeout)).ConfigureAwait(false);
            if (finished != report.Task)
            {
                stderr.WriteLine($"gateway commit: no report within {timeout.TotalSeconds:0} s{(listen is null ? " (an archive that reports on a new association needs --listen PORT)" : "")}");
                return Cli.Failed;
            }
        }
        var answer = report.Task.Result;
        // Committed only with the right SOP class; an instance also listed as failed (a broken report) is failed.
        var committed = Items(answer, DicomTags.ReferencedSOPSequence)
            .Select(i => (Class: i.TryGetString(DicomTags.ReferencedSOPClassUID), Instance: i.TryGetString(DicomTags.ReferencedSOPInstanceUID)))
            .Where(i => i.Instance is not null).ToHashSet();
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in Items(answer, DicomTags.FailedSOPSequence))
        {
            if (item.TryGetString(DicomTags.ReferencedSOPInstanceUID) is { } failedUid)
                failed.TryAdd(failedUid, Acquisition.Forwarding.CommitmentReports.FailureText(item));
        }
        var all = true;
        foreach (var (sopClass, uid) in instances)
        {
            if (!failed.ContainsKey(uid) && committed.Contains((sopClass, uid)))
                stdout.WriteLine($"{uid}: committed");
            else
            {
                all = false;
                stdout.WriteLine(failed.TryGetValue(uid, out var reason) ? $"{uid}: failed: {reason}" : $"{uid}: not in the report");
            }
        }
        return all ? Cli.Ok : Cli.Failed;
    }

    private static IEnumerable<string> Files(string path) =>
        Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        : File.Exists(path) ? [path] : throw new UsageException($"{path}: no such file or directory");

    private static IEnumerable<DicomDataset> Items(DicomDataset report, DicomTag tag) => report.Find(tag) is DicomSequence s ? s.Items : [];

    /// <summary>Our SCP writes incoming objects somewhere; it accepts none here (only reports), but needs a folder.</summary>
    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("gateway-commit-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
