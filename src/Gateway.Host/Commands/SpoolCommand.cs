using System.Globalization;
using Gateway.Spool;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway spool list|retry|purge`: what is waiting, for whom, and why; put dead letters back in the queue; delete them.
/// Works on the spool directory; with the service running, its next restart (or the web page, issue #8) sees the change.
/// </summary>
internal static class SpoolCommand
{
    public static int Run(CommandArgs args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Positional.Count != 1 || args.Positional[0] is not ("list" or "retry" or "purge"))
            throw new UsageException("give one action: list, retry or purge");
        var dir = args.Option("spool") ?? SpoolPathFromConfig(args.Option("config") ?? RunCommand.DefaultConfig);
        if (!Directory.Exists(dir))
            throw new UsageException($"--spool {dir}: no such directory");
        var id = args.Option("id");
        var destination = args.Option("destination");
        var yes = args.Flag("yes");
        args.RejectUnknown();

        var spool = new DurableSpool(new SpoolOptions { Directory = dir, MinFreeBytes = 0 });
        var report = spool.Recover();
        foreach (var q in report.Quarantined)
            stderr.WriteLine($"quarantined at recovery: {q}");
        switch (args.Positional[0])
        {
            case "list":
                List(spool, stdout);
                return Cli.Ok;
            case "retry":
                var n = spool.Retry(id, destination);
                stdout.WriteLine($"{n} dead letter(s) put back in the queue");
                return Cli.Ok;
            default:
                var victims = spool.Entries.Count(e => (id is null || e.Id == id) && e.IsFinished && e.HasDeadLetters);
                if (!yes)
                {
                    stdout.WriteLine($"{victims} entr(ies) with dead letters would be deleted; repeat with --yes to delete them");
                    return Cli.Ok;
                }
                stdout.WriteLine($"{spool.PurgeDeadLetters(id)} entr(ies) deleted");
                return Cli.Ok;
        }
    }

    private static string SpoolPathFromConfig(string configPath)
    {
        try
        {
            return Configuration.ConfigValidator.Load(configPath).Spool.Path;
        }
        catch (Configuration.ConfigException e)
        {
            throw new UsageException($"give --spool DIR, or a valid --config: {e.Message}");
        }
    }

    private static void List(DurableSpool spool, TextWriter stdout)
    {
        var entries = spool.Entries;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{entries.Count} entries, {spool.UsedBytes} bytes"));
        foreach (var group in entries.SelectMany(e => e.Deliveries.Select(d => (Destination: d.Key, Entry: e, Delivery: d.Value)))
                     .GroupBy(x => x.Destination).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var pending = group.Where(x => x.Delivery.State == DeliveryState.Pending).ToList();
            var dead = group.Count(x => x.Delivery.State == DeliveryState.Dead);
            var oldest = pending.Count == 0 ? "-" : pending.Min(x => x.Entry.Created).ToString("u", CultureInfo.InvariantCulture);
            stdout.WriteLine($"destination {group.Key}: {pending.Count} pending (oldest {oldest}), {dead} dead letter(s)");
            foreach (var (_, e, d) in group.OrderBy(x => x.Entry.Id, StringComparer.Ordinal))
            {
                // UIDs, never patient data.
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {e.Id} {d.State.ToString().ToLowerInvariant(),-7} attempts {d.Attempts} {e.Modality} {e.SopInstanceUid} {e.Size} bytes{(d.LastError is null ? "" : " — " + d.LastError)}"));
            }
        }
    }
}
