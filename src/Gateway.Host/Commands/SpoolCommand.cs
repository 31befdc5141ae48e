using System.Globalization;
using Gateway.Spool;

namespace Gateway.Host.Commands;

/// <summary>
/// `gateway spool list|retry|purge`: what is waiting, for whom, and why; put dead letters back in the queue; delete them.
/// `list` only reads (safe beside the running service, issue #13 item 6). `retry` and `purge` change the spool, which
/// only the process holding its lock may do: with the service running they are sent to it over its control socket;
/// with it stopped, this command takes the lock and acts itself.
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

        var action = args.Positional[0];
        if (action == "list")
        {
            var (entries, problems) = DurableSpool.ReadEntries(dir);
            foreach (var p in problems)
                stderr.WriteLine($"unusable state file: {p}");
            List(entries, stdout);
            var mppsProblems = new List<string>();
            ListMpps(Gateway.Acquisition.Exams.MppsQueue.Read(dir, mppsProblems), stdout);
            foreach (var p in mppsProblems)
                stderr.WriteLine($"unusable MPPS message: {p}");
            var commitProblems = new List<string>();
            ListCommitmentRequests(Gateway.Acquisition.Commitment.CommitmentRequestQueue.Read(dir, commitProblems), stdout);
            foreach (var p in commitProblems)
                stderr.WriteLine($"unusable commitment request: {p}");
            return Cli.Ok;
        }
        if (action == "purge" && !yes)
        {
            var victims = DurableSpool.ReadEntries(dir).Entries.Count(e => (id is null || e.Id == id) && e.IsFinished && e.HasDeadLetters);
            stdout.WriteLine($"{victims} entr(ies) with dead letters would be deleted; repeat with --yes to delete them");
            return Cli.Ok;
        }

        using var held = SpoolLock.TryAcquire(dir);
        if (held is null)
        {
            // The service runs: it does the change, with its own view of what is in flight.
            var reply = Service.SpoolControlServer.Ask(dir, new Service.SpoolControlRequest(action, id, destination));
            if (reply is null)
            {
                stderr.WriteLine($"gateway spool {action}: the spool {dir} is locked by a running gateway, but its control socket does not answer; try again, or use the web page's Spool page");
                return Cli.Failed;
            }
            (reply.Ok ? stdout : stderr).WriteLine(reply.Message);
            return reply.Ok ? Cli.Ok : Cli.Failed;
        }
        var spool = new DurableSpool(new SpoolOptions { Directory = dir, MinFreeBytes = 0 });
        var report = spool.Recover();
        foreach (var q in report.Quarantined)
            stderr.WriteLine($"quarantined at recovery: {q}");
        var answer = Apply(spool, action, id, destination);
        stdout.WriteLine(answer.Message);
        try
        {
            spool.Close(); // a purge's files are unlinked and the deletions made durable before the command returns
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"gateway spool {action}: the deletions could not all be made durable or unlinked ({e.Message}); what is left is removed at the next start");
            return Cli.Failed;
        }
        return answer.Ok ? Cli.Ok : Cli.Failed;
    }

    /// <summary>Does a changing action on a spool this process holds (the command itself, or the service for its socket).</summary>
    public static Service.SpoolControlReply Apply(DurableSpool spool, string action, string? id, string? destination) => action switch
    {
        "retry" => new(true, $"{spool.Retry(id, destination)} dead letter(s) put back in the queue"),
        "purge" => new(true, $"{spool.PurgeDeadLetters(id)} entr(ies) deleted"),
        _ => new(false, $"'{Gateway.Shared.LogText.Bounded(action)}' is not a spool action (retry or purge)"),
    };

    internal static string SpoolPathFromConfig(string configPath)
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

    /// <summary>pending, done, dead, or "awaiting-commitment (transaction UID, asked N times, ask again at T)".</summary>
    internal static string StateText(Delivery d) => d.State switch
    {
        DeliveryState.AwaitingCommitment when d.Transaction is null => "awaiting-commitment (not yet asked)",
        DeliveryState.AwaitingCommitment => string.Create(CultureInfo.InvariantCulture,
            $"awaiting-commitment (transaction {d.Transaction}, asked {d.CommitRequests} time(s), asked again from {d.NextAttempt:u})"),
        _ => d.State.ToString().ToLowerInvariant(),
    };

    private static void List(IReadOnlyList<SpoolEntry> entries, TextWriter stdout)
    {
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{entries.Count} entries, {entries.Sum(e => e.Size)} bytes"));
        foreach (var group in entries.SelectMany(e => e.Deliveries.Select(d => (Destination: d.Key, Entry: e, Delivery: d.Value)))
                     .GroupBy(x => x.Destination).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var pending = group.Where(x => x.Delivery.State == DeliveryState.Pending).ToList();
            var dead = group.Count(x => x.Delivery.State == DeliveryState.Dead);
            var awaiting = group.Where(x => x.Delivery.State == DeliveryState.AwaitingCommitment).ToList();
            var oldest = pending.Count == 0 ? "-" : pending.Min(x => x.Entry.Created).ToString("u", CultureInfo.InvariantCulture);
            var commitment = awaiting.Count == 0 ? ""
                : $", {awaiting.Count} awaiting commitment (oldest {awaiting.Min(x => x.Entry.Created).ToString("u", CultureInfo.InvariantCulture)})";
            stdout.WriteLine($"destination {group.Key}: {pending.Count} pending (oldest {oldest}){commitment}, {dead} dead letter(s)");
            foreach (var (_, e, d) in group.OrderBy(x => x.Entry.Id, StringComparer.Ordinal))
            {
                // UIDs, never patient data.
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {e.Id} {StateText(d),-7} attempts {d.Attempts} {e.Modality} {e.SopInstanceUid} {e.Size} bytes{(d.LastError is null ? "" : " — " + d.LastError)}"));
            }
        }
    }

    /// <summary>Modalities' storage commitment requests waiting for their report (issue #18): AE title, transaction, instances, age, attempts; never patient data.</summary>
    private static void ListCommitmentRequests(IReadOnlyList<Gateway.Acquisition.Commitment.CommitmentRequest> requests, TextWriter stdout)
    {
        if (requests.Count == 0)
            return;
        var now = DateTimeOffset.UtcNow;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"modality commitment requests: {requests.Count} pending (oldest {requests.Min(r => r.Received):u})"));
        foreach (var r in requests)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Id} from {r.CallingAE} transaction {r.TransactionUid}: {r.Instances.Count} instance(s), {(int)(now - r.Received).TotalSeconds} s old, {r.Attempts} report attempt(s){(r.LastError is null ? "" : " — " + r.LastError)}"));
        }
    }

    /// <summary>The MPPS queue (issue #17): one line per message — exam number, command, status, state, attempts, our PPS UID; never patient data.</summary>
    private static void ListMpps(IReadOnlyList<Gateway.Acquisition.Exams.MppsMessage> messages, TextWriter stdout)
    {
        if (messages.Count == 0)
            return;
        var pending = messages.Count(m => m.State == Gateway.Acquisition.Exams.MppsState.Pending);
        var failed = messages.Count(m => m.State == Gateway.Acquisition.Exams.MppsState.Failed);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mpps: {pending} pending, {failed} failed, {messages.Count - pending - failed} sent"));
        foreach (var m in messages)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {m.Id} {m.State.ToString().ToLowerInvariant(),-7} {m.Command} {m.Status} attempts {m.Attempts} {m.PpsUid}{(m.LastError is null ? "" : " — " + m.LastError)}"));
        }
    }
}
