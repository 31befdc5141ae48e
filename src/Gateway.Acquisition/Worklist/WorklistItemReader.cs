using Gateway.Dicom;
using Gateway.Shared;

namespace Gateway.Acquisition.Worklist;

/// <summary>
/// Turns a C-FIND match into a <see cref="WorklistItem"/>, naming every problem instead of dropping the match.
/// Required (a value must be present, docs/conformance.md "Modality Worklist SCU"): the type 1 return keys of PS3.4
/// Table K.6-1 that the images and the MPPS are filed under — Patient's Name, Patient ID, Study Instance UID,
/// Requested Procedure ID, the Scheduled Procedure Step Sequence with exactly one item, its Scheduled Procedure Step
/// ID, Start Date and Modality. Malformed: a value that does not decode, a UID, date, time or sex that is not one.
/// </summary>
public static class WorklistItemReader
{
    public static WorklistItem Read(DicomDataset identifier)
    {
        var problems = new List<string>();
        var ds = identifier;
        string? Text(DicomDataset d, DicomTag tag, string name)
        {
            if (d.Find(tag) is not DicomElement)
                return null;
            try
            {
                var text = d.GetString(tag).Trim();
                return text.Length == 0 ? null : text;
            }
            catch (Exception e) when (e is DicomValueException or DicomFormatException or ArgumentException or System.Text.DecoderFallbackException)
            {
                problems.Add($"{name}: cannot be read ({e.Message})");
                return null;
            }
        }
        string? Required(DicomDataset d, DicomTag tag, string name)
        {
            var value = Text(d, tag, name);
            if (value is null && !problems.Any(p => p.StartsWith(name + ":", StringComparison.Ordinal)))
                problems.Add($"{name}: missing (required, PS3.4 Table K.6-1 type 1)");
            return value;
        }
        DateOnly? Date(DicomDataset d, DicomTag tag, string name, bool required)
        {
            var text = required ? Required(d, tag, name) : Text(d, tag, name);
            if (text is null)
                return null;
            if (text.Length == 8 && DicomDateTimeText.TryParseDate(text, out var date))
                return date;
            problems.Add($"{name}: {LogText.Quote(text)} is not a date (YYYYMMDD)");
            return null;
        }

        var uid = Required(ds, DicomTags.StudyInstanceUID, "StudyInstanceUID");
        if (uid is not null && DicomUid.Validate(uid) is { } uidProblem)
        {
            problems.Add($"StudyInstanceUID: {LogText.Quote(uid)} is not a UID ({uidProblem})");
            uid = null;
        }
        var sex = Text(ds, DicomTags.PatientSex, "PatientSex");
        if (sex is not null and not ("M" or "F" or "O"))
        {
            problems.Add($"PatientSex: {LogText.Quote(sex)} is not M, F or O");
            sex = null;
        }
        var item = new WorklistItem
        {
            Identifier = identifier,
            PatientName = Required(ds, DicomTags.PatientName, "PatientName"),
            PatientId = Required(ds, DicomTags.PatientID, "PatientID"),
            IssuerOfPatientId = Text(ds, DicomTags.IssuerOfPatientID, "IssuerOfPatientID"),
            PatientBirthDate = Date(ds, DicomTags.PatientBirthDate, "PatientBirthDate", required: false),
            PatientSex = sex,
            OtherPatientIds = [.. Items(ds, DicomTags.OtherPatientIDsSequence)
                .Select(i => (Id: Text(i, DicomTags.PatientID, "OtherPatientIDsSequence.PatientID"), Issuer: Text(i, DicomTags.IssuerOfPatientID, "OtherPatientIDsSequence.IssuerOfPatientID")))
                .Where(o => o.Id is not null).Select(o => new WorklistOtherId(o.Id!, o.Issuer))],
            AccessionNumber = Text(ds, DicomTags.AccessionNumber, "AccessionNumber"),
            RequestedProcedureId = Required(ds, DicomTags.RequestedProcedureID, "RequestedProcedureID"),
            RequestedProcedureDescription = Text(ds, DicomTags.RequestedProcedureDescription, "RequestedProcedureDescription"),
            RequestedProcedureCodes = Codes(ds, DicomTags.RequestedProcedureCodeSequence, "RequestedProcedureCodeSequence", Text),
            StudyInstanceUid = uid,
            ReferringPhysicianName = Text(ds, DicomTags.ReferringPhysicianName, "ReferringPhysicianName"),
        };
        var steps = Items(ds, DicomTags.ScheduledProcedureStepSequence);
        if (steps.Count == 0)
        {
            problems.Add("ScheduledProcedureStepSequence: missing or empty (required, PS3.4 Table K.6-1 type 1)");
            return item with { Problems = problems };
        }
        if (steps.Count > 1)
            problems.Add($"ScheduledProcedureStepSequence: {steps.Count} items, a match holds one step (PS3.4 K.6.1.2.2); the first is shown");
        var step = steps[0];
        const string Sps = "ScheduledProcedureStepSequence.";
        TimeOnly? time = null;
        if (Text(step, DicomTags.ScheduledProcedureStepStartTime, Sps + "ScheduledProcedureStepStartTime") is { } t)
        {
            if (DicomDateTimeText.TryParseTime(t, out var parsed))
                time = parsed;
            else
                problems.Add($"{Sps}ScheduledProcedureStepStartTime: {LogText.Quote(t)} is not a time (HHMMSS)");
        }
        item = item with
        {
            StepId = Required(step, DicomTags.ScheduledProcedureStepID, Sps + "ScheduledProcedureStepID"),
            StepStartDate = Date(step, DicomTags.ScheduledProcedureStepStartDate, Sps + "ScheduledProcedureStepStartDate", required: true),
            StepStartTime = time,
            Modality = Required(step, DicomTags.Modality, Sps + "Modality"),
            ScheduledStationAeTitle = Text(step, DicomTags.ScheduledStationAETitle, Sps + "ScheduledStationAETitle"),
            ScheduledStationName = Text(step, DicomTags.ScheduledStationName, Sps + "ScheduledStationName"),
            StepDescription = Text(step, DicomTags.ScheduledProcedureStepDescription, Sps + "ScheduledProcedureStepDescription"),
            ProtocolCodes = Codes(step, DicomTags.ScheduledProtocolCodeSequence, Sps + "ScheduledProtocolCodeSequence", Text),
        };
        return item with { Problems = problems };
    }

    private static IReadOnlyList<DicomDataset> Items(DicomDataset ds, DicomTag tag) =>
        ds.Find(tag) is DicomSequence sq ? [.. sq.Items.Where(i => i.Count > 0)] : [];

    private static List<WorklistCode> Codes(DicomDataset ds, DicomTag tag, string name, Func<DicomDataset, DicomTag, string, string?> text) =>
        [.. Items(ds, tag)
            .Select(i => new WorklistCode(text(i, DicomTags.CodeValue, name + ".CodeValue"), text(i, DicomTags.CodingSchemeDesignator, name + ".CodingSchemeDesignator"), text(i, DicomTags.CodeMeaning, name + ".CodeMeaning")))
            .Where(c => c.Value is not null || c.Meaning is not null)];
}
