using Gateway.Dicom;
using Gateway.Host.Commands;

namespace Gateway.Host;

/// <summary>
/// The `gateway` command line (DESIGN.md): one verb per command. Exit codes: 0 success, 1 the operation failed,
/// 2 bad input or usage with a message on stderr naming the problem. Compiled twice: here, with every verb, and in the
/// native front (src/Gateway.Cli), where <see cref="ServiceVerbs"/> hands the service's verbs to gateway-service.
/// </summary>
public static class Cli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    private static readonly Dictionary<string, (string Usage, Func<CommandArgs, TextWriter, TextWriter, int> Run)> Verbs = new(StringComparer.Ordinal)
    {
        ["run"] = ("gateway run [--config FILE] [--check]   (default /etc/gateway/gateway.json; --check: validate and exit)", ServiceVerbs.Run),
        ["demo"] = ("gateway demo [--dir DIR] [--seconds N] [--cable auto|socat|memory]   (the whole pipeline on loopback: simulated device, spool, built-in PACS, embedded MQTT broker)", ServiceVerbs.Demo),
        ["dump"] = ("gateway dump FILE", DumpCommand.Run),
        ["convert"] = (ConvertCommand.Usage, ConvertCommand.Run),
        ["wrap"] = ("gateway wrap INPUT... --iod sc|sc-mf-gray8|sc-mf-gray16|sc-mf-color|dx|dx-proc|us|us-mf|vl-endo|vl-photo --meta META.json --out OUT.dcm [--ts explicit|implicit|deflated|rle|jpeg-lossless|jpeg-ls|jpeg-ls-near|jpeg-baseline [--near N] [--quality Q]] [--raw WxH --bits 8|16 --samples 1|3]", WrapCommand.Run),
        ["capture"] = ("gateway capture --source test|v4l2:/dev/videoN [--size WxH] [--fps N] [--input-format mjpeg|yuyv] (--still [--ts native|jpeg] | --clip SECONDS [--encoder libx264|h264_v4l2m2m]) [--pace realtime|max] --iod KIND [--meta META.json] --out OUT.dcm   (still: vl-endo|vl-photo|us|sc; clip: video-endo|video-photo|us-mf)", ServiceVerbs.Capture),
        ["spool"] = ("gateway spool list|retry|purge [--config FILE | --spool DIR] [--id ENTRY] [--destination NAME] [--yes]", ServiceVerbs.Spool),
        ["echo"] = ("gateway echo --to HOST:PORT --called AET [--calling AET] [--user NAME [--password-file FILE]] [--tls --tls-ca FILE [--tls-cert FILE --tls-key FILE]]", EchoCommand.Run),
        ["send"] = ("gateway send PATH... --to HOST:PORT --called AET [--calling AET] [--user NAME [--password-file FILE]] [TLS options]", SendCommand.Run),
        ["simulate"] = ("gateway simulate --profile FILE --device PATH [--frames N (0: until stopped)] [--interval-ms N] [--noise] [--corrupt-every K]", ServiceVerbs.Simulate),
        ["commit"] = ("gateway commit PATH... --to HOST:PORT --called AET [--calling AET] [--listen PORT [--aet AET]] [--timeout SECONDS] [TLS options]   (storage commitment of files already sent; exit 0 when every instance was committed)", CommitCommand.Run),
        ["find"] = ("gateway find --to HOST:PORT --called AET [--calling AET] --level worklist|patient|study|series|image [-k Keyword[=Value]]... [TLS options]   (one DICOM JSON line per match)", FindCommand.Run),
        ["worklist"] = ("gateway worklist [--config FILE] [--json]   (the box's Modality Worklist: from the RIS now, else the kept list marked stale)", ServiceVerbs.Worklist),
        ["exam"] = ("gateway exam [show] | select KEY | end | cancel REASON | reasons   [--config FILE | --spool DIR]   (the running service's exam: pick a worklist step by the key `gateway worklist` prints, end it, cancel it with a reason code)", ServiceVerbs.Exam),
        ["fleet"] = ("gateway fleet --broker HOST:PORT [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--user NAME --password-file FILE] [--listen ADDR:PORT (default 127.0.0.1:9464)] [--listen-page ADDR:PORT --state DIR [--page-cert FILE --page-key FILE]] [--config FILE] [--client-id ID]   (every box on the broker: alarms as retained MQTT messages, /metrics for Prometheus, the fleet page on HTTPS)", ServiceVerbs.Fleet),
        ["store-scp"] = ("gateway store-scp --port N --aet AET --out DIR [--bind ADDR] [--allow AET,AET...] [--tls --tls-ca FILE --tls-cert FILE --tls-key FILE [--tls-require-client-cert]]", StoreScpCommand.Run),
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Usage(args.Length == 0 ? stderr : stdout);
            return args.Length == 0 ? BadInput : Ok;
        }
        if (args[0] == "--version")
        {
            stdout.WriteLine($"gateway {DicomImplementation.VersionName}");
            return Ok;
        }
        if (!Verbs.TryGetValue(args[0], out var verb))
        {
            stderr.WriteLine($"gateway: unknown command '{args[0]}'");
            Usage(stderr);
            return BadInput;
        }
        try
        {
            if (args.Skip(1).Any(a => a is "--help" or "-h"))
            {
                stdout.WriteLine($"usage: {verb.Usage}");
                return Ok;
            }
            if (ServiceVerbs.HandOver(args, stdout, stderr) is { } handedOver)
                return handedOver;
            return verb.Run(CommandArgs.Parse(args[1..]), stdout, stderr);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"gateway {args[0]}: {e.Message}");
            stderr.WriteLine($"usage: {verb.Usage}");
            return BadInput;
        }
        catch (DicomFormatException e)
        {
            stderr.WriteLine($"gateway {args[0]}: not a valid DICOM file: {e.Message}");
            return BadInput;
        }
        catch (DicomValueException e)
        {
            stderr.WriteLine($"gateway {args[0]}: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            stderr.WriteLine($"gateway {args[0]}: {e.Message}");
            return BadInput;
        }
        catch (Gateway.Dicom.Network.DicomNetworkException e)
        {
            stderr.WriteLine($"gateway {args[0]}: {e.Message}");
            return Failed;
        }
        catch (Gateway.Spool.SpoolFullException e)
        {
            stderr.WriteLine($"gateway {args[0]}: {e.Message}");
            return Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            stderr.WriteLine($"gateway {args[0]}: {e.Message}");
            return Failed;
        }
    }

    private static void Usage(TextWriter w)
    {
        w.WriteLine("usage:");
        foreach (var v in Verbs.Values)
            w.WriteLine("  " + v.Usage);
    }
}
