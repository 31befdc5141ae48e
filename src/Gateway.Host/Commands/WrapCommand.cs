using System.Globalization;
using Gateway.Dicom;
using Gateway.Dicom.Imaging;
using Gateway.Dicom.Iod;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway wrap INPUT... --iod KIND --meta META.json --out OUT.dcm`: image file(s) → one DICOM object. Every input
/// and every metadata value is checked before anything is written; the output appears complete or not at all.
/// </summary>
internal static class WrapCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var iodName = args.Required("iod");
        var info = IodInfo.Find(iodName) ?? throw new UsageException($"--iod '{iodName}' is not one of {string.Join(", ", IodInfo.All.Select(i => i.Name))}");
        var output = args.Required("out");
        var ts = args.Option("ts") is { } t ? ConvertCommand.ParseTransferSyntax(t, allowCompressed: true) : DicomTransferSyntax.ExplicitVRLittleEndian;
        // The object is made here: compressing it, even lossily, is its first form, so it keeps its SOP Instance UID.
        var options = ConvertCommand.ParseCodecOptions(args) with { KeepSopInstanceUid = true };
        var raw = RawFormat(args);
        var metaPath = args.Option("meta");
        args.RejectUnknown();
        if (args.Positional.Count == 0)
            throw new UsageException("give at least one input image");

        var metadata = metaPath is null ? new DicomDataset()
            : File.Exists(metaPath) ? MetadataJson.Parse(File.ReadAllText(metaPath), metaPath)
            : throw new UsageException($"--meta {metaPath}: no such file");
        List<IImageSource> sources;
        try
        {
            sources = [.. args.Positional.Select(p => ImageReader.Open(p, raw))];
        }
        catch (ImageFormatException e)
        {
            stderr.WriteLine($"gateway wrap: {e.Message}");
            return Cli.BadInput;
        }
        var frames = sources.Select(s => new Frame(s.Format, new DecodedFrameBuffer(s))).ToList();
        var study = metadata.TryGetString(DicomTags.StudyInstanceUID);
        var identity = new SeriesContext(DicomUidGenerator.Default, study is { Length: > 0 } ? study : null).NextInstance();
        var dataset = new IodBuilder().Build(info.Kind, frames, metadata, identity);
        try
        {
            var file = new DicomFile(dataset, DicomTransferSyntax.ExplicitVRLittleEndian);
            (ts.IsEncapsulated ? file.Transcode(ts, options) : new DicomFile(dataset, ts)).Save(output);
        }
        catch (ImageFormatException e)
        {
            stderr.WriteLine($"gateway wrap: {e.Message}; nothing was written");
            return Cli.BadInput;
        }
        stdout.WriteLine($"{output}: {DicomUid.NameOf(info.SopClassUid)}, {frames.Count} frame(s) of {frames[0].Format}, SOP Instance UID {identity.SopInstanceUid}");
        return Cli.Ok;
    }

    private static ImageFormat? RawFormat(CommandArgs args)
    {
        var size = args.Option("raw");
        var bits = args.Option("bits");
        var samples = args.Option("samples");
        if (size is null)
        {
            if (bits is not null || samples is not null)
                throw new UsageException("--bits and --samples go with --raw WxH");
            return null;
        }
        var parts = size.Split('x', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h))
            throw new UsageException($"--raw '{size}' is not WIDTHxHEIGHT");
        var b = bits switch { "8" => 8, "16" => 16, null => 8, _ => throw new UsageException($"--bits '{bits}' is not 8 or 16") };
        var s = samples switch { "1" => 1, "3" => 3, null => 1, _ => throw new UsageException($"--samples '{samples}' is not 1 or 3") };
        if (s == 3 && b == 16)
            throw new UsageException("16-bit RGB is not supported: --samples 3 needs --bits 8");
        return new ImageFormat(w, h, s, b, b);
    }
}
