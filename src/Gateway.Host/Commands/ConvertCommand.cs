using Gateway.Dicom;

namespace Gateway.Host.Commands;

/// <summary>`gateway convert IN OUT --ts implicit|explicit|deflated`: re-encodes a file in another transfer syntax.</summary>
internal static class ConvertCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var ts = ParseTransferSyntax(args.Required("ts"));
        args.RejectUnknown();
        args.ExpectPositional(2, "IN and OUT");
        var file = DicomFile.Open(args.Positional[0]);
        file.Save(args.Positional[1], ts);
        stdout.WriteLine($"{args.Positional[1]}: {ts.Name}");
        return Cli.Ok;
    }

    public static DicomTransferSyntax ParseTransferSyntax(string name) => name switch
    {
        "implicit" => DicomTransferSyntax.ImplicitVRLittleEndian,
        "explicit" => DicomTransferSyntax.ExplicitVRLittleEndian,
        "deflated" => DicomTransferSyntax.DeflatedExplicitVRLittleEndian,
        _ => throw new UsageException($"--ts '{name}' is not one of implicit, explicit, deflated"),
    };
}
