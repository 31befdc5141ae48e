using System.Globalization;
using Gateway.Dicom;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #18, the gateway as Storage Commitment SCP for the modalities that send to it, as processes: dcmjs-dimse is
/// the modality (C-STORE to our SCP, N-ACTION, the report on its association or on a new one to its own SCP), Orthanc
/// is the archive downstream with commitment on. "Committed" must mean what Orthanc committed.
/// </summary>
public sealed class ScpCommitmentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const string FailedSop = "00081198";
    private const string ReferencedSop = "00081199";

    private static string[] Samples()
    {
        Peers.RequirePydicom();
        return [.. new[] { "CT_small.dcm", "MR_small.dcm" }.Select(f => Path.Combine(Peers.PydicomData, "test_files", f))];
    }

    private static (string SopClass, string SopInstance) Identity(string file)
    {
        var ds = DicomFile.Open(file).Dataset;
        return (ds.GetString(DicomTags.SOPClassUID), ds.GetString(DicomTags.SOPInstanceUID));
    }

    private static string OrthancDestination(OrthancPeer orthanc) =>
        $$"""{ "name": "orthanc", "aeTitle": "{{orthanc.AeTitle}}", "host": "127.0.0.1", "port": {{orthanc.DicomPort.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1, "retryMaxSeconds": 2, "commitment": { "sameAssociationSeconds": 0 } }""";

    private static string ScpCommitment(int modalityPort, string answerWhen = "delivered", int reportAttempts = 10) =>
        $$""", "commitment": { "answerWhen": "{{answerWhen}}", "retryMinSeconds": 1, "retryMaxSeconds": 2, "reportAttempts": {{reportAttempts.ToString(CultureInfo.InvariantCulture)}}, "modalities": [ { "aeTitle": "MODALITY", "host": "127.0.0.1", "port": {{modalityPort.ToString(CultureInfo.InvariantCulture)}} } ] }""";

    /// <summary>The modality: the files stored, then one commitment request for <paramref name="asked"/>.</summary>
    /// <param name="roles">A role selection item the modality proposes for Storage Commitment (none by default).</param>
    private static DcmjsScuResult Modality(GatewayProcess gateway, string[] files, string transaction, (string, string)[] asked, int expectReports, TimeSpan wait,
        DcmjsRoles? roles = null)
    {
        var options = new DcmjsScuOptions { ExpectRequests = expectReports, Wait = wait };
        if (roles is not null)
            options.Roles[DcmjsRequest.StorageCommitmentPushModel] = roles;
        return DcmjsPeer.RunScu("127.0.0.1", gateway.ScpPort, "GATEWAY", "MODALITY",
            [.. files.Select(DcmjsRequest.CStore), DcmjsRequest.NAction(DcmjsRequest.CommitmentDataset(transaction, asked))],
            options, timeout: wait + TimeSpan.FromSeconds(30));
    }

    private static async Task Until(Func<bool> done, string what, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}\n{diagnostics()}");
            await Task.Delay(200);
        }
    }

    private static IReadOnlyList<string> Uids(DcmjsMessage report, string sequence) =>
        [.. report.Items(sequence).Select(i => Gateway.Testing.DicomJson.Text(i, "00081155")!).Order(StringComparer.Ordinal)];

    private static void AssertStoredAndAllCommitted(DcmjsMessage report, string transaction, string[] samples)
    {
        Assert.Equal(1, report.EventTypeId);
        Assert.Equal(transaction, report.Text("00081195"));
        Assert.Equal(samples.Select(s => Identity(s).SopInstance).Order(StringComparer.Ordinal), Uids(report, ReferencedSop));
        Assert.Empty(report.Items(FailedSop));
    }

    [Fact]
    public async Task A_modality_that_keeps_its_association_open_hears_committed_on_it_only_after_Orthanc_committed()
    {
        using var dir = new TempDirectory("scp-commit-same");
        var scpPort = FreePort.Get();
        using var orthanc = new OrthancPeer(modalities: new Dictionary<string, (string, int)> { ["gateway"] = ("GATEWAY", scpPort) });
        using var gateway = new GatewayProcess(dir.Path, scpPort, OrthancDestination(orthanc), scpExtra: ScpCommitment(FreePort.Get()));
        gateway.Start();
        var samples = Samples();
        const string Transaction = "1.2.826.0.1.3680043.10.99.18.100";

        // The modality proposes itself as SCU of Storage Commitment only (PS3.7 D.3.3.4): accepted as proposed.
        var modality = Modality(gateway, samples, Transaction, [.. samples.Select(Identity)], expectReports: 1, wait: TimeSpan.FromSeconds(60),
            roles: new DcmjsRoles(Scu: true, Scp: false));

        Assert.True(modality.ExitCode == 0, modality + gateway.AllOutput);
        Assert.All(modality.Responses, r => Assert.Equal(0, r.Status)); // both stored, the request accepted
        var context = modality.Association!.Contexts.Single(c => c.GetProperty("sopClass").GetString() == DcmjsRequest.StorageCommitmentPushModel);
        Assert.True(context.GetProperty("roles").GetProperty("scu").GetBoolean());
        Assert.False(context.GetProperty("roles").GetProperty("scp").GetBoolean());
        var report = Assert.Single(modality.PeerRequests);
        Assert.Equal("N-EVENT-REPORT", report.Command);
        AssertStoredAndAllCommitted(report, Transaction, samples);
        // What "committed" means: Orthanc holds them and reported them committed to us before we told the modality.
        Assert.Equal(samples.Select(s => Identity(s).SopInstance).Order(StringComparer.Ordinal), orthanc.InstancesBySopInstanceUid().Keys.Order(StringComparer.Ordinal));
        // The line is logged once the modality answered the report, a moment after the modality has it.
        await Until(() => gateway.AllOutput.Contains("Reported commitment to MODALITY", StringComparison.Ordinal), "the report's log line", () => gateway.AllOutput);
        var output = gateway.AllOutput;
        var archiveCommitted = output.LastIndexOf("Commitment report from orthanc", StringComparison.Ordinal);
        var toModality = output.IndexOf("Reported commitment to MODALITY", StringComparison.Ordinal);
        Assert.True(archiveCommitted >= 0 && toModality > archiveCommitted, output);
        Assert.Contains($"Reported commitment to MODALITY (transaction {Transaction}): 2 committed, 0 failed, on the same association", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_modality_that_released_gets_its_report_on_a_new_association_once_Orthanc_is_back_and_committed()
    {
        using var dir = new TempDirectory("scp-commit-new");
        var scpPort = FreePort.Get();
        using var orthanc = new OrthancPeer(modalities: new Dictionary<string, (string, int)> { ["gateway"] = ("GATEWAY", scpPort) });
        using var listener = DcmjsPeer.StartScp("MODALITY");
        using var gateway = new GatewayProcess(dir.Path, scpPort, OrthancDestination(orthanc), scpExtra: ScpCommitment(listener.Port));
        gateway.Start();
        orthanc.Down(); // the archive is away: nothing can be committed yet
        var samples = Samples();
        const string Transaction = "1.2.826.0.1.3680043.10.99.18.101";

        var modality = Modality(gateway, samples, Transaction, [.. samples.Select(Identity)], expectReports: 0, wait: TimeSpan.FromSeconds(1));
        Assert.True(modality.ExitCode == 0, modality + gateway.AllOutput);
        Assert.Empty(modality.PeerRequests);
        await Until(() => gateway.AllOutput.Contains("to orthanc failed", StringComparison.Ordinal),
            "a failed delivery to the stopped Orthanc", () => gateway.AllOutput);
        Assert.DoesNotContain(listener.Requests(), m => m.Command == "N-EVENT-REPORT"); // not committed: not reported
        Assert.Contains("modality commitment requests: 1 pending", GatewayExecutable.Run("spool", "list", "--spool", gateway.SpoolPath).StdOut, StringComparison.Ordinal);

        orthanc.Up();
        await Until(() => listener.Requests().Any(m => m.Command == "N-EVENT-REPORT"), "the report on a new association", () => gateway.AllOutput + string.Join('\n', listener.Log()));
        var report = listener.Requests().Single(m => m.Command == "N-EVENT-REPORT");
        AssertStoredAndAllCommitted(report, Transaction, samples);
        Assert.Equal(0, report.Status); // answered success by the modality
        // On a new association from us, with us in the SCP role it accepted.
        var association = listener.Log().Last(m => m.Event == "association");
        Assert.Equal("GATEWAY", association.CallingAet);
        var context = Assert.Single(association.Contexts);
        Assert.Equal(DcmjsRequest.StorageCommitmentPushModel, context.GetProperty("sopClass").GetString());
        Assert.True(context.GetProperty("roles").GetProperty("scp").GetBoolean());
        Assert.False(context.GetProperty("roles").GetProperty("scu").GetBoolean());
        Assert.Equal(2, orthanc.Instances().Count);
        // The line is logged once the modality answered the report, a moment after the modality has it.
        await Until(() => gateway.AllOutput.Contains("Reported commitment to MODALITY", StringComparison.Ordinal), "the report's log line", () => gateway.AllOutput);
        var output = gateway.AllOutput;
        Assert.True(output.LastIndexOf("Commitment report from orthanc", StringComparison.Ordinal) is var c and >= 0
            && output.IndexOf("Reported commitment to MODALITY", StringComparison.Ordinal) > c, output);
        await Until(() => !GatewayExecutable.Run("spool", "list", "--spool", gateway.SpoolPath).StdOut.Contains("modality commitment requests", StringComparison.Ordinal),
            "the request to be forgotten once reported", () => gateway.AllOutput);
    }

    [Fact]
    public void In_spooled_mode_the_report_comes_before_delivery_and_names_an_instance_never_received_0112_and_a_wrong_class_0119()
    {
        using var dir = new TempDirectory("scp-commit-spooled");
        // The destination is down for the whole test: nothing is delivered, everything stays in the spool.
        var deadPort = FreePort.Get();
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{deadPort.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 1, "retryMaxSeconds": 2 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, scpExtra: ScpCommitment(FreePort.Get(), answerWhen: "spooled"));
        gateway.Start();
        var samples = Samples();
        var (ctClass, ctInstance) = Identity(samples[0]);
        var (_, mrInstance) = Identity(samples[1]);
        const string NeverSent = "1.2.826.0.1.3680043.10.99.18.102.1";
        const string Transaction = "1.2.826.0.1.3680043.10.99.18.102";

        var modality = Modality(gateway, samples, Transaction, [(ctClass, ctInstance), (ctClass, mrInstance), (ctClass, NeverSent)],
            expectReports: 1, wait: TimeSpan.FromSeconds(30));

        Assert.True(modality.ExitCode == 0, modality + gateway.AllOutput);
        var report = Assert.Single(modality.PeerRequests);
        Assert.Equal(2, report.EventTypeId);
        Assert.Equal([ctInstance], Uids(report, ReferencedSop));
        var failed = report.Items(FailedSop).ToDictionary(i => Gateway.Testing.DicomJson.Text(i, "00081155")!, i => Gateway.Testing.DicomJson.Text(i, "00081197"));
        Assert.Equal(2, failed.Count);
        Assert.Equal("274", failed[NeverSent]); // 0112H no such object instance
        Assert.Equal("281", failed[mrInstance]); // 0119H class-instance conflict: we hold it as MR
        Assert.Equal(2, gateway.SpoolEntries); // answered while both still wait for their destination
    }

    [Fact]
    public async Task A_SIGKILL_between_the_request_and_the_report_still_reports_after_the_restart()
    {
        using var dir = new TempDirectory("scp-commit-kill");
        var scpPort = FreePort.Get();
        using var orthanc = new OrthancPeer(modalities: new Dictionary<string, (string, int)> { ["gateway"] = ("GATEWAY", scpPort) });
        using var listener = DcmjsPeer.StartScp("MODALITY");
        using var gateway = new GatewayProcess(dir.Path, scpPort, OrthancDestination(orthanc), scpExtra: ScpCommitment(listener.Port));
        gateway.Start();
        orthanc.Down();
        var samples = Samples();
        const string Transaction = "1.2.826.0.1.3680043.10.99.18.103";

        var modality = Modality(gateway, samples, Transaction, [.. samples.Select(Identity)], expectReports: 0, wait: TimeSpan.FromSeconds(1));
        Assert.True(modality.ExitCode == 0, modality + gateway.AllOutput);
        // Logged by the console logger's thread and read from the pipe later than the modality had its answer: waited for.
        gateway.WaitForOutput($"Commitment request from MODALITY (transaction {Transaction}): 2 instances", Patience);
        gateway.Kill(); // between the N-ACTION (answered success) and any report
        Assert.Empty(listener.Requests());

        orthanc.Up();
        gateway.Start();
        await Until(() => listener.Requests().Any(m => m.Command == "N-EVENT-REPORT"), "the report after the restart", () => gateway.AllOutput + string.Join('\n', listener.Log()));
        var report = listener.Requests().Single(m => m.Command == "N-EVENT-REPORT");
        AssertStoredAndAllCommitted(report, Transaction, samples);
        Assert.Equal(2, orthanc.Instances().Count);
        // The line is logged once the modality answered the report, a moment after the listener has it.
        var line = $"Reported commitment to MODALITY (transaction {Transaction}): 2 committed, 0 failed, on the new association";
        await Until(() => gateway.AllOutput.Contains(line, StringComparison.Ordinal), "the report's log line", () => gateway.AllOutput);
    }

    [Fact]
    public async Task Malformed_requests_are_refused_with_the_status_the_conformance_statement_names_and_nothing_is_kept()
    {
        using var dir = new TempDirectory("scp-commit-bad");
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{FreePort.Get().ToString(CultureInfo.InvariantCulture)}} }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, scpExtra: ScpCommitment(FreePort.Get()));
        gateway.Start();
        var identity = Identity(Samples()[0]);
        var noTransaction = Gateway.Testing.DicomJson.Dataset(("00081199", Gateway.Testing.DicomJson.Sequence(Gateway.Testing.DicomJson.Dataset(
            ("00081150", Gateway.Testing.DicomJson.Element("UI", identity.SopClass)), ("00081155", Gateway.Testing.DicomJson.Element("UI", identity.SopInstance))))));
        var noItems = Gateway.Testing.DicomJson.Dataset(("00081195", Gateway.Testing.DicomJson.Element("UI", "1.2.826.0.1.3680043.10.99.18.107")));
        var badItem = DcmjsRequest.CommitmentDataset("1.2.826.0.1.3680043.10.99.18.108", (identity.SopClass, "not a uid"));
        var good = DcmjsRequest.CommitmentDataset("1.2.826.0.1.3680043.10.99.18.109", identity);
        var result = DcmjsPeer.RunScu("127.0.0.1", gateway.ScpPort, "GATEWAY", "MODALITY",
        [
            DcmjsRequest.NAction(good, actionTypeId: 2),
            DcmjsRequest.NAction(good, sopInstance: "1.2.826.0.1.3680043.10.99.18.110"),
            DcmjsRequest.NAction(noTransaction),
            DcmjsRequest.NAction(noItems),
            DcmjsRequest.NAction(badItem),
        ]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([0x0123, 0x0117, 0x0115, 0x0115, 0x0115], result.Responses.Select(r => r.Status ?? -1));
        Assert.DoesNotContain("modality commitment requests", GatewayExecutable.Run("spool", "list", "--spool", gateway.SpoolPath).StdOut, StringComparison.Ordinal);
        // The refusals' lines come through the console logger's thread and the pipe after the answers: waited for.
        int Refusals() => System.Text.RegularExpressions.Regex.Count(gateway.AllOutput, "Refused a commitment request from MODALITY");
        await Until(() => Refusals() >= 5, "the five refusals' lines", () => gateway.AllOutput);
        Assert.Equal(5, Refusals());
    }

    [Fact]
    public void A_modality_without_a_configured_address_is_refused_with_0124()
    {
        using var dir = new TempDirectory("scp-commit-unknown");
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{FreePort.Get().ToString(CultureInfo.InvariantCulture)}} }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, scpExtra: ScpCommitment(FreePort.Get()));
        gateway.Start();
        var sample = Samples()[0];
        var result = DcmjsPeer.RunScu("127.0.0.1", gateway.ScpPort, "GATEWAY", "OTHER",
            [DcmjsRequest.NAction(DcmjsRequest.CommitmentDataset("1.2.826.0.1.3680043.10.99.18.104", Identity(sample)))]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(0x0124, Assert.Single(result.Responses).Status);
        Assert.DoesNotContain("modality commitment requests", GatewayExecutable.Run("spool", "list", "--spool", gateway.SpoolPath).StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_report_the_modality_could_not_take_is_tried_again_until_it_listens()
    {
        using var dir = new TempDirectory("scp-commit-retry");
        var modalityPort = FreePort.Get();
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{FreePort.Get().ToString(CultureInfo.InvariantCulture)}} }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, scpExtra: ScpCommitment(modalityPort, answerWhen: "spooled"));
        gateway.Start();
        var samples = Samples();
        const string Transaction = "1.2.826.0.1.3680043.10.99.18.105";
        var modality = Modality(gateway, samples, Transaction, [.. samples.Select(Identity)], expectReports: 0, wait: TimeSpan.FromSeconds(1));
        Assert.True(modality.ExitCode == 0, modality + gateway.AllOutput);

        // The modality's SCP is not up: attempts fail, said, and the request stays.
        await Until(() => gateway.AllOutput.Contains("could not be delivered (attempt 2", StringComparison.Ordinal), "two failed attempts", () => gateway.AllOutput);
        var list = GatewayExecutable.Run("spool", "list", "--spool", gateway.SpoolPath).StdOut;
        Assert.Contains("modality commitment requests: 1 pending", list, StringComparison.Ordinal);
        Assert.Matches(@"from MODALITY transaction 1\.2\.826\.0\.1\.3680043\.10\.99\.18\.105: 2 instance\(s\), \d+ s old, [2-9] report attempt\(s\) — ", list);
        using var listener = DcmjsPeer.StartScp("MODALITY", port: modalityPort);
        await Until(() => listener.Requests().Any(m => m.Command == "N-EVENT-REPORT"), "the report once the modality listens", () => gateway.AllOutput);
        AssertStoredAndAllCommitted(listener.Requests().Single(m => m.Command == "N-EVENT-REPORT"), Transaction, samples);
    }

    [Fact]
    public async Task A_report_that_cannot_be_delivered_is_given_up_after_reportAttempts_with_an_event()
    {
        using var dir = new TempDirectory("scp-commit-giveup");
        var destination = $$"""{ "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{FreePort.Get().ToString(CultureInfo.InvariantCulture)}} }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, scpExtra: ScpCommitment(FreePort.Get(), answerWhen: "spooled", reportAttempts: 2));
        gateway.Start();
        var sample = Samples()[0];
        const string Transaction = "1.2.826.0.1.3680043.10.99.18.106";
        var modality = Modality(gateway, [sample], Transaction, [Identity(sample)], expectReports: 0, wait: TimeSpan.FromSeconds(1));
        Assert.True(modality.ExitCode == 0, modality + gateway.AllOutput);

        await Until(() => gateway.AllOutput.Contains($"Gave up the commitment report to MODALITY (transaction {Transaction}) after 2 attempts", StringComparison.Ordinal),
            "the report given up", () => gateway.AllOutput);
        Assert.DoesNotContain("modality commitment requests", GatewayExecutable.Run("spool", "list", "--spool", gateway.SpoolPath).StdOut, StringComparison.Ordinal);
        Assert.Equal(1, gateway.SpoolEntries); // the object itself is not touched: it still goes to its destination
    }
}
