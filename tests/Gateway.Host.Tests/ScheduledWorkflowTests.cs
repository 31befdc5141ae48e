using System.Globalization;
using System.Text.Json;
using Gateway.Dicom;
using Gateway.Testing;
using Xunit;
using DicomJson = Gateway.Testing.DicomJson;

namespace Gateway.Host.Tests;

/// <summary>
/// Issue #17, IHE Scheduled Workflow at the Acquisition Modality, against real peers on loopback: dcmtk's wlmscpfs as
/// the worklist SCP (steps written by pydicom), dcmjs-dimse as the MPPS SCP, dcmtk's storescp as the PACS; the whole
/// service runs in this process and is driven through the page's control API.
/// </summary>
public sealed class ScheduledWorkflowTests
{
    private static readonly string Today = DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const string Mpps = "1.2.840.10008.3.1.2.3.3";

    private static List<string> Listed(DcmjsMessage set) =>
        [.. set.Items("00400340").SelectMany(s => DicomJson.Items(s, "00081140")).Select(i => DicomJson.Text(i, "00081155")!)];

    private static string? Text(JsonElement item, string tag) => DicomJson.Text(item, tag);

    [Fact]
    public async Task A_selected_step_goes_into_the_images_the_PACS_stores_and_the_MPPS_lists_exactly_them()
    {
        using var ris = new WlmscpfsPeer(Today);
        using var mpps = DcmjsPeer.StartScp("RIS");
        await using var rig = new ScheduledWorkflowRig("swf-e2e", ris.Port, mpps.Port);
        rig.Start();
        rig.WaitUntil(() => rig.Control.Worklist().Rows.Count > 0, Patience, "the worklist");
        var wl1 = Assert.Single(rig.Control.Worklist().Rows, r => r.PatientId == "WL-1");
        var again = await rig.Control.RefreshWorklistAsync(CancellationToken.None);
        Assert.Equal(wl1.Key, Assert.Single(again.Rows, r => r.PatientId == "WL-1").Key); // stable across refreshes
        Assert.Null(rig.Control.SelectStep(wl1.Key));
        Assert.Equal("worklist", rig.Control.CurrentExam().Source);
        Assert.Equal("selected", rig.Control.CurrentExam().State);

        for (var i = 0; i < 3; i++)
            rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 3, Patience, "three images in the PACS");
        var exam = rig.Control.CurrentExam();
        Assert.Equal("in progress", exam.State);
        Assert.Equal(3, exam.Images);
        // Refused while in progress: another step, manual entry.
        var wl3 = Assert.Single(rig.Control.Worklist().Rows, r => r.PatientId == "WL-3");
        Assert.Contains("in progress", rig.Control.SelectStep(wl3.Key), StringComparison.Ordinal);
        Assert.Contains("in progress", rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "OTHER")), StringComparison.Ordinal);

        mpps.WaitFor(l => l.Any(m => m.Event == "request" && m.Command == "N-CREATE"), Patience);
        Assert.Null(rig.Control.EndExam());
        var log = mpps.WaitFor(l => l.Count(m => m.Event == "request") == 2, Patience);
        var requests = log.Where(m => m.Event == "request").ToList();
        Assert.Equal(["N-CREATE", "N-SET"], requests.Select(r => r.Command));
        Assert.All(requests, r => Assert.Equal(0, r.Status));
        var (create, set) = (requests[0], requests[1]);
        Assert.Equal(Mpps, create.SopClass);
        Assert.Equal(create.SopInstance, set.SopInstance);
        Assert.Equal("IN PROGRESS", create.Text("00400252"));
        Assert.Equal("COMPLETED", set.Text("00400252"));
        Assert.Equal("ROOM7", create.Text("00400241"));
        Assert.Equal("DX", create.Text("00080060"));
        Assert.Equal("WL-1", create.Text("00100020"));
        // (The request's Specific Character Set cannot be judged here: dcmjs reports ISO_IR 192 for every data set it
        // decoded, whatever came on the wire — the images below, as storescp wrote them, carry ours.)
        var step = Assert.Single(create.Items("00400270"));
        Assert.Equal("1.2.826.0.1.3680043.10.99.61", Text(step, "0020000D"));
        Assert.Equal("ACC-1", Text(step, "00080050"));
        Assert.Equal("RP-WL-1", Text(step, "00401001"));
        Assert.Equal("SPS-WL-1", Text(step, "00400009"));
        Assert.Equal("P-CHEST-2", Text(Assert.Single(DicomJson.Items(step, "00400008")), "00080100"));
        Assert.NotNull(set.Text("00400250")); // end date
        Assert.NotNull(set.Text("00400251")); // end time

        // Exactly the instances the PACS stored, and each carries the step.
        var stored = rig.Stored();
        Assert.Equal(stored.Keys.Order(StringComparer.Ordinal), Listed(set).Order(StringComparer.Ordinal));
        foreach (var ds in stored.Values)
        {
            Assert.Equal("1.2.826.0.1.3680043.10.99.61", ds.GetString(DicomTags.StudyInstanceUID));
            Assert.Equal("ACC-1", ds.GetString(DicomTags.AccessionNumber));
            Assert.Equal("WL-1", ds.GetString(DicomTags.PatientID));
            Assert.Equal("Müller^Hélène", ds.GetString(DicomTags.PatientName));
            Assert.Equal("ISO_IR 100", ds.GetString(DicomTags.SpecificCharacterSet)); // Latin-1 holds it: not UTF-8
            var request = Assert.Single(ds.GetSequence(DicomTags.RequestAttributesSequence).Items);
            Assert.Equal("RP-WL-1", request.GetString(DicomTags.RequestedProcedureID));
            Assert.Equal("SPS-WL-1", request.GetString(DicomTags.ScheduledProcedureStepID));
            Assert.Equal("Chest two views", request.GetString(DicomTags.ScheduledProcedureStepDescription));
            Assert.Equal("P-CHEST-2", Assert.Single(request.GetSequence(DicomTags.ScheduledProtocolCodeSequence).Items).GetString(DicomTags.CodeValue));
            Assert.Equal("RPC-CHEST", Assert.Single(request.GetSequence(DicomTags.RequestedProcedureCodeSequence).Items).GetString(DicomTags.CodeValue));
            Assert.Equal("1.2.826.0.1.3680043.10.99.81", Assert.Single(ds.GetSequence(DicomTags.ReferencedStudySequence).Items).GetString(DicomTags.ReferencedSOPInstanceUID));
            Assert.Equal(create.Text("00400253"), ds.GetString(DicomTags.PerformedProcedureStepID));
            Assert.Equal(create.Text("00400244"), ds.GetString(DicomTags.PerformedProcedureStepStartDate));
            Assert.Equal(create.SopInstance, Assert.Single(ds.GetSequence(DicomTags.ReferencedPerformedProcedureStepSequence).Items).GetString(DicomTags.ReferencedSOPInstanceUID));
        }
        Assert.Empty(Dciodvfy.Errors(rig.Pacs.ReceivedFiles[0]));
        // Ended: the next exam may be selected; the audit trail has no patient data.
        Assert.Equal("none", rig.Control.CurrentExam().Source);
        Assert.Null(rig.Control.SelectStep(wl3.Key));
        var audit = rig.Log.Lines.Where(l => l.StartsWith("[80", StringComparison.Ordinal)).ToList();
        Assert.Contains(audit, l => l.StartsWith("[8001]", StringComparison.Ordinal));
        Assert.Contains(audit, l => l.StartsWith("[8004]", StringComparison.Ordinal));
        Assert.Contains(audit, l => l.StartsWith("[8005]", StringComparison.Ordinal));
        Assert.Contains(audit, l => l.StartsWith("[8007]", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, l => l.Contains("WL-", StringComparison.Ordinal) || l.Contains("ACC-", StringComparison.Ordinal) || l.Contains("Müller", StringComparison.Ordinal) || l.Contains("99.61", StringComparison.Ordinal));
        // `gateway spool list` shows the MPPS queue. dcmjs logs the N-SET before it answers; the queue marks it sent only
        // once the answer came: waited for.
        string List()
        {
            var list = new StringWriter();
            Assert.Equal(0, Cli.Run(["spool", "list", "--spool", rig.SpoolPath], list, new StringWriter()));
            return list.ToString();
        }
        rig.WaitUntil(() => List().Contains("mpps: 0 pending, 0 failed, 2 sent", StringComparison.Ordinal), Patience, "the MPPS queue to say both sent");
        Assert.Contains("mpps: 0 pending, 0 failed, 2 sent", List(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The RIS behind TLS, as hospitals run it across their network: the worklist and the MPPS SCP each behind an
    /// OpenSSL listener (socat; TLS 1.2+, the box's client certificate required). The same walk: the step picked, an
    /// image stored, N-CREATE and N-SET arriving through TLS.
    /// </summary>
    [Fact]
    public async Task Over_TLS_with_the_boxs_client_certificate_the_worklist_and_the_MPPS_work_the_same()
    {
        using var ris = new WlmscpfsPeer(Today);
        using var mpps = DcmjsPeer.StartScp("RIS");
        using var pki = new TestCertificates();
        using var risTls = new SocatFront(ris.Port, pki);
        using var mppsTls = new SocatFront(mpps.Port, pki);
        var tls = $$"""
            "tls": { "caFile": "{{pki.CaFile}}", "certificateFile": "{{pki.ClientCert}}", "keyFile": "{{pki.ClientKey}}" },
            """;
        await using var rig = new ScheduledWorkflowRig("swf-tls", risTls.Port, mppsTls.Port, tls: tls);
        rig.Start();
        rig.WaitUntil(() => rig.Control.Worklist().Rows.Count > 0, Patience, "the worklist over TLS");
        Assert.Null(rig.Control.Worklist().StaleBecause);
        var wl2 = Assert.Single(rig.Control.Worklist().Rows, r => r.PatientId == "WL-2");
        Assert.Null(rig.Control.SelectStep(wl2.Key));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 1, Patience, "the image in the PACS");
        mpps.WaitFor(l => l.Any(m => m.Event == "request" && m.Command == "N-CREATE"), Patience);
        Assert.Null(rig.Control.EndExam());
        var requests = mpps.WaitFor(l => l.Count(m => m.Event == "request") == 2, Patience).Where(m => m.Event == "request").ToList();
        Assert.Equal(["N-CREATE", "N-SET"], requests.Select(r => r.Command));
        Assert.All(requests, r => Assert.Equal(0, r.Status));
        Assert.Equal("WL-2", requests[0].Text("00100020"));
        Assert.Equal(rig.Stored().Keys, Listed(requests[1]));
    }

    [Fact]
    public async Task A_discontinued_exam_sends_its_reason_and_an_unscheduled_exam_gets_an_MPPS_with_the_empty_step_attributes()
    {
        using var mpps = DcmjsPeer.StartScp("RIS");
        await using var rig = new ScheduledWorkflowRig("swf-unscheduled", null, mpps.Port);
        rig.Start();
        Assert.Contains(rig.Control.DiscontinuationReasons, r => r.Code == "110514");
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "U-1").Set(DicomTags.PatientName, "Walk^In")));
        Assert.Equal("manual", rig.Control.CurrentExam().Source);
        rig.Expose();
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 2, Patience, "two images in the PACS");
        Assert.NotNull(rig.Control.CancelExam("999999")); // not a reason of CID 9300
        Assert.Null(rig.Control.CancelExam("110501"));
        var requests = mpps.WaitFor(l => l.Count(m => m.Event == "request") == 2, Patience).Where(m => m.Event == "request").ToList();
        Assert.Equal(["N-CREATE", "N-SET"], requests.Select(r => r.Command));
        var step = Assert.Single(requests[0].Items("00400270"));
        var study = Text(step, "0020000D");
        Assert.NotNull(study);
        foreach (var empty in new[] { "00080050", "00401001", "00400009", "00400007", "00321060" })
            Assert.True(string.IsNullOrEmpty(Text(step, empty)), empty);
        Assert.Equal("U-1", requests[0].Text("00100020"));
        Assert.Equal("DISCONTINUED", requests[1].Text("00400252"));
        var reason = Assert.Single(requests[1].Items("00400281"));
        Assert.Equal("110501", Text(reason, "00080100"));
        Assert.Equal("DCM", Text(reason, "00080102"));
        var stored = rig.Stored();
        Assert.Equal(stored.Keys.Order(StringComparer.Ordinal), Listed(requests[1]).Order(StringComparer.Ordinal));
        Assert.All(stored.Values, ds => Assert.Equal(study, ds.GetString(DicomTags.StudyInstanceUID)));
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("[8006]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_MPPS_SCP_down_for_30_s_the_messages_arrive_after_it_in_order()
    {
        var port = FreePort.Get();
        await using var rig = new ScheduledWorkflowRig("swf-down", null, port);
        rig.Start();
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "D-1")));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 1, Patience, "the image in the PACS (the RIS is down: the PACS is not)");
        Assert.Null(rig.Control.EndExam());
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "D-2")));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 2, Patience, "the second exam's image");
        Assert.Null(rig.Control.EndExam());
        rig.WaitUntil(() => rig.Log.Lines.Any(l => l.StartsWith("[8021]", StringComparison.Ordinal)), Patience, "the SCP's absence said");
        Assert.Contains("waiting", rig.Control.CurrentExam().Mpps, StringComparison.Ordinal);
        Assert.Equal(4, rig.Service.Health().Mpps!.Pending);
        await Task.Delay(TimeSpan.FromSeconds(30));
        using var mpps = DcmjsPeer.StartScp("RIS", port: port);
        var requests = mpps.WaitFor(l => l.Count(m => m.Event == "request") == 4, Patience).Where(m => m.Event == "request").ToList();
        Assert.Equal(["N-CREATE", "N-SET", "N-CREATE", "N-SET"], requests.Select(r => r.Command));
        Assert.Equal(requests[0].SopInstance, requests[1].SopInstance);
        Assert.Equal(requests[2].SopInstance, requests[3].SopInstance);
        Assert.NotEqual(requests[0].SopInstance, requests[2].SopInstance);
        Assert.Equal("D-1", requests[0].Text("00100020"));
        Assert.Equal("D-2", requests[2].Text("00100020"));
        rig.WaitUntil(() => rig.Service.Health().Mpps is { Pending: 0, Sent: 4 }, Patience, "the queue's health to say all sent");
    }

    [Fact]
    public async Task The_profiles_end_exam_input_and_its_idle_time_out_each_end_the_exam_with_COMPLETED()
    {
        using var mpps = DcmjsPeer.StartScp("RIS");
        await using var rig = new ScheduledWorkflowRig("swf-gpio", null, mpps.Port, examIdleSeconds: 3, endExamLine: 5);
        rig.Start();
        rig.Gpio.Drive(5, System.Device.Gpio.PinValue.High);
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "G-1")));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 1, Patience, "the image");
        rig.Gpio.Drive(5, System.Device.Gpio.PinValue.Low); // the technician presses "exam done"
        mpps.WaitFor(l => l.Count(m => m.Event == "request" && m.Command == "N-SET") == 1, Patience);
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("[8005]", StringComparison.Ordinal) && l.Contains("GPIO exam-done", StringComparison.Ordinal));
        // The next exam: nobody presses; the profile's examIdleSeconds ends it.
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "G-2")));
        rig.Expose();
        var log = mpps.WaitFor(l => l.Count(m => m.Event == "request" && m.Command == "N-SET") == 2, Patience);
        Assert.Equal("COMPLETED", log.Last(m => m.Event == "request" && m.Command == "N-SET").Text("00400252"));
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("[8005]", StringComparison.Ordinal) && l.Contains("no image for 3 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_N_CREATE_fails_visibly_and_holds_its_N_SET()
    {
        var config = new DcmjsScpConfig();
        config.Responses["N-CREATE"] = new DcmjsResponse { Status = 0x0106, ErrorComment = "invalid attribute value" };
        using var mpps = DcmjsPeer.StartScp("RIS", config);
        await using var rig = new ScheduledWorkflowRig("swf-refused", null, mpps.Port);
        rig.Start();
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "R-1")));
        rig.Expose();
        rig.WaitUntil(() => rig.Log.Lines.Any(l => l.StartsWith("[8022]", StringComparison.Ordinal)), Patience, "the refusal said");
        Assert.Null(rig.Control.EndExam());
        rig.WaitUntil(() => rig.Service.Health().Mpps is { Failed: 2 }, Patience, "the N-SET held as failed");
        await Task.Delay(2000);
        Assert.Equal(["N-CREATE"], mpps.Requests().Select(r => r.Command));
    }

    [Fact]
    public async Task A_duplicate_answer_to_a_retried_N_CREATE_counts_as_created()
    {
        var config = new DcmjsScpConfig();
        config.Responses["N-CREATE"] = new DcmjsResponse { Status = 0x0111 };
        using var mpps = DcmjsPeer.StartScp("RIS", config);
        await using var rig = new ScheduledWorkflowRig("swf-duplicate", null, mpps.Port);
        rig.Start();
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "P-1")));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 1, Patience, "the image");
        Assert.Null(rig.Control.EndExam());
        mpps.WaitFor(l => l.Count(m => m.Event == "request") == 2, Patience);
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("[8023]", StringComparison.Ordinal));
        // Said as taken as done, never as "accepted" (8020) — only the N-SET, answered 0000, is that.
        rig.WaitUntil(() => rig.Log.Lines.Any(l => l.StartsWith("[8020]", StringComparison.Ordinal)), Patience, "the N-SET accepted");
        Assert.Single(rig.Log.Lines, l => l.StartsWith("[8020]", StringComparison.Ordinal));
        var list = new StringWriter();
        Assert.Equal(0, Cli.Run(["spool", "list", "--spool", rig.SpoolPath], list, new StringWriter()));
        Assert.Contains("taken as done: answered 0111", list.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_exam_survives_a_restart_and_a_corrupt_exam_file_leaves_no_exam_selected()
    {
        using var mpps = DcmjsPeer.StartScp("RIS");
        await using var rig = new ScheduledWorkflowRig("swf-restart", null, mpps.Port);
        rig.Start();
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "K-1")));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 1, Patience, "the image");
        await rig.StopAsync();
        rig.Start();
        Assert.Equal("K-1", rig.Control.CurrentExam().PatientId);
        Assert.Equal(1, rig.Control.CurrentExam().Images);
        Assert.Contains("in progress", rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "K-2")), StringComparison.Ordinal);
        // Ended after the restart: the N-SET lists the instance acquired before it.
        Assert.Null(rig.Control.EndExam());
        var set = mpps.WaitFor(l => l.Any(m => m.Event == "request" && m.Command == "N-SET"), Patience).Single(m => m.Event == "request" && m.Command == "N-SET");
        Assert.Equal(rig.Stored().Keys, Listed(set));
        Assert.Null(rig.Control.SetExam(new DicomDataset().Set(DicomTags.PatientID, "K-1")));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 2, Patience, "the next exam's image");
        await rig.StopAsync();

        var file = Path.Combine(rig.SpoolPath, "exam.json");
        // Cut in the middle, as a disk that lost its tail would leave it.
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        rig.Start();
        Assert.Equal("none", rig.Control.CurrentExam().Source);
        Assert.Contains(rig.Log.Lines, l => l.StartsWith("[8008]", StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(rig.SpoolPath, "exam.json.unusable-*"));
        rig.Expose();
        rig.WaitUntil(() => rig.Pacs.ReceivedFiles.Count == 3, Patience, "an image without exam");
        // Never a silent wrong patient: the image after the unusable file has no exam's patient, and no MPPS starts.
        Assert.Equal(2, rig.Stored().Values.Count(ds => ds.TryGetString(DicomTags.PatientID) == "K-1"));
        Assert.Equal("none", rig.Control.CurrentExam().Source);
        Assert.Equal(0, rig.Control.CurrentExam().Images);
        Assert.DoesNotContain(rig.Log.Lines, l => l.StartsWith("[3023]", StringComparison.Ordinal));
    }
}
