using Gateway.Dicom;
using Gateway.Dicom.Network;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway send PATH...`: C-STORE files (or every file under directories) on one association. Prints one line per
/// object; exit 0 only if every object got a success (or warning) status.
/// </summary>
internal static class SendCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var options = NetworkArgs.Client(args);
        args.RejectUnknown();
        if (args.Positional.Count == 0)
            throw new UsageException("give at least one file or directory to send");
        var files = new List<string>();
        foreach (var p in args.Positional)
        {
            if (Directory.Exists(p))
                files.AddRange(Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(p))
                files.Add(p);
            else
                throw new UsageException($"{p}: no such file or directory");
        }
        return RunAsync(options, files, stdout, stderr).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(DicomClientOptions options, List<string> paths, TextWriter stdout, TextWriter stderr)
    {
        // Read each file's header first (meta and the data set up to SOP Instance UID): which SOP classes and transfer
        // syntaxes to propose. Only these few facts are kept, so memory does not grow with the number of files.
        var objects = new List<(string Path, string SopClass, string TransferSyntax)>();
        var failed = 0;
        foreach (var path in paths)
        {
            try
            {
                var header = DicomFile.OpenHeader(path);
                var sopClass = DicomClientAssociation.SopClassOf(header);
                if (!DicomUid.IsValid(sopClass))
                {
                    // Never propose a garbled abstract syntax: this object is refused here, the others go.
                    stderr.WriteLine($"{path}: not sent: its SOP Class UID '{Gateway.Shared.LogText.Bounded(sopClass)}' is not a valid UID");
                    failed++;
                    continue;
                }
                objects.Add((path, sopClass, header.TransferSyntax.Uid));
            }
            catch (DicomFormatException e)
            {
                stderr.WriteLine($"{path}: not sent: not a valid DICOM file: {e.Message}");
                failed++;
            }
        }
        if (objects.Count == 0)
        {
            stderr.WriteLine("gateway send: nothing to send");
            return Cli.BadInput;
        }
        var contexts = PresentationContextPlanner.Plan(objects.Select(o => (o.SopClass, o.TransferSyntax)));
        var association = await DicomClient.OpenAsync(options, contexts).ConfigureAwait(false);
        await using (association.ConfigureAwait(false))
        {
            string? lost = null;
            foreach (var (path, _, _) in objects)
            {
                DicomStoreResult result;
                try
                {
                    result = lost is not null
                        ? new DicomStoreResult("?", null, "not sent: " + lost)
                        : await association.StoreAsync(path).ConfigureAwait(false);
                }
                catch (DicomFormatException e)
                {
                    result = new DicomStoreResult("?", null, "not a valid DICOM file: " + e.Message);
                }
                catch (DicomNetworkException e)
                {
                    // The association is gone: this object and every one after it get their line, none is skipped silently.
                    lost = "the association was lost: " + e.Message;
                    result = new DicomStoreResult("?", null, lost);
                }
                catch (IOException e)
                {
                    result = new DicomStoreResult("?", null, "cannot read the file: " + e.Message);
                }
                stdout.WriteLine($"{path}: {result}");
                if (!result.IsSuccess)
                    failed++;
            }
        }
        stdout.WriteLine($"{paths.Count - failed} of {paths.Count} stored");
        return failed == 0 ? Cli.Ok : Cli.Failed;
    }
}
