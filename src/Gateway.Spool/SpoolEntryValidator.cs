using System.Text.RegularExpressions;
using Gateway.Shared;

namespace Gateway.Spool;

/// <summary>
/// A state file is input from outside like any other (a flipped bit, a hand edit, a half-restored backup): before an
/// entry is loaded every field is checked to make sense (issue #13 item 7). What cannot be trusted is quarantined with
/// its reason; what is merely out of range and harmless to correct (a next attempt decades away) is corrected and said.
/// </summary>
public static partial class SpoolEntryValidator
{
    /// <summary>No back-off waits longer than this: a later next attempt is a corrupt date and is made due now.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromDays(1);

    /// <summary>More attempts than any back-off schedule makes in decades; a larger count is corrupt (and would overflow).</summary>
    public const int MaxAttempts = 10_000_000;

    /// <summary>Earlier Storage Commitment transactions kept per delivery (a late report to one of them still counts).</summary>
    public const int MaxEarlierTransactions = 4;

    /// <summary>
    /// The problem that makes <paramref name="entry"/> unusable, or null; <paramref name="corrected"/> is the entry to
    /// load (with impossible due times made due at <paramref name="now"/>) and <paramref name="notes"/> what was corrected.
    /// </summary>
    public static string? Check(string id, SpoolEntry? entry, DateTimeOffset now, out SpoolEntry? corrected, out string? notes)
    {
        corrected = null;
        notes = null;
        if (entry is null)
            return "state file is empty (null)";
        if (entry.Id != id)
            return $"state file names entry '{LogText.Bounded(entry.Id)}', but it is the state of {id}";
        if (entry.Size < 0)
            return $"size {entry.Size} is negative";
        if (entry.Sha256 is null || !Sha256Pattern().IsMatch(entry.Sha256))
            return "checksum is missing or not 64 hexadecimal digits";
        if (!IsUid(entry.SopClassUid))
            return $"SOP Class UID '{LogText.Bounded(entry.SopClassUid)}' is not a UID";
        if (!IsUid(entry.SopInstanceUid))
            return $"SOP Instance UID '{LogText.Bounded(entry.SopInstanceUid)}' is not a UID";
        if (entry.Modality is null || entry.Source is null)
            return "modality or source is missing";
        if (entry.Deliveries is null)
            return "Deliveries is missing (null): the destinations of the object are unknown";
        if (entry.Deliveries.Count == 0)
            return "Deliveries is empty: the object is routed to no destination";
        var fixes = new List<string>();
        var deliveries = new Dictionary<string, Delivery>(StringComparer.Ordinal);
        foreach (var (destination, d) in entry.Deliveries)
        {
            if (string.IsNullOrWhiteSpace(destination))
                return "a delivery has no destination name";
            if (d is null)
                return $"the delivery to '{LogText.Bounded(destination)}' is missing (null)";
            if (!Enum.IsDefined(d.State))
                return $"the delivery to '{LogText.Bounded(destination)}' has an unknown state {(int)d.State}";
            if (d.Attempts < 0)
                return $"the delivery to '{LogText.Bounded(destination)}' has {d.Attempts} attempts";
            var delivery = d;
            if (d.Attempts > MaxAttempts)
            {
                fixes.Add($"the delivery to '{LogText.Bounded(destination)}' had {d.Attempts} attempts: counted as {MaxAttempts}");
                delivery = delivery with { Attempts = MaxAttempts };
            }
            if (d.Transaction is not null && !IsUid(d.Transaction))
                return $"the delivery to '{LogText.Bounded(destination)}' names a commitment transaction '{LogText.Bounded(d.Transaction)}' that is not a UID";
            if (d.EarlierTransactions is { } earlier && (earlier.Count > MaxEarlierTransactions || earlier.Any(t => !IsUid(t))))
                return $"the delivery to '{LogText.Bounded(destination)}' has earlier commitment transactions that are not UIDs or more than {MaxEarlierTransactions}";
            if (d.SentSopInstanceUid is not null && !IsUid(d.SentSopInstanceUid))
                return $"the delivery to '{LogText.Bounded(destination)}' names a sent SOP Instance UID '{LogText.Bounded(d.SentSopInstanceUid)}' that is not a UID";
            if (d.CommitRequests < 0 || d.CommitRequests > MaxAttempts || d.Stored < 0 || d.Stored > MaxAttempts)
                return $"the delivery to '{LogText.Bounded(destination)}' has {d.CommitRequests} commitment requests and {d.Stored} stores";
            if (d.State is DeliveryState.Pending or DeliveryState.AwaitingCommitment && d.NextAttempt > now + MaxRetryDelay)
            {
                fixes.Add($"next attempt to '{LogText.Bounded(destination)}' was {d.NextAttempt:O}, more than {MaxRetryDelay.TotalHours:0} h ahead: made due now");
                delivery = delivery with { NextAttempt = now };
            }
            deliveries[destination] = delivery;
        }
        if (entry.Created > now + MaxRetryDelay)
            fixes.Add($"creation time {entry.Created:O} is in the future (kept; the object is sent as usual)");
        corrected = fixes.Count == 0 ? entry : entry with { Deliveries = deliveries };
        notes = fixes.Count == 0 ? null : string.Join("; ", fixes);
        return null;
    }

    private static bool IsUid(string? uid) => uid is { Length: > 0 and <= 64 } && UidPattern().IsMatch(uid);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex(@"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")]
    private static partial Regex UidPattern();
}
