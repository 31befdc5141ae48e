using Gateway.Dicom;

namespace Gateway.Acquisition.Exams;

/// <summary>One SOP instance acquired under an exam: an intent (written before its spool commit) or committed.</summary>
public sealed record ExamInstance(string SopClassUid, string SopInstanceUid, string SeriesInstanceUid, bool Committed);

/// <summary>
/// The exam the next images go to, as <c>&lt;spool&gt;/exam.json</c> holds it (issue #17; <see cref="ExamFile"/>):
/// where it came from, the attributes the images take, and — once the first image began — the performed procedure
/// step we perform (our PPS SOP Instance UID, PPS ID, start) and the instances acquired so far. Immutable.
/// </summary>
public sealed record ExamRecord
{
    public const string None = "none";
    public const string FromWorklist = "worklist";
    public const string Manual = "manual";
    public const string FromConfiguration = "configuration";

    /// <summary>This box's exam counter: names the exam in logs and its MPPS messages in the queue (their order).</summary>
    public long Number { get; init; }

    /// <summary><see cref="None"/>, <see cref="FromWorklist"/>, <see cref="Manual"/> or <see cref="FromConfiguration"/>.</summary>
    public string Source { get; init; } = None;

    /// <summary>The worklist step's key (WorklistRow.Key) when <see cref="Source"/> is the worklist.</summary>
    public string? StepKey { get; init; }

    /// <summary>Patient, study and request attributes for the images (<see cref="ExamAttributes"/>), as text.</summary>
    public DicomDataset Attributes { get; init; } = new();

    /// <summary>Our Performed Procedure Step SOP Instance UID (the MPPS instance); set when the first image begins.</summary>
    public string? PpsUid { get; init; }

    /// <summary>Performed Procedure Step ID (SH), set with <see cref="PpsUid"/>.</summary>
    public string? PpsId { get; init; }

    public DateTimeOffset? Started { get; init; }

    /// <summary>Whether the N-CREATE IN PROGRESS is in the MPPS queue (written when the first instance was committed).</summary>
    public bool MppsCreated { get; init; }

    public IReadOnlyList<ExamInstance> Instances { get; init; } = [];

    /// <summary>Images were begun under it (and it was neither ended nor cancelled): a new selection is refused.</summary>
    public bool InProgress => Started is not null;

    public IEnumerable<ExamInstance> CommittedInstances => Instances.Where(i => i.Committed);

    public string? StudyInstanceUid => Attributes.TryGetString(DicomTags.StudyInstanceUID) is { Length: > 0 } s ? s : null;
}
