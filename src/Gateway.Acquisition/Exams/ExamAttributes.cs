using System.Globalization;
using Gateway.Acquisition.Worklist;
using Gateway.Dicom;

namespace Gateway.Acquisition.Exams;

/// <summary>
/// What the images of an exam take from its source (issue #17; IHE RAD TF-2 4.8, "Modality Images Stored", the mapping
/// of Modality Worklist attributes into the images): the patient (name, ID, issuer, birth date, sex, Other Patient IDs
/// Sequence), the study (Study Instance UID, Accession Number, Referenced Study Sequence, Referring Physician's Name,
/// Study ID, Study Description) and the Request Attributes Sequence (0040,0275) with Requested Procedure ID and
/// Description, Requested Procedure Code Sequence, Scheduled Procedure Step ID and Description and Scheduled Protocol
/// Code Sequence. Every value is set as text (decoded from the RIS's character set), so the image chooses its own.
/// The performed procedure step's attributes are added when the exam starts (<see cref="ExamRecord"/>).
/// </summary>
public static class ExamAttributes
{
    /// <summary>The image attributes of a worklist step (a usable <see cref="WorklistItem"/>).</summary>
    public static DicomDataset FromStep(WorklistItem step)
    {
        var ds = new DicomDataset();
        Text(ds, DicomTags.PatientName, DicomVR.PN, step.PatientName);
        Text(ds, DicomTags.PatientID, DicomVR.LO, step.PatientId);
        Text(ds, DicomTags.IssuerOfPatientID, DicomVR.LO, step.IssuerOfPatientId);
        ds.Set(DicomTags.PatientBirthDate, DicomVR.DA, step.PatientBirthDate is { } b ? b.ToString("yyyyMMdd", CultureInfo.InvariantCulture) : "");
        ds.Set(DicomTags.PatientSex, DicomVR.CS, step.PatientSex ?? "");
        if (step.OtherPatientIds.Count > 0)
        {
            ds.SetSequence(DicomTags.OtherPatientIDsSequence, [.. step.OtherPatientIds.Select(o =>
            {
                var item = new DicomDataset();
                item.Set(DicomTags.PatientID, DicomVR.LO, o.PatientId);
                Text(item, DicomTags.IssuerOfPatientID, DicomVR.LO, o.Issuer);
                item.Set(DicomTags.TypeOfPatientID, DicomVR.CS, "TEXT");
                return item;
            })]);
        }
        ds.Set(DicomTags.StudyInstanceUID, DicomVR.UI, step.StudyInstanceUid!);
        ds.Set(DicomTags.AccessionNumber, DicomVR.SH, step.AccessionNumber ?? "");
        ds.Set(DicomTags.ReferringPhysicianName, DicomVR.PN, step.ReferringPhysicianName ?? "");
        // IHE: Study ID is the Requested Procedure ID (SH, 16 characters) — the study is the requested procedure's.
        ds.Set(DicomTags.StudyID, DicomVR.SH, Bounded(step.RequestedProcedureId, 16));
        Text(ds, DicomTags.StudyDescription, DicomVR.LO, Bounded(step.RequestedProcedureDescription, 64));
        var referenced = ReferencedStudies(step.Identifier);
        if (referenced.Count > 0)
            ds.SetSequence(DicomTags.ReferencedStudySequence, [.. referenced]);
        var request = new DicomDataset();
        Text(request, DicomTags.AccessionNumber, DicomVR.SH, step.AccessionNumber);
        request.Set(DicomTags.StudyInstanceUID, DicomVR.UI, step.StudyInstanceUid!);
        request.Set(DicomTags.RequestedProcedureID, DicomVR.SH, step.RequestedProcedureId ?? "");
        Text(request, DicomTags.RequestedProcedureDescription, DicomVR.LO, step.RequestedProcedureDescription);
        if (step.RequestedProcedureCodes.Count > 0)
            request.SetSequence(DicomTags.RequestedProcedureCodeSequence, [.. step.RequestedProcedureCodes.Select(Code)]);
        request.Set(DicomTags.ScheduledProcedureStepID, DicomVR.SH, step.StepId ?? "");
        Text(request, DicomTags.ScheduledProcedureStepDescription, DicomVR.LO, step.StepDescription);
        if (step.ProtocolCodes.Count > 0)
            request.SetSequence(DicomTags.ScheduledProtocolCodeSequence, [.. step.ProtocolCodes.Select(Code)]);
        ds.SetSequence(DicomTags.RequestAttributesSequence, request);
        return ds;
    }

    /// <summary>
    /// The unscheduled case (IHE RAD TF-2 4.6.4.1.2.4: manual entry or the configuration's exam): the technician's
    /// values as given, and a Study Instance UID of our own when they name none.
    /// </summary>
    public static DicomDataset Unscheduled(DicomDataset given, DicomUidGenerator uids)
    {
        var ds = new DicomDataset();
        foreach (var item in given)
            ds.AddOrUpdate(item);
        if (ds.TryGetString(DicomTags.StudyInstanceUID) is not { Length: > 0 })
            ds.Set(DicomTags.StudyInstanceUID, DicomVR.UI, uids.NewUid());
        return ds;
    }

    /// <summary>A code sequence item (PS3.3 Table 8.8-1) of a worklist code; a code without value or scheme is kept as sent.</summary>
    public static DicomDataset Code(WorklistCode code)
    {
        var item = new DicomDataset();
        item.Set(DicomTags.CodeValue, DicomVR.SH, code.Value ?? "");
        item.Set(DicomTags.CodingSchemeDesignator, DicomVR.SH, code.Scheme ?? "");
        item.Set(DicomTags.CodeMeaning, DicomVR.LO, code.Meaning ?? "");
        return item;
    }

    private static List<DicomDataset> ReferencedStudies(DicomDataset identifier)
    {
        var list = new List<DicomDataset>();
        if (identifier.Find(DicomTags.ReferencedStudySequence) is not DicomSequence sq)
            return list;
        foreach (var i in sq.Items.Take(16))
        {
            var cls = i.TryGetString(DicomTags.ReferencedSOPClassUID)?.Trim();
            var inst = i.TryGetString(DicomTags.ReferencedSOPInstanceUID)?.Trim();
            if (cls is { Length: > 0 } && inst is { Length: > 0 } && DicomUid.Validate(cls) is null && DicomUid.Validate(inst) is null)
            {
                var item = new DicomDataset();
                item.Set(DicomTags.ReferencedSOPClassUID, DicomVR.UI, cls);
                item.Set(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, inst);
                list.Add(item);
            }
        }
        return list;
    }

    private static void Text(DicomDataset ds, DicomTag tag, DicomVR vr, string? value)
    {
        if (value is { Length: > 0 })
            ds.Set(tag, vr, value);
    }

    private static string Bounded(string? value, int max) => value is null ? "" : value.Length <= max ? value : value[..max];
}
