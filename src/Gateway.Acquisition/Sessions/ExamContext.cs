using Gateway.Dicom;

namespace Gateway.Acquisition.Sessions;

/// <summary>
/// The patient and study for the next acquisitions: from the configuration, set by the technician (web page), later
/// picked from the worklist. A change starts a new series. Thread-safe.
/// </summary>
public sealed class ExamContext
{
    private DicomDataset _attributes = new();
    private int _version;

    /// <summary>Raised after the exam changed (a new series begins with the next frame).</summary>
    public event Action? Changed;

    public int Version => Volatile.Read(ref _version);

    /// <summary>A copy of the current attributes (PatientName, PatientID, AccessionNumber, StudyInstanceUID …).</summary>
    public DicomDataset Snapshot()
    {
        var current = Volatile.Read(ref _attributes);
        var copy = new DicomDataset();
        foreach (var item in current)
            copy.AddOrUpdate(item);
        return copy;
    }

    public void Set(DicomDataset attributes)
    {
        Volatile.Write(ref _attributes, attributes);
        Interlocked.Increment(ref _version);
        Changed?.Invoke();
    }
}
