using Gateway.Acquisition.Exams;
using Gateway.Acquisition.Sessions;
using Gateway.Acquisition.Worklist;
using Gateway.Dicom;
using Gateway.Spool;
using Gateway.Testing;
using Xunit;

namespace Gateway.Acquisition.Tests;

/// <summary>
/// Issue #17: the exam record and its crash windows, each window cut by hand (a new workflow over the same files is
/// the process after a crash): an intent whose object never committed is dropped, one whose object committed (held
/// in the spool, so never delivered and deleted) is confirmed; the record is read as untrusted input.
/// </summary>
public sealed class ExamWorkflowTests : IDisposable
{
    private readonly TempDirectory _dir = new("exam");
    private readonly ListLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private string Spool => _dir.File("spool");

    private ExamWorkflow Workflow(ExamContext? context = null) =>
        new(new ExamFile(Path.Combine(Spool, ExamFile.FileName)), new MppsQueue(Spool), context ?? new ExamContext(), new DicomUidGenerator(), _log) { MppsEnabled = true };

    private DurableSpool NewSpool()
    {
        var spool = new DurableSpool(new SpoolOptions { Directory = Spool, MinFreeBytes = 0 });
        spool.Recover();
        return spool;
    }

    private static DicomDataset Manual(string id) => new DicomDataset().Set(DicomTags.PatientID, id).Set(DicomTags.PatientName, "Ünal^Zoë");

    /// <summary>Begins an instance and, if asked, commits it to the spool held (as AcquisitionSession does), stopping where told.</summary>
    private static string Acquire(ExamWorkflow workflow, DurableSpool spool, bool commit, bool record, int? version = null)
    {
        var uid = DicomUidGenerator.Default.NewUid();
        Assert.NotNull(workflow.Begin(version, DicomUids.SecondaryCaptureImageStorage, uid, "1.2.3.4", out var refused));
        Assert.Null(refused);
        if (!commit)
            return uid;
        var file = Path.Combine(spool.IncomingDir, uid + ".dcm");
        File.WriteAllBytes(file, [1, 2, 3]);
        var entry = spool.EnqueueByMove(file, new SpoolObjectInfo(DicomUids.SecondaryCaptureImageStorage, uid, "OT", "device:test"), ["pacs"], held: true);
        Assert.True(spool.IsHeld(entry.Id));
        Assert.NotEqual(entry.Id, spool.NextDue("pacs", DateTimeOffset.MaxValue, new HashSet<string>())?.Id); // not handed to the forwarder
        if (record && workflow.Committed(uid, entry.Id))
            spool.Release(entry.Id);
        return uid;
    }

    [Fact]
    public void An_image_whose_record_could_not_be_written_is_released_by_the_next_write_and_listed_in_the_N_SET()
    {
        var spool = NewSpool();
        var workflow = Workflow();
        workflow.Release = spool.Release;
        workflow.Load(_ => false, null);
        Assert.Null(workflow.SetManual(Manual("F-1")));
        var examFile = Path.Combine(Spool, ExamFile.FileName);
        Acquire(workflow, spool, commit: true, record: true);

        // The record cannot be written for a moment (a directory where exam.json is renamed to: the rename fails).
        var uid = DicomUidGenerator.Default.NewUid();
        Assert.NotNull(workflow.Begin(null, DicomUids.SecondaryCaptureImageStorage, uid, "1.2.3.4", out _));
        var file = Path.Combine(spool.IncomingDir, uid + ".dcm");
        File.WriteAllBytes(file, [1, 2, 3]);
        var held = spool.EnqueueByMove(file, new SpoolObjectInfo(DicomUids.SecondaryCaptureImageStorage, uid, "OT", "device:test"), ["pacs"], held: true);
        File.Move(examFile, examFile + ".aside");
        Directory.CreateDirectory(examFile);
        Assert.False(workflow.Committed(uid, held.Id));
        Assert.True(spool.IsHeld(held.Id));

        // Writable again: the next image's record write releases it too — not only a restart.
        Directory.Delete(examFile);
        File.Move(examFile + ".aside", examFile);
        Acquire(workflow, spool, commit: true, record: true);
        Assert.False(spool.IsHeld(held.Id));
        var exam = workflow.Current.Number;
        Assert.Null(workflow.End("test", () => { }));
        var listed = workflow.Mpps.Find(MppsMessage.IdOf(exam, 2))!.Dataset.GetSequence(DicomTags.PerformedSeriesSequence).Items
            .SelectMany(s => s.GetSequence(DicomTags.ReferencedImageSequence).Items).Select(i => i.GetString(DicomTags.ReferencedSOPInstanceUID));
        Assert.Contains(uid, listed);
        Assert.Equal(3, listed.Count());
    }

    [Fact]
    public void A_series_begun_in_an_exam_that_has_ended_is_never_adopted_by_the_next()
    {
        var spool = NewSpool();
        var workflow = Workflow();
        workflow.Load(_ => false, null);
        Assert.Null(workflow.SetManual(Manual("A-1")));
        var examA = workflow.ExamNumber;
        Acquire(workflow, spool, commit: true, record: true);
        Assert.Null(workflow.End("test", () => { }));
        Assert.Null(workflow.SetManual(Manual("B-2")));

        // A's multi-frame series, written late: nothing of B's, and not in B's record.
        var fromExam = workflow.Begin(null, DicomUids.SecondaryCaptureImageStorage, "1.2.3.77", "1.2.3.7", out var refused, examNumber: examA);
        Assert.Null(refused);
        Assert.NotNull(fromExam);
        Assert.Empty(fromExam);
        Assert.DoesNotContain(workflow.Current.Instances, i => i.SopInstanceUid == "1.2.3.77");
        Assert.Contains(_log.Lines, l => l.StartsWith("[8012]", StringComparison.Ordinal));
        // Begun in the exam in progress: recorded as usual.
        Assert.NotNull(workflow.Begin(null, DicomUids.SecondaryCaptureImageStorage, "1.2.3.78", "1.2.3.7", out _, examNumber: workflow.ExamNumber));
        Assert.Contains(workflow.Current.Instances, i => i.SopInstanceUid == "1.2.3.78");
    }

    [Fact]
    public void After_a_crash_an_intent_is_confirmed_exactly_when_its_object_is_in_the_spool()
    {
        var spool = NewSpool();
        var first = Workflow();
        first.Load(_ => false, null);
        Assert.Null(first.SetManual(Manual("C-1")));
        var done = Acquire(first, spool, commit: true, record: true);
        Assert.NotNull(spool.NextDue("pacs", DateTimeOffset.MaxValue, new HashSet<string>())); // released once recorded
        var committedNotRecorded = Acquire(first, spool, commit: true, record: false);
        var neverCommitted = Acquire(first, spool, commit: false, record: false);

        // "Crash": a new spool and workflow over the same files; the intents are decided before anything is sent.
        spool = NewSpool();
        var second = Workflow();
        second.Load(uid => spool.Entries.Any(e => e.SopInstanceUid == uid), null);
        var instances = second.Current.Instances;
        Assert.All(instances, i => Assert.True(i.Committed));
        Assert.Equal(new[] { done, committedNotRecorded }.Order(StringComparer.Ordinal), instances.Select(i => i.SopInstanceUid).Order(StringComparer.Ordinal));
        Assert.Contains(_log.Lines, l => l.StartsWith("[8010]", StringComparison.Ordinal) && l.Contains("1 instance(s) found committed in the spool, 1 never committed", StringComparison.Ordinal));
        var exam = second.Current.Number;
        Assert.NotNull(second.Mpps.Find(MppsMessage.IdOf(exam, 1)));

        Assert.Null(second.End("test", () => { }));
        var set = second.Mpps.Find(MppsMessage.IdOf(exam, 2))!;
        var listed = set.Dataset.GetSequence(DicomTags.PerformedSeriesSequence).Items.SelectMany(s => s.GetSequence(DicomTags.ReferencedImageSequence).Items)
            .Select(i => i.GetString(DicomTags.ReferencedSOPInstanceUID)).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { done, committedNotRecorded }.Order(StringComparer.Ordinal), listed);
    }

    [Fact]
    public void An_end_that_queued_its_N_SET_before_the_crash_is_finished_at_start()
    {
        var spool = NewSpool();
        var first = Workflow();
        first.Load(_ => false, null);
        Assert.Null(first.SetManual(Manual("C-2")));
        Acquire(first, spool, commit: true, record: true);
        var number = first.Current.Number;
        var recordBefore = File.ReadAllBytes(Path.Combine(Spool, ExamFile.FileName));
        Assert.Null(first.End("test", () => { }));
        // The crash came after the N-SET was queued and before the record moved on: the old record is back.
        File.WriteAllBytes(Path.Combine(Spool, ExamFile.FileName), recordBefore);
        var second = Workflow();
        second.Load(_ => true, null);
        Assert.False(second.Current.InProgress);
        Assert.True(second.Current.Number > number);
        Assert.Contains(_log.Lines, l => l.StartsWith("[8011]", StringComparison.Ordinal));
    }

    [Fact]
    public void Selection_and_manual_entry_are_refused_while_an_exam_is_in_progress_and_images_of_a_changed_exam_are_refused()
    {
        var spool = NewSpool();
        var context = new ExamContext();
        var workflow = Workflow(context);
        workflow.Load(_ => false, null);
        Assert.Null(workflow.SetManual(Manual("S-1")));
        var version = context.Version;
        Assert.Null(workflow.SetManual(Manual("S-2"))); // no image yet: may change
        Assert.Null(workflow.Begin(version, DicomUids.SecondaryCaptureImageStorage, "1.2.3.9", "1.2.3.4", out var refused));
        Assert.Contains("changed", refused, StringComparison.Ordinal);
        Acquire(workflow, spool, commit: true, record: true, version: context.Version);
        Assert.Contains("in progress", workflow.SetManual(Manual("S-3")), StringComparison.Ordinal);
        var step = WorklistItemReader.Read(new DicomDataset()
            .Set(DicomTags.PatientName, "A^B").Set(DicomTags.PatientID, "W-1").Set(DicomTags.StudyInstanceUID, "1.2.3.5").Set(DicomTags.RequestedProcedureID, "RP")
            .SetSequence(DicomTags.ScheduledProcedureStepSequence, new DicomDataset().Set(DicomTags.ScheduledProcedureStepID, "SPS")
                .Set(DicomTags.ScheduledProcedureStepStartDate, "20261202").Set(DicomTags.Modality, "DX")));
        Assert.Contains("in progress", workflow.Select(step, WorklistStepKey.Of(step)), StringComparison.Ordinal);
        Assert.Equal("S-2", context.Snapshot().GetString(DicomTags.PatientID));
        Assert.Null(workflow.Cancel("110514", () => { }));
        Assert.Null(workflow.Select(step, WorklistStepKey.Of(step)));
        Assert.Equal("W-1", context.Snapshot().GetString(DicomTags.PatientID));
        Assert.Equal(WorklistStepKey.Of(step), workflow.Current.StepKey);
    }

    [Theory]
    [InlineData("{ \"version\": 1, \"number\": 3, \"source\": \"manual\"")]
    [InlineData("{ \"version\": 2, \"number\": 3, \"source\": \"manual\", \"attributes\": {}, \"instances\": [] }")]
    [InlineData("{ \"version\": 1, \"number\": 3, \"source\": \"elsewhere\", \"attributes\": {}, \"instances\": [] }")]
    [InlineData("{ \"version\": 1, \"number\": 3, \"source\": \"manual\", \"attributes\": { \"PatientNam\": \"x\" }, \"instances\": [] }")]
    [InlineData("{ \"version\": 1, \"number\": 3, \"source\": \"manual\", \"attributes\": {}, \"instances\": [ { \"sopClass\": \"1.2\", \"sopInstance\": \"../../etc\", \"series\": \"1.3\", \"committed\": true } ] }")]
    [InlineData("{ \"version\": 1, \"number\": 3, \"source\": \"manual\", \"attributes\": {}, \"ppsUid\": null, \"ppsId\": null, \"started\": null, \"instances\": [ { \"sopClass\": \"1.2\", \"sopInstance\": \"1.4\", \"series\": \"1.3\", \"committed\": true } ] }")]
    [InlineData("{ \"version\": 1, \"number\": 3, \"source\": \"worklist\", \"attributes\": {}, \"instances\": [] }")]
    public void An_unusable_exam_file_is_set_aside_said_and_no_exam_is_selected(string text)
    {
        Directory.CreateDirectory(Spool);
        File.WriteAllText(Path.Combine(Spool, ExamFile.FileName), text);
        var context = new ExamContext();
        var workflow = Workflow(context);
        workflow.Load(_ => false, new DicomDataset());
        Assert.Equal(ExamRecord.None, workflow.Current.Source);
        Assert.Empty(context.Snapshot());
        Assert.NotNull(workflow.StartProblem);
        Assert.Contains(_log.Lines, l => l.StartsWith("[8008]", StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(Spool, ExamFile.FileName + ".unusable-*"));
        Assert.Null(workflow.SetManual(Manual("after"))); // the box goes on
    }

    [Fact]
    public void The_record_is_read_back_as_written_and_is_0600()
    {
        var workflow = Workflow();
        workflow.Load(_ => false, null);
        Assert.Null(workflow.SetManual(Manual("R-1").Set(DicomTags.AccessionNumber, "A-1")));
        var path = Path.Combine(Spool, ExamFile.FileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var read = new ExamFile(path).TryLoad(out var problem);
        Assert.Null(problem);
        Assert.Equal("Ünal^Zoë", read!.Attributes.GetString(DicomTags.PatientName));
        Assert.Equal("A-1", read.Attributes.GetString(DicomTags.AccessionNumber));
        Assert.Equal(workflow.Current.StudyInstanceUid, read.StudyInstanceUid);
        Assert.Equal(ExamRecord.Manual, read.Source);
    }
}
