using System.Globalization;
using Gateway.Dicom;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// The data sets of the MPPS requests (PS3.4 F.7.2, attributes of PS3.3 C.4.13–C.4.16; IHE RAD TF-2 4.6 "Modality
/// Procedure Step In Progress" and 4.7 "Completed/Discontinued"), built from the <see cref="ExamRecord"/>:
/// the N-CREATE with every type 1 and 2 attribute of F.7.2-1 (type 2 sent empty when we have no value), and the final
/// N-SET with status, end date and time and the Performed Series Sequence of the committed instances.
/// </summary>
public static class MppsDatasets
{
    /// <summary>Our station as the MPPS names it (Performed Station AE Title, Name).</summary>
    public sealed record Station(string AeTitle, string Name, string Modality);

    /// <summary>Attributes the images take once the exam has started (the General Series module's PPS attributes).</summary>
    public static DicomDataset ImageAttributes(ExamRecord exam, bool withMpps)
    {
        var ds = new DicomDataset();
        var started = exam.Started!.Value;
        ds.Set(DicomTags.PerformedProcedureStepID, DicomVR.SH, exam.PpsId!);
        ds.Set(DicomTags.PerformedProcedureStepStartDate, DicomVR.DA, started.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        ds.Set(DicomTags.PerformedProcedureStepStartTime, DicomVR.TM, started.ToString("HHmmss", CultureInfo.InvariantCulture));
        if (Description(exam) is { Length: > 0 } description)
            ds.Set(DicomTags.PerformedProcedureStepDescription, DicomVR.LO, description);
        if (ProtocolCodes(exam) is { Count: > 0 } codes)
            ds.SetSequence(DicomTags.PerformedProtocolCodeSequence, [.. codes.Select(Copy)]);
        if (withMpps)
        {
            var reference = new DicomDataset();
            reference.Set(DicomTags.ReferencedSOPClassUID, DicomVR.UI, DicomUids.ModalityPerformedProcedureStep);
            reference.Set(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, exam.PpsUid!);
            ds.SetSequence(DicomTags.ReferencedPerformedProcedureStepSequence, reference);
        }
        return ds;
    }

    /// <summary>N-CREATE, status IN PROGRESS (PS3.4 Table F.7.2-1).</summary>
    public static DicomDataset Create(ExamRecord exam, Station station)
    {
        var a = exam.Attributes;
        var request = Request(exam);
        var ds = new DicomDataset();
        // Performed Procedure Step Relationship (C.4.13). The unscheduled case (IHE RAD TF-2 4.6.4.1.2.4): one item with
        // our Study Instance UID and every other attribute zero length (the accession number when the technician typed one).
        var step = new DicomDataset();
        step.Set(DicomTags.StudyInstanceUID, DicomVR.UI, exam.StudyInstanceUid!);
        step.AddOrUpdate(a.Find(DicomTags.ReferencedStudySequence) is DicomSequence refs ? Copy(refs) : new DicomSequence(DicomTags.ReferencedStudySequence));
        step.Set(DicomTags.AccessionNumber, DicomVR.SH, a.TryGetString(DicomTags.AccessionNumber) ?? "");
        step.Set(DicomTags.RequestedProcedureID, DicomVR.SH, request?.TryGetString(DicomTags.RequestedProcedureID) ?? "");
        step.Set(DicomTags.RequestedProcedureDescription, DicomVR.LO, request?.TryGetString(DicomTags.RequestedProcedureDescription) ?? "");
        step.Set(DicomTags.ScheduledProcedureStepID, DicomVR.SH, request?.TryGetString(DicomTags.ScheduledProcedureStepID) ?? "");
        step.Set(DicomTags.ScheduledProcedureStepDescription, DicomVR.LO, request?.TryGetString(DicomTags.ScheduledProcedureStepDescription) ?? "");
        step.AddOrUpdate(new DicomSequence(DicomTags.ScheduledProtocolCodeSequence, ProtocolCodes(exam).Select(Copy)));
        ds.SetSequence(DicomTags.ScheduledStepAttributesSequence, step);
        ds.Set(DicomTags.PatientName, DicomVR.PN, a.TryGetString(DicomTags.PatientName) ?? "");
        ds.Set(DicomTags.PatientID, DicomVR.LO, a.TryGetString(DicomTags.PatientID) ?? "");
        if (a.TryGetString(DicomTags.IssuerOfPatientID) is { Length: > 0 } issuer)
            ds.Set(DicomTags.IssuerOfPatientID, DicomVR.LO, issuer);
        ds.Set(DicomTags.PatientBirthDate, DicomVR.DA, a.TryGetString(DicomTags.PatientBirthDate) ?? "");
        ds.Set(DicomTags.PatientSex, DicomVR.CS, a.TryGetString(DicomTags.PatientSex) ?? "");
        ds.SetSequence(DicomTags.ReferencedPatientSequence);
        if (a.Find(DicomTags.OtherPatientIDsSequence) is DicomSequence others)
            ds.AddOrUpdate(Copy(others));
        // Performed Procedure Step Information (C.4.14).
        var started = exam.Started!.Value;
        ds.Set(DicomTags.PerformedProcedureStepID, DicomVR.SH, exam.PpsId!);
        ds.Set(DicomTags.PerformedStationAETitle, DicomVR.AE, station.AeTitle);
        ds.Set(DicomTags.PerformedStationName, DicomVR.SH, station.Name.Length <= 16 ? station.Name : station.Name[..16]);
        ds.Set(DicomTags.PerformedLocation, DicomVR.SH, "");
        ds.Set(DicomTags.PerformedProcedureStepStartDate, DicomVR.DA, started.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        ds.Set(DicomTags.PerformedProcedureStepStartTime, DicomVR.TM, started.ToString("HHmmss", CultureInfo.InvariantCulture));
        ds.Set(DicomTags.PerformedProcedureStepStatus, DicomVR.CS, "IN PROGRESS");
        ds.Set(DicomTags.PerformedProcedureStepDescription, DicomVR.LO, Description(exam) ?? "");
        ds.Set(DicomTags.PerformedProcedureTypeDescription, DicomVR.LO, "");
        ds.AddOrUpdate(new DicomSequence(DicomTags.ProcedureCodeSequence,
            request?.Find(DicomTags.RequestedProcedureCodeSequence) is DicomSequence rp ? rp.Items.Select(Copy) : []));
        ds.Set(DicomTags.PerformedProcedureStepEndDate, DicomVR.DA, "");
        ds.Set(DicomTags.PerformedProcedureStepEndTime, DicomVR.TM, "");
        // Image Acquisition Results (C.4.15).
        ds.Set(DicomTags.Modality, DicomVR.CS, station.Modality);
        ds.Set(DicomTags.StudyID, DicomVR.SH, a.TryGetString(DicomTags.StudyID) is { Length: > 0 } sid ? sid : exam.PpsId!);
        ds.AddOrUpdate(new DicomSequence(DicomTags.PerformedProtocolCodeSequence, ProtocolCodes(exam).Select(Copy)));
        ds.SetSequence(DicomTags.PerformedSeriesSequence);
        return WithCharacterSet(ds);
    }

    /// <summary>The final N-SET (PS3.4 F.7.2.2): COMPLETED, or DISCONTINUED with its reason (CID 9300).</summary>
    public static DicomDataset Final(ExamRecord exam, DateTimeOffset ended, DiscontinuationReasons.Reason? discontinued)
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.PerformedProcedureStepStatus, DicomVR.CS, discontinued is null ? "COMPLETED" : "DISCONTINUED");
        ds.Set(DicomTags.PerformedProcedureStepEndDate, DicomVR.DA, ended.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        ds.Set(DicomTags.PerformedProcedureStepEndTime, DicomVR.TM, ended.ToString("HHmmss", CultureInfo.InvariantCulture));
        if (discontinued is { } reason)
        {
            var code = new DicomDataset();
            code.Set(DicomTags.CodeValue, DicomVR.SH, reason.Code);
            code.Set(DicomTags.CodingSchemeDesignator, DicomVR.SH, "DCM");
            code.Set(DicomTags.CodeMeaning, DicomVR.LO, reason.Meaning);
            ds.SetSequence(DicomTags.PerformedProcedureStepDiscontinuationReasonCodeSequence, code);
        }
        // Protocol Name is type 1 in each item: the step's protocol as the RIS described it, else the procedure's.
        var protocol = Description(exam) is { Length: > 0 } d ? (d.Length <= 64 ? d : d[..64]) : "UNSCHEDULED";
        var series = exam.CommittedInstances.GroupBy(i => i.SeriesInstanceUid, StringComparer.Ordinal).Select(g =>
        {
            var item = new DicomDataset();
            item.Set(DicomTags.PerformingPhysicianName, DicomVR.PN, "");
            item.Set(DicomTags.ProtocolName, DicomVR.LO, protocol);
            item.Set(DicomTags.OperatorsName, DicomVR.PN, "");
            item.Set(DicomTags.SeriesInstanceUID, DicomVR.UI, g.Key);
            item.Set(DicomTags.SeriesDescription, DicomVR.LO, "");
            item.Set(DicomTags.RetrieveAETitle, DicomVR.AE, "");
            item.SetSequence(DicomTags.ReferencedImageSequence, [.. g.Select(i =>
            {
                var r = new DicomDataset();
                r.Set(DicomTags.ReferencedSOPClassUID, DicomVR.UI, i.SopClassUid);
                r.Set(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, i.SopInstanceUid);
                return r;
            })]);
            item.SetSequence(DicomTags.ReferencedNonImageCompositeSOPInstanceSequence);
            return item;
        });
        ds.SetSequence(DicomTags.PerformedSeriesSequence, [.. series]);
        return WithCharacterSet(ds);
    }

    /// <summary>The exam's Request Attributes Sequence item (null: unscheduled).</summary>
    private static DicomDataset? Request(ExamRecord exam) =>
        exam.Attributes.Find(DicomTags.RequestAttributesSequence) is DicomSequence { Items.Count: > 0 } sq ? sq.Items[0] : null;

    private static string? Description(ExamRecord exam)
    {
        var r = Request(exam);
        return r?.TryGetString(DicomTags.ScheduledProcedureStepDescription) is { Length: > 0 } s ? s
            : r?.TryGetString(DicomTags.RequestedProcedureDescription) is { Length: > 0 } p ? p
            : exam.Attributes.TryGetString(DicomTags.StudyDescription) is { Length: > 0 } sd ? sd : null;
    }

    private static IReadOnlyList<DicomDataset> ProtocolCodes(ExamRecord exam) =>
        Request(exam)?.Find(DicomTags.ScheduledProtocolCodeSequence) is DicomSequence sq ? sq.Items : [];

    private static DicomSequence Copy(DicomSequence sq) => new(sq.Tag, sq.Items.Select(Copy));

    private static DicomDataset Copy(DicomDataset item)
    {
        var copy = new DicomDataset();
        foreach (var i in item)
            copy.AddOrUpdate(i is DicomSequence s ? Copy(s) : i);
        return copy;
    }

    /// <summary>Specific Character Set for what the text holds (none for ASCII, Latin-1, else UTF-8).</summary>
    public static DicomDataset WithCharacterSet(DicomDataset ds)
    {
        ds.Remove(DicomTags.SpecificCharacterSet);
        var charset = DicomCharacterSet.ChooseFor(Texts(ds));
        if (charset.Length > 0)
            ds.Set(DicomTags.SpecificCharacterSet, DicomVR.CS, charset);
        return ds;
    }

    private static IEnumerable<string> Texts(DicomDataset ds)
    {
        foreach (var item in ds)
        {
            if (item is DicomSequence sq)
            {
                foreach (var t in sq.Items.SelectMany(Texts))
                    yield return t;
            }
            else if (item.VR.UsesCharacterSet && ds.TryGetString(item.Tag) is { } s)
                yield return s;
        }
    }
}
