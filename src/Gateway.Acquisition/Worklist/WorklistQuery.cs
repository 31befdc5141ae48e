using System.Text;
using Gateway.Dicom;

namespace Gateway.Acquisition.Worklist;

/// <summary>
/// A Modality Worklist query (PS3.4 K.6, IHE SWF RAD-5): the return keys an acquisition modality needs, in one place
/// (`gateway find --level worklist` starts from them too), and this box's matching keys — Scheduled Station AE Title
/// and/or Modality, a start-date range today − <see cref="DaysBefore"/> … today + <see cref="DaysAfter"/>, optionally
/// Scheduled Station Name.
/// </summary>
public sealed record WorklistQuery
{
    public string? ScheduledStationAeTitle { get; init; }
    public string? Modality { get; init; }
    public int DaysBefore { get; init; }
    public int DaysAfter { get; init; }
    public string? StationName { get; init; }

    /// <summary>
    /// The return keys (universal matching: zero-length, PS3.4 C.2.2.2.3) of PS3.4 Table K.6-1 that a modality copies
    /// into its images and MPPS (PS3.17 Annex J, IHE RAD TF-2 4.5 "Modality Worklist" required keys), and the sequence
    /// keys with one empty item whose attributes it wants back. A fresh data set per call (callers add to it).
    /// </summary>
    public static DicomDataset ReturnKeys()
    {
        var ds = new DicomDataset();
        Empty(ds, DicomTags.AccessionNumber, DicomVR.SH);
        Empty(ds, DicomTags.ReferringPhysicianName, DicomVR.PN);
        ds.SetSequence(DicomTags.ReferencedStudySequence, Item([(DicomTags.ReferencedSOPClassUID, DicomVR.UI), (DicomTags.ReferencedSOPInstanceUID, DicomVR.UI)]));
        Empty(ds, DicomTags.PatientName, DicomVR.PN);
        Empty(ds, DicomTags.PatientID, DicomVR.LO);
        Empty(ds, DicomTags.IssuerOfPatientID, DicomVR.LO);
        Empty(ds, DicomTags.PatientBirthDate, DicomVR.DA);
        Empty(ds, DicomTags.PatientSex, DicomVR.CS);
        ds.SetSequence(DicomTags.OtherPatientIDsSequence, Item([(DicomTags.PatientID, DicomVR.LO), (DicomTags.IssuerOfPatientID, DicomVR.LO), (DicomTags.TypeOfPatientID, DicomVR.CS)]));
        Empty(ds, DicomTags.StudyInstanceUID, DicomVR.UI);
        Empty(ds, DicomTags.RequestedProcedureDescription, DicomVR.LO);
        ds.SetSequence(DicomTags.RequestedProcedureCodeSequence, Code());
        Empty(ds, DicomTags.RequestedProcedureID, DicomVR.SH);
        var step = Item(
        [
            (DicomTags.Modality, DicomVR.CS), (DicomTags.ScheduledStationAETitle, DicomVR.AE),
            (DicomTags.ScheduledProcedureStepStartDate, DicomVR.DA), (DicomTags.ScheduledProcedureStepStartTime, DicomVR.TM),
            (DicomTags.ScheduledPerformingPhysicianName, DicomVR.PN), (DicomTags.ScheduledProcedureStepDescription, DicomVR.LO),
            (DicomTags.ScheduledProcedureStepID, DicomVR.SH), (DicomTags.ScheduledStationName, DicomVR.SH),
        ]);
        step.SetSequence(DicomTags.ScheduledProtocolCodeSequence, Code());
        ds.SetSequence(DicomTags.ScheduledProcedureStepSequence, step);
        return ds;
    }

    /// <summary>The identifier for the day <paramref name="today"/>: <see cref="ReturnKeys"/> with this query's matching values.</summary>
    public DicomDataset Identifier(DateOnly today)
    {
        var ds = ReturnKeys();
        var step = ds.GetSequence(DicomTags.ScheduledProcedureStepSequence).Items[0];
        if (ScheduledStationAeTitle is { } station)
            step.Set(DicomTags.ScheduledStationAETitle, DicomVR.AE, station);
        if (Modality is { } modality)
            step.Set(DicomTags.Modality, DicomVR.CS, modality);
        if (StationName is { } name)
        {
            step.Set(DicomTags.ScheduledStationName, DicomVR.SH, name);
            if (name.Any(c => c > 0x7F))
                ds.Set(DicomTags.SpecificCharacterSet, "ISO_IR 192"); // a matching value outside ASCII goes as UTF-8
        }
        // Range matching on the start date (PS3.4 C.2.2.2.5): "from-to", both ends included. The range is not a
        // value Set() takes (it checks a single date), so its bytes are given as they go on the wire.
        var from = DicomDateTimeText.FormatDate(today.AddDays(-DaysBefore));
        var to = DicomDateTimeText.FormatDate(today.AddDays(DaysAfter));
        var range = from == to ? from : from + "-" + to;
        step.AddOrUpdate(new DicomElement(DicomTags.ScheduledProcedureStepStartDate, DicomVR.DA, DicomBuffer.From(Encoding.ASCII.GetBytes(range))));
        return ds;
    }

    private static void Empty(DicomDataset ds, DicomTag tag, DicomVR vr) => ds.Set(tag, vr, Array.Empty<string>());

    private static DicomDataset Item(IEnumerable<(DicomTag Tag, DicomVR VR)> keys)
    {
        var item = new DicomDataset();
        foreach (var (tag, vr) in keys)
            Empty(item, tag, vr);
        return item;
    }

    private static DicomDataset Code() =>
        Item([(DicomTags.CodeValue, DicomVR.SH), (DicomTags.CodingSchemeDesignator, DicomVR.SH), (DicomTags.CodingSchemeVersion, DicomVR.SH), (DicomTags.CodeMeaning, DicomVR.LO)]);
}
