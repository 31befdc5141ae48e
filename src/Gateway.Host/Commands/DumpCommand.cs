using Gateway.Dicom;

namespace Gateway.Host.Commands;

/// <summary>`gateway dump FILE`: every element, like dcmdump.</summary>
internal static class DumpCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        args.RejectUnknown();
        args.ExpectPositional(1, "one FILE");
        var file = DicomFile.Open(args.Positional[0]);
        stdout.WriteLine($"# {args.Positional[0]}: {file.TransferSyntax}");
        stdout.WriteLine("# File Meta Information");
        DicomDump.Write(stdout, file.Meta);
        stdout.WriteLine("# Data Set");
        DicomDump.Write(stdout, file.Dataset);
        return Cli.Ok;
    }
}
