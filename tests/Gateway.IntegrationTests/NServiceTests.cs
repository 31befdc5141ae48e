using System.Collections.Concurrent;
using Gateway.Dicom;
using Gateway.Dicom.Network;
using Gateway.Testing;
using Xunit;
using DicomJson = Gateway.Testing.DicomJson;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #16: the DIMSE-N services on both sides of an association, against a third-party stack (dcmjs-dimse): our
/// SCU's N-CREATE, N-SET, N-GET and N-ACTION to its SCP, its N-EVENT-REPORT answered by our handler on the same
/// association and on a new one it opens to our SCP (role selection both ways), and its SCU's requests performed — or
/// refused with a status — by our SCP's handlers. MPPS and Storage Commitment (issues #17, #18) stand on this.
/// </summary>
public sealed class NServiceTests
{
    private const string Mpps = DicomUids.ModalityPerformedProcedureStep;
    private const string Commitment = DicomUids.StorageCommitmentPushModel;
    private const string CommitmentInstance = "1.2.840.10008.1.20.1.1";
    private const string SecondaryCapture = DicomUids.SecondaryCaptureImageStorage;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static DicomClientOptions Options(int port, string called, DimseHandlers? handlers = null, params RoleSelection[] roles) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        CalledAE = called,
        CallingAE = "GATEWAY",
        Handlers = handlers,
        Roles = roles,
    };

    private static PresentationContextProposal[] Contexts(params string[] sopClasses) =>
        [.. sopClasses.Select((s, i) => new PresentationContextProposal((byte)(2 * i + 1), s, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian]))];

    private static DicomDataset CommitmentRequest(string transaction, params string[] instances)
    {
        var ds = new DicomDataset();
        ds.Set(DicomTags.TransactionUID, DicomVR.UI, transaction);
        var items = instances.Select(uid =>
        {
            var item = new DicomDataset();
            item.Set(DicomTags.ReferencedSOPClassUID, DicomVR.UI, SecondaryCapture);
            item.Set(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, uid);
            return item;
        });
        ds.AddOrUpdate(new DicomSequence(DicomTags.ReferencedSOPSequence, [.. items]));
        return ds;
    }

    [Fact]
    public async Task N_create_n_set_and_n_get_of_an_MPPS_instance_reach_dcmjs_and_its_answers_come_back()
    {
        using var scp = DcmjsPeer.StartScp("RIS");
        await using var association = await DicomClient.OpenAsync(Options(scp.Port, "RIS"), Contexts(Mpps));
        var pps = "1.2.826.0.1.3680043.10.99.16.1";
        var create = new DicomDataset();
        create.Set(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        create.Set(DicomTags.PatientName, "Müller^Hélène");
        create.Set(DicomTags.PerformedProcedureStepStatus, "IN PROGRESS");
        create.Set(DicomTags.PerformedProcedureStepID, "PPS-1");
        var created = await association.NCreateAsync(Mpps, pps, create);
        Assert.True(created.Status.IsSuccess, created.Status.ToString());
        Assert.Equal(pps, created.Command.AffectedSopInstanceUid);

        var set = new DicomDataset();
        set.Set(DicomTags.PerformedProcedureStepStatus, "COMPLETED");
        var changed = await association.NSetAsync(Mpps, pps, set);
        Assert.True(changed.Status.IsSuccess, changed.Status.ToString());

        // Specific Character Set is asked for too: the answer's names are UTF-8, and without it they would not say so.
        var got = await association.NGetAsync(Mpps, pps, [DicomTags.SpecificCharacterSet, DicomTags.PerformedProcedureStepStatus, DicomTags.PatientName]);
        Assert.True(got.Status.IsSuccess, got.Status.ToString());
        Assert.Equal("COMPLETED", got.DataSet!.TryGetString(DicomTags.PerformedProcedureStepStatus));
        Assert.Equal("Müller^Hélène", got.DataSet.TryGetString(DicomTags.PatientName));

        var requests = scp.Requests();
        Assert.Equal(["N-CREATE", "N-SET", "N-GET"], requests.Select(r => r.Command));
        Assert.All(requests, r => Assert.Equal(Mpps, r.SopClass));
        Assert.All(requests, r => Assert.Equal(pps, r.SopInstance));
        Assert.Equal("GATEWAY", requests[0].CallingAet);
        Assert.Equal("Müller^Hélène", requests[0].Text("00100010"));
        Assert.Equal("COMPLETED", requests[1].Text("00400252"));
        Assert.Equal(["00080005", "00400252", "00100010"], requests[2].Json.GetProperty("attributeIdentifiers").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task A_refusal_from_the_SCP_is_a_status_and_the_association_goes_on()
    {
        var config = new DcmjsScpConfig();
        config.Responses["N-SET"] = new DcmjsResponse { Status = 0x0110, ErrorComment = "refused by the test" };
        using var scp = DcmjsPeer.StartScp("RIS", config);
        await using var association = await DicomClient.OpenAsync(Options(scp.Port, "RIS"), Contexts(Mpps, DicomUids.Verification));
        var set = new DicomDataset();
        set.Set(DicomTags.PerformedProcedureStepStatus, "DISCONTINUED");
        var refused = await association.NSetAsync(Mpps, "1.2.826.0.1.3680043.10.99.16.2", set);
        Assert.Equal(0x0110, refused.Status.Code);
        Assert.Equal("refused by the test", refused.Status.ErrorComment);
        Assert.True((await association.EchoAsync()).IsSuccess);
    }

    [Fact]
    public async Task Storage_commitment_N_ACTION_and_its_N_EVENT_REPORT_on_the_same_association_with_role_selection()
    {
        var config = new DcmjsScpConfig
        {
            Commitment = new DcmjsCommitment
            {
                Report = DcmjsReport.SameAssociation,
                Delay = TimeSpan.FromMilliseconds(200),
                FailedSopInstances = ["1.2.826.0.1.3680043.10.99.16.12"],
            },
        };
        using var scp = DcmjsPeer.StartScp("ARCHIVE", config);
        var reports = new BlockingCollection<DimseRequest>();
        var handlers = new DimseHandlers().On(CommandField.NEventReportRequest, Commitment, (request, _) =>
        {
            reports.Add(request, CancellationToken.None);
            return ValueTask.FromResult(DimseReply.Success);
        });
        await using var association = await DicomClient.OpenAsync(
            Options(scp.Port, "ARCHIVE", handlers, new RoleSelection(Commitment, ScuRole: true, ScpRole: true)), Contexts(Commitment));
        // The archive accepted us as SCU (we ask) and as SCP (we receive its event reports).
        Assert.Equal(new RoleSelection(Commitment, true, true), association.AcceptedRole(Commitment));

        var action = await association.NActionAsync(Commitment, CommitmentInstance, 1,
            CommitmentRequest("2.25.1616", "1.2.826.0.1.3680043.10.99.16.11", "1.2.826.0.1.3680043.10.99.16.12"));
        Assert.True(action.Status.IsSuccess, action.Status.ToString());
        Assert.Equal((ushort)1, action.Command.ActionTypeId);

        Assert.True(reports.TryTake(out var report, Patience), "no N-EVENT-REPORT reached our handler: " + string.Join("\n", scp.Log()) + scp.Output);
        Assert.Equal((ushort)2, report!.Command.EventTypeId); // some failed
        Assert.Equal(CommitmentInstance, report.SopInstanceUid);
        Assert.Equal("2.25.1616", report.DataSet!.TryGetString(DicomTags.TransactionUID));
        var committed = Assert.Single(report.DataSet.GetSequence(DicomTags.ReferencedSOPSequence).Items);
        Assert.Equal("1.2.826.0.1.3680043.10.99.16.11", committed.TryGetString(DicomTags.ReferencedSOPInstanceUID));
        var failed = Assert.Single(report.DataSet.GetSequence(DicomTags.FailedSOPSequence).Items);
        Assert.Equal("1.2.826.0.1.3680043.10.99.16.12", failed.TryGetString(DicomTags.ReferencedSOPInstanceUID));

        // What dcmjs saw of our answer to its report: success, on the same association.
        var sent = scp.WaitForSent("N-EVENT-REPORT", Patience);
        Assert.Equal("same", sent.Association);
        Assert.Equal(0, sent.Status);
        Assert.Equal("1", scp.Requests().Single().ActionTypeId?.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_archive_reports_on_a_new_association_to_our_SCP_proposing_itself_as_SCP()
    {
        using var received = new TempDirectory("nservice-in");
        var reports = new BlockingCollection<DimseRequest>();
        var handlers = new DimseHandlers().On(CommandField.NEventReportRequest, Commitment, (request, _) =>
        {
            reports.Add(request, CancellationToken.None);
            return ValueTask.FromResult(DimseReply.Success);
        });
        await using var ours = DicomServer.Start(new DicomServerOptions
        {
            AeTitle = "GATEWAY",
            Port = 0,
            OutputDirectory = received.Path,
            Handlers = handlers,
        });
        var config = new DcmjsScpConfig
        {
            Commitment = new DcmjsCommitment { Report = DcmjsReport.NewAssociation, Delay = TimeSpan.FromMilliseconds(300), CallbackPort = ours.Port, CallbackAet = "GATEWAY" },
        };
        using var archive = DcmjsPeer.StartScp("ARCHIVE", config);
        await using (var association = await DicomClient.OpenAsync(Options(archive.Port, "ARCHIVE"), Contexts(Commitment)))
        {
            var action = await association.NActionAsync(Commitment, CommitmentInstance, 1, CommitmentRequest("2.25.1617", "1.2.826.0.1.3680043.10.99.16.21"));
            Assert.True(action.Status.IsSuccess, action.Status.ToString());
        }
        Assert.True(reports.TryTake(out var report, Patience), "no N-EVENT-REPORT reached our SCP");
        Assert.Equal("ARCHIVE", report!.CallingAE);
        Assert.Equal((ushort)1, report.Command.EventTypeId);
        Assert.Equal("2.25.1617", report.DataSet!.TryGetString(DicomTags.TransactionUID));
        var sent = archive.WaitForSent("N-EVENT-REPORT", Patience);
        Assert.Equal("new", sent.Association);
        Assert.Equal(0, sent.Status);
        // The archive proposed itself as SCP (SCU 0, SCP 1); we accepted that role — our handler receives reports.
        var opened = archive.Log().First(m => m.Event == "association-opened");
        var roles = opened.Contexts.Single().GetProperty("roles");
        Assert.False(roles.GetProperty("scu").GetBoolean());
        Assert.True(roles.GetProperty("scp").GetBoolean());
    }

    [Fact]
    public async Task The_dcmjs_SCU_has_its_MPPS_performed_by_our_handlers_and_an_unsupported_request_answered_with_its_status()
    {
        using var received = new TempDirectory("nservice-scp");
        var performed = new ConcurrentQueue<DimseRequest>();
        var instances = new ConcurrentDictionary<string, DicomDataset>();
        var handlers = new DimseHandlers()
            .On(CommandField.NCreateRequest, Mpps, (request, _) =>
            {
                performed.Enqueue(request);
                var uid = request.SopInstanceUid.Length > 0 ? request.SopInstanceUid : "2.25.16161616";
                instances[uid] = request.DataSet!;
                return ValueTask.FromResult(new DimseReply(DicomStatus.Success, SopInstanceUid: uid));
            })
            .On(CommandField.NSetRequest, Mpps, (request, _) =>
            {
                performed.Enqueue(request);
                return ValueTask.FromResult(instances.ContainsKey(request.SopInstanceUid)
                    ? DimseReply.Success
                    : new DimseReply(new DicomStatus(0x0112, "no such SOP instance")));
            });
        await using var server = DicomServer.Start(new DicomServerOptions { AeTitle = "GATEWAY", Port = 0, OutputDirectory = received.Path, Handlers = handlers });
        {
            var create = DicomJson.Dataset(("00080005", DicomJson.Element("CS", "ISO_IR 192")), ("00400252", DicomJson.Element("CS", "IN PROGRESS")),
                ("00100010", DicomJson.Element("PN", "Dvořák^Zoë")));
            var scu = await Task.Run(() => DcmjsPeer.RunScu("127.0.0.1", server.Port, "GATEWAY", "MODALITY",
            [
                DcmjsRequest.NCreate(null, create),
                DcmjsRequest.NSet("2.25.16161616", DicomJson.Dataset(("00400252", DicomJson.Element("CS", "COMPLETED")))),
                DcmjsRequest.NSet("2.25.99", DicomJson.Dataset(("00400252", DicomJson.Element("CS", "COMPLETED")))),
                DcmjsRequest.NGet("2.25.16161616", Mpps, "00400252"),
                DcmjsRequest.Echo(),
            ]));
            Assert.True(scu.ExitCode == 0, scu.ToString());
            var statuses = scu.Responses.Select(r => r.Status).ToList();
            // N-CREATE made up its instance; N-SET of an unknown one is 0112; N-GET is performed by nothing here (0211);
            // and the association carried on to the C-ECHO.
            Assert.Equal([0, 0, 0x0112, 0x0211, 0], statuses);
            Assert.Equal("2.25.16161616", scu.Responses[0].SopInstance);
            Assert.Equal(["N-CREATE", "N-SET", "N-SET"], performed.Select(r => r.Command.Field switch
            {
                CommandField.NCreateRequest => "N-CREATE",
                _ => "N-SET",
            }));
            var first = performed.First();
            Assert.Equal("MODALITY", first.CallingAE);
            Assert.Equal("Dvořák^Zoë", first.DataSet!.TryGetString(DicomTags.PatientName));
        }
    }
}
