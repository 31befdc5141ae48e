using Gateway.Dicom.Network;

namespace Gateway.Host.Commands;

/// <summary>`gateway echo`: C-ECHO, the DICOM ping. Exit 0 on success, 1 when the peer refused or could not be reached.</summary>
internal static class EchoCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var options = NetworkArgs.Client(args);
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");
        return RunAsync(options, stdout, stderr).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(DicomClientOptions options, TextWriter stdout, TextWriter stderr)
    {
        var association = await DicomClient.OpenAsync(options, PresentationContextPlanner.Plan([])).ConfigureAwait(false);
        await using (association.ConfigureAwait(false))
        {
            var status = await association.EchoAsync().ConfigureAwait(false);
            stdout.WriteLine($"C-ECHO {options.Host}:{options.Port} ({options.CalledAE}): {status}");
            if (!status.IsSuccess)
                stderr.WriteLine($"gateway echo: the peer answered {status}");
            return status.IsSuccess ? Cli.Ok : Cli.Failed;
        }
    }
}
