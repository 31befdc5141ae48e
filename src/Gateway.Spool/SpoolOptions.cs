namespace Gateway.Spool;

/// <summary>Where the spool lives and how much it may take.</summary>
public sealed record SpoolOptions
{
    public required string Directory { get; init; }
    /// <summary>Payload bytes the spool may hold; 0 means no quota.</summary>
    public long QuotaBytes { get; init; }
    /// <summary>Free space to leave on the volume: an enqueue that would go below it is refused.</summary>
    public long MinFreeBytes { get; init; } = 256L << 20;
    /// <summary>Keep delivered objects this long (oldest removed first); zero deletes them at once (the default).</summary>
    public TimeSpan KeepDelivered { get; init; } = TimeSpan.Zero;
    /// <summary>At most this many bytes of delivered objects are kept; 0 means no limit besides <see cref="KeepDelivered"/>.</summary>
    public long KeepDeliveredBytes { get; init; }
    /// <summary>
    /// The entries whose outcome is recorded in <c>&lt;spool&gt;/outcomes</c> when they leave the spool (<see cref="OutcomeLedger"/>;
    /// issue #18: those received by the storage SCP, when modalities may ask it for commitment). Null: none, no ledger.
    /// </summary>
    public Func<SpoolEntry, bool>? RecordOutcomesOf { get; init; }
    /// <summary>How long an outcome is kept in the ledger.</summary>
    public TimeSpan OutcomeRetention { get; init; } = TimeSpan.FromDays(7);
    /// <summary>
    /// Group commit (issue #22): how long a batch waits for enqueues and state changes already under way (their files
    /// being written) so that one pair of fsyncs covers them all. A lone caller never waits; zero turns the waiting off
    /// (batches then hold whatever arrived while the previous one ran).
    /// </summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(2);
    /// <summary>
    /// Deletions of delivered entries are made durable together, at most this long after the first of them (issue #22).
    /// A power loss within it may bring such entries back: they are sent again, byte for byte the same
    /// (docs/conformance.md, "duplicates").
    /// </summary>
    public TimeSpan DeletionWindow { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Make renames durable by an fsync of each directory even where the volume keeps its metadata changes in order
    /// (<see cref="JournalOrder"/>: ext4 with a journal, where one fsync of the last file renamed does it).
    /// </summary>
    public bool AlwaysFsyncDirectories { get; init; }
}

/// <summary>The spool cannot take a new object (quota or free-space floor). Objects already spooled keep flowing.</summary>
public sealed class SpoolFullException(string message) : IOException(message);

/// <summary>Something happened in the spool that telemetry and the web page report.</summary>
public sealed record SpoolEvent(string Kind, string EntryId, string? Destination = null, string? Detail = null)
{
    public const string Stored = "stored";
    public const string Sent = "sent";
    public const string RetryScheduled = "retry-scheduled";
    public const string DeadLettered = "dead-lettered";
    public const string QuotaReached = "quota-reached";
    public const string Quarantined = "quarantined";
    /// <summary>Stored by a destination with Storage Commitment; the entry stays until the archive commits it.</summary>
    public const string AwaitingCommitment = "awaiting-commitment";
    /// <summary>The archive reported an object as not committed (or never answered): it is sent again.</summary>
    public const string CommitmentFailed = "commitment-failed";
    /// <summary>The deletions of delivered entries could not be made durable (Detail: the cause and the next try).</summary>
    public const string DeletionsNotDurable = "deletions-not-durable";
    /// <summary>An entry's state file could not be read (an I/O error): the entry is passed over and stays; said once per entry.</summary>
    public const string Unreadable = "unreadable";
}

/// <summary>What recovery found and did at start.</summary>
public sealed record RecoveryReport(int Entries, int TempFilesRemoved, int OrphansRemoved, IReadOnlyList<string> Quarantined)
{
    /// <summary>Entries whose state made sense but held an impossible value that was corrected (e.g. a next attempt in year 9999).</summary>
    public IReadOnlyList<string> Corrected { get; init; } = [];

    /// <summary>What was wrong with the outcome ledger's files (invalid lines skipped), if it is kept.</summary>
    public IReadOnlyList<string> OutcomeProblems { get; init; } = [];
}

/// <summary>One destination's deliveries by state (<see cref="DurableSpool.CountsFor"/>), with the creation time of the oldest pending and awaiting.</summary>
public sealed record DestinationCounts(int Pending, DateTimeOffset? OldestPending, int Dead, int AwaitingCommitment, DateTimeOffset? OldestAwaiting);

/// <summary>The spool by state (<see cref="DurableSpool.Summary"/>): entries, those not finished, those holding dead letters, the oldest unfinished, payload bytes.</summary>
public sealed record SpoolSummary(int Entries, int Unfinished, int WithDeadLetters, DateTimeOffset? OldestUnfinished, long Bytes);
