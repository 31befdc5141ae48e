using System.Globalization;
using System.Text.Json;
using Gateway.Acquisition.Worklist;
using Gateway.Configuration;
using Gateway.Dicom;
using Gateway.Host.Service;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway worklist [--config FILE] [--json]`: the box's current Modality Worklist (issue #17), for a technician on
/// SSH and for tests. Asks the RIS now; when it cannot, prints the list `gateway run` kept, marked stale since its
/// fetch. Only reads (safe beside the running service). One line per scheduled step — with --json one DICOM JSON
/// object (PS3.18 F) per step, with a "problems" list when a required key is missing or malformed — and a summary
/// line (on stderr with --json). Exit 0 when a list (fresh or stale) was printed, 1 when neither the RIS nor the
/// file gives one, 2 for bad usage or a configuration without a worklist.
/// </summary>
internal static class WorklistCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        var path = args.Option("config") ?? RunCommand.DefaultConfig;
        var json = args.Flag("json");
        args.RejectUnknown();
        args.ExpectPositional(0, "no positional arguments");
        GatewayConfig config;
        try
        {
            config = ConfigValidator.Load(path);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"gateway worklist: {e.Message}");
            return Cli.BadInput;
        }
        if (config.Worklist is not { } w)
        {
            stderr.WriteLine($"gateway worklist: {path} has no worklist section (see README, \"Configuration\")");
            return Cli.BadInput;
        }
        var source = WorklistSetup.Source(config, w, NullLogger.Instance);
        var (snapshot, problem) = source.RefreshAsync(save: false, CancellationToken.None).GetAwaiter().GetResult();
        if (snapshot is null)
        {
            stderr.WriteLine($"gateway worklist: no list: {problem}");
            return Cli.Failed;
        }
        var summary = Summary(w, snapshot);
        (json ? stderr : stdout).WriteLine(summary);
        foreach (var item in snapshot.Items)
        {
            if (json)
                stdout.WriteLine(Json(item));
            else
                Text(stdout, item);
        }
        return Cli.Ok;
    }

    private static string Summary(WorklistConfig w, WorklistSnapshot s)
    {
        var fetched = s.FetchedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
        var problems = s.Items.Count(i => !i.IsUsable);
        var head = $"worklist of {w.AeTitle} at {w.Host}:{w.Port.ToString(CultureInfo.InvariantCulture)}: {s.Items.Count} scheduled step(s)"
            + (problems > 0 ? $", {problems} with problems" : "");
        return s.IsStale ? $"{head}; STALE since {fetched} (the RIS did not answer: {s.StaleBecause})" : $"{head}; fetched {fetched}";
    }

    /// <summary>The step as DICOM JSON, with "problems" added when it has any (a key DICOM JSON never uses: tags are hex).</summary>
    internal static string Json(WorklistItem item)
    {
        var text = DicomJson.Serialize(item.Identifier);
        // The step's key (what `gateway exam select` and the page take), then the problems: keys DICOM JSON never uses (tags are hex).
        var extra = $"\"key\":\"{WorklistStepKey.Of(item)}\"" + (item.IsUsable ? "" : $",\"problems\":{JsonSerializer.Serialize(item.Problems, ProblemsJson)}");
        return text == "{}" ? $"{{{extra}}}" : $"{text[..^1]},{extra}}}";
    }

    private static readonly JsonSerializerOptions ProblemsJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void Text(TextWriter w, WorklistItem i)
    {
        static string V(string? s) => s is null ? "-" : Gateway.Shared.LogText.Bounded(s);
        var when = i.StepStartDate is { } d ? DicomDateTimeText.FormatDate(d) + (i.StepStartTime is { } t ? " " + t.ToString("HH:mm", CultureInfo.InvariantCulture) : "") : "-";
        w.WriteLine($"{when}  {V(i.Modality)}  step {V(i.StepId)}  accession {V(i.AccessionNumber)}  {V(i.PatientId)}  {V(i.PatientName)}"
            + $"  {(i.PatientBirthDate is { } b ? DicomDateTimeText.FormatDate(b) : "-")} {V(i.PatientSex)}  {V(i.StepDescription ?? i.RequestedProcedureDescription)}");
        w.WriteLine($"    key: {WorklistStepKey.Of(i)}");
        foreach (var p in i.Problems)
            w.WriteLine($"    problem: {Gateway.Shared.LogText.OneLine(p)}");
    }
}
