using Gateway.Dicom;

namespace Gateway.Acquisition.Exams;

/// <summary>Where an MPPS message stands: waiting (first try or back-off), accepted by the SCP, or refused for good.</summary>
public enum MppsState
{
    Pending,
    Sent,
    Failed,
}

/// <summary>
/// One MPPS request in the durable queue (<see cref="MppsQueue"/>): the N-CREATE (IN PROGRESS) or the final N-SET
/// (COMPLETED or DISCONTINUED) of exam <see cref="Exam"/>, with its data set as built when it was queued — a retry
/// sends the identical request (same SOP Instance UID, same attributes).
/// </summary>
public sealed record MppsMessage
{
    public const string Create = "N-CREATE";
    public const string Set = "N-SET";

    /// <summary>The file name without ".json": exam number and step ("0000000012-1"), so name order is send order.</summary>
    public required string Id { get; init; }
    public required long Exam { get; init; }
    public required string Command { get; init; }
    public required string PpsUid { get; init; }
    /// <summary>The Performed Procedure Step Status the request carries (IN PROGRESS, COMPLETED, DISCONTINUED).</summary>
    public required string Status { get; init; }
    public required DicomDataset Dataset { get; init; }
    public MppsState State { get; init; }
    public int Attempts { get; init; }
    /// <summary>Requests that left on an association the SCP accepted (not connection failures): how a 0110 to a retried N-SET is judged.</summary>
    public int Sent { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset NextAttempt { get; init; }
    public string? LastError { get; init; }

    public static string IdOf(long exam, int step) => $"{exam:D10}-{step}";
}
