using Gateway.Acquisition.Worklist;
using Gateway.Dicom;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>Issue #17: a match with a missing or malformed required key is kept, each problem named, nothing guessed.</summary>
public sealed class WorklistItemReaderTests
{
    [Fact]
    public void An_empty_match_names_every_required_key()
    {
        var item = WorklistItemReader.Read(new DicomDataset());
        Assert.Equal(
        [
            "StudyInstanceUID: missing (required, PS3.4 Table K.6-1 type 1)",
            "PatientName: missing (required, PS3.4 Table K.6-1 type 1)",
            "PatientID: missing (required, PS3.4 Table K.6-1 type 1)",
            "RequestedProcedureID: missing (required, PS3.4 Table K.6-1 type 1)",
            "ScheduledProcedureStepSequence: missing or empty (required, PS3.4 Table K.6-1 type 1)",
        ], item.Problems);
        Assert.False(item.IsUsable);
    }

    [Fact]
    public void Empty_and_malformed_values_are_problems_and_are_not_taken()
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.PatientName, "Doe^Jane");
        ds.Set(DicomTags.PatientID, "P1");
        ds.Set(DicomTags.RequestedProcedureID, "RP1");
        ds.AddOrUpdate(new DicomElement(DicomTags.StudyInstanceUID, DicomVR.UI, DicomBuffer.From("1.2.x\0"u8.ToArray())));
        ds.AddOrUpdate(new DicomElement(DicomTags.PatientSex, DicomVR.CS, DicomBuffer.From("X "u8.ToArray())));
        ds.AddOrUpdate(new DicomElement(DicomTags.PatientBirthDate, DicomVR.DA, DicomBuffer.From("19701345"u8.ToArray())));
        var step = new DicomDataset();
        step.Set(DicomTags.ScheduledProcedureStepID, Array.Empty<string>());
        step.AddOrUpdate(new DicomElement(DicomTags.ScheduledProcedureStepStartDate, DicomVR.DA, DicomBuffer.From("2026-12-02"u8.ToArray())));
        step.AddOrUpdate(new DicomElement(DicomTags.ScheduledProcedureStepStartTime, DicomVR.TM, DicomBuffer.From("9h30"u8.ToArray())));
        step.Set(DicomTags.Modality, "DX");
        ds.SetSequence(DicomTags.ScheduledProcedureStepSequence, step, new DicomDataset().Set(DicomTags.Modality, "CR"));
        var item = WorklistItemReader.Read(ds);
        Assert.Null(item.StudyInstanceUid);
        Assert.Null(item.PatientSex);
        Assert.Null(item.PatientBirthDate);
        Assert.Null(item.StepId);
        Assert.Null(item.StepStartDate);
        Assert.Equal("DX", item.Modality);
        Assert.Equal(
        [
            "StudyInstanceUID: \"1.2.x\" is not a UID ('x' at position 5 is not a digit or '.')",
            "PatientSex: \"X\" is not M, F or O",
            "PatientBirthDate: \"19701345\" is not a date (YYYYMMDD)",
            "ScheduledProcedureStepSequence: 2 items, a match holds one step (PS3.4 K.6.1.2.2); the first is shown",
            "ScheduledProcedureStepSequence.ScheduledProcedureStepStartTime: \"9h30\" is not a time (HHMMSS)",
            "ScheduledProcedureStepSequence.ScheduledProcedureStepID: missing (required, PS3.4 Table K.6-1 type 1)",
            "ScheduledProcedureStepSequence.ScheduledProcedureStepStartDate: \"2026-12-02\" is not a date (YYYYMMDD)",
        ], item.Problems);
    }

    [Fact]
    public void The_query_matches_on_the_configured_keys_and_a_date_range()
    {
        var q = new WorklistQuery { ScheduledStationAeTitle = "ROOM7", Modality = "DX", DaysBefore = 1, DaysAfter = 2 }.Identifier(new DateOnly(2026, 12, 31));
        var step = q.GetSequence(DicomTags.ScheduledProcedureStepSequence).Items[0];
        Assert.Equal("ROOM7", step.GetString(DicomTags.ScheduledStationAETitle));
        Assert.Equal("DX", step.GetString(DicomTags.Modality));
        Assert.Equal("20261230-20270102", step.GetString(DicomTags.ScheduledProcedureStepStartDate));
        Assert.Equal("", step.GetString(DicomTags.ScheduledStationName));
        Assert.Equal("", q.GetString(DicomTags.PatientName));
        Assert.Equal("20261231", new WorklistQuery { Modality = "DX" }.Identifier(new DateOnly(2026, 12, 31))
            .GetSequence(DicomTags.ScheduledProcedureStepSequence).Items[0].GetString(DicomTags.ScheduledProcedureStepStartDate));
    }
}
