using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// The dcmjs-dimse test peer (#16) proves itself before the gateway's N-services are tested against it: its SCU against
/// its SCP for N-CREATE/N-SET/N-GET, storage commitment with the report on the same and on a new association, C-FIND,
/// configured failures, and dcmtk's echoscu against its SCP.
/// </summary>
public sealed class DcmjsPeerTests
{
    private const string Mpps = DcmjsRequest.ModalityPerformedProcedureStep;
    private const string Commitment = DcmjsRequest.StorageCommitmentPushModel;
    private const string SecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void N_create_n_set_and_n_get_of_an_mpps_instance_reach_the_scp_and_come_back()
    {
        using var scp = DcmjsPeer.StartScp("MPPS");
        var create = DicomJson.Dataset(
            ("00100010", DicomJson.Element("PN", "Doe^John")),
            ("00400252", DicomJson.Element("CS", "IN PROGRESS")),
            ("00400253", DicomJson.Element("SH", "PPS-1")),
            ("00400270", DicomJson.Sequence(DicomJson.Dataset(("0020000D", DicomJson.Element("UI", "1.2.826.0.1.3680043.10.1.1"))))),
            ("00081032", DicomJson.Sequence()));
        var set = DicomJson.Dataset(("00400252", DicomJson.Element("CS", "COMPLETED")));

        var scu = DcmjsPeer.RunScu("127.0.0.1", scp.Port, "MPPS", "MODALITY",
        [
            DcmjsRequest.NCreate("1.2.826.0.1.3680043.10.1.2", create),
            DcmjsRequest.NSet("1.2.826.0.1.3680043.10.1.2", set),
            DcmjsRequest.NGet("1.2.826.0.1.3680043.10.1.2", Mpps, "00400252", "00100010"),
        ]);

        Assert.True(scu.ExitCode == 0, scu.ToString());
        Assert.Equal(["N-CREATE", "N-SET", "N-GET"], scu.Responses.Select(r => r.Command));
        Assert.All(scu.Responses, r => Assert.Equal(0, r.Status));
        Assert.Equal("COMPLETED", scu.Responses[2].Text("00400252"));
        Assert.Equal("Doe^John", scu.Responses[2].Text("00100010"));

        var requests = scp.Requests();
        Assert.Equal(["N-CREATE", "N-SET", "N-GET"], requests.Select(r => r.Command));
        Assert.All(requests, r => Assert.Equal(Mpps, r.SopClass));
        Assert.All(requests, r => Assert.Equal("1.2.826.0.1.3680043.10.1.2", r.SopInstance));
        Assert.Equal("MODALITY", requests[0].CallingAet);
        Assert.Equal("Doe^John", requests[0].Text("00100010"));
        Assert.Equal("IN PROGRESS", requests[0].Text("00400252"));
        Assert.Equal("1.2.826.0.1.3680043.10.1.1", DicomJson.Text(requests[0].Items("00400270").Single(), "0020000D"));
        Assert.Empty(requests[0].Items("00081032"));
        Assert.Equal("COMPLETED", requests[1].Text("00400252"));
        Assert.Null(requests[1].Text("00100010"));
    }

    [Fact]
    public void A_configured_status_fails_n_set_and_an_n_create_without_uid_gets_one_from_the_scp()
    {
        var config = new DcmjsScpConfig();
        config.Responses["N-SET"] = new DcmjsResponse { Status = 0x0110, ErrorComment = "refused by the test" };
        using var scp = DcmjsPeer.StartScp("MPPS", config);

        var scu = DcmjsPeer.RunScu("127.0.0.1", scp.Port, "MPPS", "MODALITY",
        [
            DcmjsRequest.NCreate(null, DicomJson.Dataset(("00400252", DicomJson.Element("CS", "IN PROGRESS")))),
            DcmjsRequest.NSet("1.2.826.0.1.3680043.10.1.3", DicomJson.Dataset(("00400252", DicomJson.Element("CS", "DISCONTINUED")))),
            DcmjsRequest.Echo(),
        ]);

        Assert.True(scu.ExitCode == 0, scu.ToString());
        var created = scu.Responses[0];
        Assert.Equal(0, created.Status);
        Assert.StartsWith("2.25.", created.SopInstance, StringComparison.Ordinal);
        Assert.Null(scp.Requests()[0].SopInstance);
        Assert.Equal(0x0110, scu.Responses[1].Status);
        Assert.Equal("refused by the test", scu.Responses[1].ErrorComment);
        Assert.Equal(0x0110, scp.Requests()[1].Status);
        // The message after a data-less one is read afresh (dcmjs-dimse 0.3.3 carried the previous command's elements over).
        Assert.Equal("C-ECHO", scu.Responses[2].Command);
        Assert.Null(scu.Responses[2].ErrorComment);
    }

    [Fact]
    public void The_commitment_report_comes_on_the_same_association_after_the_n_action_response()
    {
        var config = new DcmjsScpConfig
        {
            Commitment = new DcmjsCommitment
            {
                Report = DcmjsReport.SameAssociation,
                Delay = TimeSpan.FromMilliseconds(200),
                FailedSopInstances = ["1.2.826.0.1.3680043.10.2.2"],
            },
        };
        using var scp = DcmjsPeer.StartScp("ARCHIVE", config);
        var options = new DcmjsScuOptions { ExpectRequests = 1 };
        options.Roles[Commitment] = new DcmjsRoles(Scu: true, Scp: true);

        var scu = DcmjsPeer.RunScu("127.0.0.1", scp.Port, "ARCHIVE", "MODALITY",
        [
            DcmjsRequest.NAction(DcmjsRequest.CommitmentDataset("2.25.100",
                (SecondaryCapture, "1.2.826.0.1.3680043.10.2.1"), (SecondaryCapture, "1.2.826.0.1.3680043.10.2.2"))),
        ], options);

        Assert.True(scu.ExitCode == 0, scu.ToString());
        var context = scu.Association!.Contexts.Single();
        Assert.Equal(Commitment, context.GetProperty("sopClass").GetString());
        Assert.True(context.GetProperty("roles").GetProperty("scu").GetBoolean());
        Assert.True(context.GetProperty("roles").GetProperty("scp").GetBoolean());
        Assert.Equal(0, scu.Responses.Single().Status);
        Assert.Equal(1, scu.Responses.Single().ActionTypeId);

        var report = scu.PeerRequests.Single();
        Assert.Equal("N-EVENT-REPORT", report.Command);
        Assert.Equal(2, report.EventTypeId);
        Assert.Null(report.ActionTypeId);
        Assert.Equal(DcmjsRequest.StorageCommitmentPushModelInstance, report.SopInstance);
        Assert.Equal("2.25.100", report.Text("00081195"));
        Assert.Equal("1.2.826.0.1.3680043.10.2.1", DicomJson.Text(report.Items("00081199").Single(), "00081155"));
        var failed = report.Items("00081198").Single();
        Assert.Equal("1.2.826.0.1.3680043.10.2.2", DicomJson.Text(failed, "00081155"));
        Assert.Equal("274", DicomJson.Text(failed, "00081197"));

        var sent = scp.WaitForSent("N-EVENT-REPORT", Patience);
        Assert.Equal("same", sent.Association);
        Assert.Equal(0, sent.Status);
    }

    [Fact]
    public void The_commitment_report_comes_on_a_new_association_to_the_modality_proposing_the_archive_as_scp()
    {
        using var modality = DcmjsPeer.StartScp("MODALITY");
        var config = new DcmjsScpConfig
        {
            Commitment = new DcmjsCommitment { Report = DcmjsReport.NewAssociation, Delay = TimeSpan.FromMilliseconds(300), CallbackPort = modality.Port },
        };
        using var archive = DcmjsPeer.StartScp("ARCHIVE", config);

        var scu = DcmjsPeer.RunScu("127.0.0.1", archive.Port, "ARCHIVE", "MODALITY",
            [DcmjsRequest.NAction(DcmjsRequest.CommitmentDataset("2.25.200", (SecondaryCapture, "1.2.826.0.1.3680043.10.3.1")))]);
        Assert.True(scu.ExitCode == 0, scu.ToString());
        Assert.Empty(scu.PeerRequests);

        var log = modality.WaitFor(l => l.Any(m => m.Event == "request"), Patience);
        var association = log.First(m => m.Event == "association");
        Assert.Equal("ARCHIVE", association.CallingAet);
        var roles = association.Contexts.Single().GetProperty("roles");
        Assert.False(roles.GetProperty("scu").GetBoolean());
        Assert.True(roles.GetProperty("scp").GetBoolean());
        var report = log.Single(m => m.Event == "request");
        Assert.Equal("N-EVENT-REPORT", report.Command);
        Assert.Equal(1, report.EventTypeId);
        Assert.Equal("2.25.200", report.Text("00081195"));
        Assert.Equal("1.2.826.0.1.3680043.10.3.1", DicomJson.Text(report.Items("00081199").Single(), "00081155"));
        Assert.Empty(report.Items("00081198"));

        var sent = archive.WaitForSent("N-EVENT-REPORT", Patience);
        Assert.Equal("new", sent.Association);
        Assert.Equal(0, sent.Status);
    }

    [Fact]
    public void The_scu_sends_n_event_report_as_an_archive_does_and_c_find_gets_the_configured_matches()
    {
        var config = new DcmjsScpConfig();
        config.Responses["C-FIND"] = new DcmjsResponse
        {
            Matches =
            [
                DicomJson.Dataset(("00100020", DicomJson.Element("LO", "WL-1")), ("00100010", DicomJson.Element("PN", "Müller^Hélène"))),
                DicomJson.Dataset(("00100020", DicomJson.Element("LO", "WL-2"))),
            ],
        };
        using var scp = DcmjsPeer.StartScp("RIS", config);
        var options = new DcmjsScuOptions();
        options.Roles[Commitment] = new DcmjsRoles(Scu: false, Scp: true);

        var scu = DcmjsPeer.RunScu("127.0.0.1", scp.Port, "RIS", "ARCHIVE",
        [
            DcmjsRequest.NEventReport(1, DcmjsRequest.CommitmentDataset("2.25.300", (SecondaryCapture, "1.2.826.0.1.3680043.10.4.1"))),
            DcmjsRequest.CFind(DicomJson.Dataset(("00100020", DicomJson.Element("LO")), ("00100010", DicomJson.Element("PN")))),
        ], options);

        Assert.True(scu.ExitCode == 0, scu.ToString());
        Assert.Equal(0, scu.Responses[0].Status);
        Assert.Equal(["WL-1", "WL-2", null], scu.Responses.Skip(1).Select(r => r.Text("00100020")));
        Assert.Equal([0xFF00, 0xFF00, 0], scu.Responses.Skip(1).Select(r => r.Status ?? -1));
        var report = scp.Requests()[0];
        Assert.Equal("N-EVENT-REPORT", report.Command);
        Assert.Equal(1, report.EventTypeId);
        Assert.Equal("2.25.300", report.Text("00081195"));
        var roles = scp.Log().First(m => m.Event == "association").Contexts
            .Single(c => c.GetProperty("sopClass").GetString() == Commitment).GetProperty("roles");
        Assert.False(roles.GetProperty("scu").GetBoolean());
        Assert.True(roles.GetProperty("scp").GetBoolean());
        Assert.Equal("C-FIND", scp.Requests()[1].Command);
    }

    [Fact]
    public void A_calling_ae_off_the_allow_list_is_rejected_and_the_scu_exits_1()
    {
        var config = new DcmjsScpConfig();
        config.AllowedCallingAets.Add("MODALITY");
        using var scp = DcmjsPeer.StartScp("MPPS", config);

        var scu = DcmjsPeer.RunScu("127.0.0.1", scp.Port, "MPPS", "STRANGER", [DcmjsRequest.Echo()]);

        Assert.True(scu.ExitCode == 1, scu.ToString());
        Assert.Contains(scu.Messages, m => m.Event == "rejected");
        Assert.Contains(scp.Log(), m => m.Event == "association-rejected" && m.CallingAet == "STRANGER");
        var refused = DcmjsPeer.RunScu("127.0.0.1", FreePort.Get(), "MPPS", "MODALITY", [DcmjsRequest.Echo()]);
        Assert.True(refused.ExitCode == 1, refused.ToString());
    }

    [Fact]
    public void Dcmtk_echoscu_is_answered_by_the_dcmjs_scp()
    {
        var echoscu = Peers.Require("echoscu", "dcmtk");
        using var scp = DcmjsPeer.StartScp("ECHOSCP");

        var echo = ProcessRunner.Run(echoscu, ["-aet", "DCMTK", "-aec", "ECHOSCP", "127.0.0.1", scp.Port.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(echo.ExitCode == 0, echo.All + scp.Output);
        var request = scp.Requests().Single();
        Assert.Equal("C-ECHO", request.Command);
        Assert.Equal(DcmjsRequest.Verification, request.SopClass);
        Assert.Equal("DCMTK", request.CallingAet);
        Assert.Equal(0, request.Status);
    }
}
