using System.Globalization;
using Gateway.Acquisition.Exams;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway exam [show] | select KEY | end | cancel REASON | reasons`: the exam of the running service from a shell, as
/// the page's status and worklist pages do it (issue #17; for a technician on SSH and for scripts). KEY is a step's
/// key as `gateway worklist` prints it; REASON a code of `gateway exam reasons` (PS3.16 CID 9300). The request goes to
/// the service over its control socket (root or the service's user only) and is audit-logged there like a tap on the
/// page (8001–8012, never patient data); `show` prints the exam to this terminal only.
/// </summary>
internal static class ExamCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var action = args.Positional.Count == 0 ? "show" : args.Positional[0];
        var (expected, what) = action switch
        {
            "show" or "end" or "reasons" => (1, ""),
            "select" => (2, "select takes one step key (from `gateway worklist`)"),
            "cancel" => (2, "cancel takes one reason code (see `gateway exam reasons`)"),
            _ => throw new UsageException($"unknown action '{action}': show, select KEY, end, cancel REASON or reasons"),
        };
        if (args.Positional.Count > expected || (expected == 2 && args.Positional.Count != 2))
            throw new UsageException(what.Length > 0 ? what : $"{action} takes no argument");
        var argument = expected == 2 ? args.Positional[1] : null;
        if (action == "reasons")
        {
            // The list is the standard's, not the box's: --config and --spool are accepted (as for the other actions) and unused.
            _ = args.Option("spool");
            _ = args.Option("config");
            args.RejectUnknown();
            foreach (var r in DiscontinuationReasons.All)
                stdout.WriteLine($"{r.Code}  {r.Meaning}");
            return Cli.Ok;
        }
        var dir = args.Option("spool") ?? SpoolCommand.SpoolPathFromConfig(args.Option("config") ?? RunCommand.DefaultConfig);
        args.RejectUnknown();
        if (argument is not null && (argument.Length is 0 or > 64 || !argument.All(char.IsAsciiLetterOrDigit)))
            throw new UsageException($"'{Gateway.Shared.LogText.Bounded(argument)}' is not a step key or reason code (letters and digits)");
        var reply = Directory.Exists(dir) ? Service.SpoolControlServer.Ask(dir, new Service.SpoolControlRequest("exam-" + action, argument, null)) : null;
        if (reply is null)
        {
            stderr.WriteLine($"gateway exam {action}: no running gateway answers on {dir} (the exam is the service's: start it, or use the web page)");
            return Cli.Failed;
        }
        (reply.Ok ? stdout : stderr).WriteLine(reply.Message);
        return reply.Ok ? Cli.Ok : Cli.Failed;
    }

    /// <summary>The exam as the status page says it, for the terminal (the service answers `exam-show` with this).</summary>
    public static string Describe(Gateway.Web.ExamView e)
    {
        if (e.Source == "none")
            return "no exam: nothing is selected; the next images carry the device's and the profile's values";
        var lines = new List<string>
        {
            $"exam: {e.State}, {e.Images.ToString(CultureInfo.InvariantCulture)} image(s), {Source(e.Source)}",
            $"  patient {e.PatientName ?? "-"}, ID {e.PatientId ?? "-"}, accession {e.AccessionNumber ?? "-"}",
        };
        if (e.Procedure is { } p)
            lines.Add($"  procedure {p}");
        if (e.StepKey is { } k)
            lines.Add($"  step key {k}");
        if (e.Started is { } s)
            lines.Add($"  started {s.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)}");
        if (e.Mpps is { } m)
            lines.Add($"  MPPS {m}");
        return string.Join('\n', lines.Select(Gateway.Shared.LogText.Bounded));
    }

    private static string Source(string source) => source switch
    {
        "worklist" => "selected from the worklist",
        "manual" => "entered by hand (unscheduled)",
        "configuration" => "from the configuration's exam",
        _ => source,
    };
}
