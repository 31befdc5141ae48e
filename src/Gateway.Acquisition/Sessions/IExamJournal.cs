using Gateway.Dicom;

namespace Gateway.Acquisition.Sessions;

/// <summary>
/// Where the exam in progress records the instances acquired under it (issue #17, the Performed Series Sequence of
/// MPPS). <see cref="AcquisitionSession"/> calls <see cref="Begin"/> before the spool commit of an object (a durable
/// intent), then <see cref="Committed"/> once the spool holds it (the entry is held back from the forwarder until then),
/// or <see cref="Aborted"/> when the object was not committed. The argument why this gives "exactly the instances
/// committed" after any crash is on <c>ExamWorkflow</c> and in docs/conformance.md. Implementations are thread-safe.
/// </summary>
public interface IExamJournal
{
    /// <summary>
    /// Records the intent durably and returns the attributes the object takes from the exam (patient, study, request
    /// and performed procedure step attributes; they override the device's and the profile's), or null with
    /// <paramref name="refused"/> (the exam changed since the series began — <paramref name="examVersion"/>, null:
    /// any — or the record could not be written).
    /// </summary>
    /// <param name="examNumber">The exam a multi-frame series was begun in (its manifest's), when the object is
    /// written later (after a restart, or a flush that failed): an exam that ended meanwhile does not adopt it — the
    /// object keeps the patient and study it was acquired under, outside any exam's record.</param>
    DicomDataset? Begin(int? examVersion, string sopClassUid, string sopInstanceUid, string seriesInstanceUid, out string? refused, long? examNumber = null);

    /// <summary>The number of the exam new images are begun in (recorded in a multi-frame series' manifest).</summary>
    long ExamNumber { get; }

    /// <summary>The spool committed the object as <paramref name="entryId"/>; true when that is durable in the record (the entry may then be released).</summary>
    bool Committed(string sopInstanceUid, string entryId);

    /// <summary>The object was not committed (the spool refused it, the write failed).</summary>
    void Aborted(string sopInstanceUid);
}
