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
        // Read each file's meta first: which SOP classes and transfer syntaxes to propose. Unreadable files are reported, not sent.
        var objects = new List<(string Path, DicomFile File)>();
        var failed = 0;
        foreach (var path in paths)
        {
            try
            {
                objects.Add((path, DicomFile.Open(path)));
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
        var contexts = PresentationContextPlanner.Plan(objects.Select(o => (DicomClientAssociation.SopClassOf(o.File), o.File.TransferSyntax.Uid)));
        var association = await DicomClient.OpenAsync(options, contexts).ConfigureAwait(false);
        await using (association.ConfigureAwait(false))
        {
            foreach (var (path, file) in objects)
            {
                var result = await association.StoreAsync(file).ConfigureAwait(false);
                stdout.WriteLine($"{path}: {result}");
                if (!result.IsSuccess)
                    failed++;
            }
        }
        stdout.WriteLine($"{objects.Count + (paths.Count - objects.Count) - failed} of {paths.Count} stored");
        return failed == 0 ? Cli.Ok : Cli.Failed;
    }
}
