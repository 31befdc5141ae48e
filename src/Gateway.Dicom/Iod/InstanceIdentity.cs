namespace Gateway.Dicom.Iod;

/// <summary>
/// The identity of one object, decided once and kept: a retry resends the same object with the same UIDs. A worklist
/// (or the technician) may supply the Study Instance UID; otherwise it is generated once per study.
/// </summary>
public sealed record InstanceIdentity(string StudyInstanceUid, string SeriesInstanceUid, string SopInstanceUid, int SeriesNumber, int InstanceNumber);

/// <summary>
/// One acquisition session = one series (issue #3): UIDs are generated once per study and series, and each instance
/// gets a new SOP Instance UID and the next instance number.
/// </summary>
public sealed class SeriesContext(DicomUidGenerator uids, string? studyInstanceUid = null, int seriesNumber = 1)
{
    private int _instance;

    public string StudyInstanceUid { get; } = studyInstanceUid ?? uids.NewUid();
    public string SeriesInstanceUid { get; } = uids.NewUid();
    public int SeriesNumber { get; } = seriesNumber;

    public InstanceIdentity NextInstance() =>
        new(StudyInstanceUid, SeriesInstanceUid, uids.NewUid(), SeriesNumber, Interlocked.Increment(ref _instance));
}
