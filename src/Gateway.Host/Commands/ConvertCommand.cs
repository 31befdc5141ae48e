using System.Globalization;
using Gateway.Dicom;
using Gateway.Dicom.Codecs;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway convert IN OUT --ts NAME [--near N] [--quality Q]`: re-encodes a file in another transfer syntax, decompressing and
/// compressing the pixel data frame by frame (Gateway.Dicom.Codecs) when either side is compressed.
/// </summary>
internal static class ConvertCommand
{
    public const string Usage =
        "gateway convert IN OUT --ts explicit|implicit|deflated|rle|jpeg-lossless|jpeg-ls|jpeg-ls-near|jpeg-baseline"
        + " [--near N (jpeg-ls-near: max error per sample, default 2)] [--quality Q (jpeg-baseline: 1–100, default 90)]"
        + "   (decodes from any of them; a lossy step sets Lossy Image Compression and makes a new SOP Instance UID)";

    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var ts = ParseTransferSyntax(args.Required("ts"), allowCompressed: true);
        var options = ParseCodecOptions(args);
        args.RejectUnknown();
        args.ExpectPositional(2, "IN and OUT");
        var file = DicomFile.Open(args.Positional[0]);
        // A syntax without a codec, or a layout a codec cannot take, is a NotSupportedException: exit 1 (Cli).
        file.Transcode(ts, options).Save(args.Positional[1]);
        stdout.WriteLine($"{args.Positional[1]}: {ts.Name}");
        return Cli.Ok;
    }

    /// <summary>--near N and --quality Q, checked; the defaults of <see cref="CodecOptions"/> otherwise.</summary>
    public static CodecOptions ParseCodecOptions(CommandArgs args)
    {
        var options = CodecOptions.Default;
        if (args.Option("near") is { } near)
        {
            if (!int.TryParse(near, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 255)
                throw new UsageException($"--near '{near}' is not a whole number 0–255");
            options = options with { NearLossless = n };
        }
        if (args.Option("quality") is { } quality)
        {
            if (!int.TryParse(quality, NumberStyles.None, CultureInfo.InvariantCulture, out var q) || q is < 1 or > 100)
                throw new UsageException($"--quality '{quality}' is not a whole number 1–100");
            options = options with { Quality = q };
        }
        return options;
    }

    public static DicomTransferSyntax ParseTransferSyntax(string name, bool allowCompressed = false) => name switch
    {
        "implicit" => DicomTransferSyntax.ImplicitVRLittleEndian,
        "explicit" => DicomTransferSyntax.ExplicitVRLittleEndian,
        "deflated" => DicomTransferSyntax.DeflatedExplicitVRLittleEndian,
        "rle" when allowCompressed => DicomTransferSyntax.RleLossless,
        "jpeg-lossless" when allowCompressed => DicomTransferSyntax.JpegLosslessSV1,
        "jpeg-ls" when allowCompressed => DicomTransferSyntax.JpegLsLossless,
        "jpeg-ls-near" when allowCompressed => DicomTransferSyntax.JpegLsNearLossless,
        "jpeg-baseline" when allowCompressed => DicomTransferSyntax.JpegBaseline,
        _ => throw new UsageException(allowCompressed
            ? $"--ts '{name}' is not one of explicit, implicit, deflated, rle, jpeg-lossless, jpeg-ls, jpeg-ls-near, jpeg-baseline"
            : $"--ts '{name}' is not one of implicit, explicit, deflated"),
    };
}
