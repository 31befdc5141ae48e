using Gateway.Configuration;
using Gateway.Dicom;
using Gateway.Telemetry;
using Gateway.Web;

namespace Gateway.Web.Tests;

/// <summary>
/// The service as the page sees it, for the page's own tests (security, validation, forms): the configuration lives
/// in a real file written by the real ConfigWriter; network answers are scripted. The whole product with a browser
/// is tested in Gateway.IntegrationTests against real peers.
/// </summary>
internal sealed class FakeGatewayControl(string configPath, GatewayConfig config, Gateway.Web.Logging.RecentLogBuffer logs) : IGatewayControl
{
    public GatewayConfig Config { get; private set; } = config;
    public List<string> Calls { get; } = [];
    public DicomDataset ExamSet { get; private set; } = new();

    public Task<IReadOnlyList<string>> SaveConfigAsync(GatewayConfig config)
    {
        try
        {
            ConfigWriter.Save(configPath, config);
        }
        catch (ConfigException e)
        {
            return Task.FromResult(e.Problems);
        }
        Config = config;
        Calls.Add("save");
        return Task.FromResult<IReadOnlyList<string>>([]);
    }

    public HealthMessage Health() => new() { BoxId = Config.Box.Id, Version = "test", Destinations = [.. Config.Destinations.Select(d => new DestinationHealth(d.Name, 0, null, 0, null, 0))], ModalityCommitment = ModalityCommitment };

    /// <summary>What Health() says of the modalities' storage commitment requests (null: the SCP side is off).</summary>
    public ModalityCommitmentHealth? ModalityCommitment { get; set; }
    public bool MqttConnected => false;
    public Task<(bool Ok, string Message)> EchoAsync(DestinationConfig destination, CancellationToken ct) => Task.FromResult((true, "success: scripted"));
    /// <summary>Every broker the page asked to test, as it was asked (password included).</summary>
    public List<MqttConfig> MqttTests { get; } = [];
    public Task<(bool Ok, string Message)> TestMqttAsync(MqttConfig mqtt, CancellationToken ct)
    {
        lock (MqttTests)
            MqttTests.Add(mqtt);
        return Task.FromResult((false, "scripted"));
    }
    public IReadOnlyList<SpoolRow> SpoolEntries() => [];
    public int Retry(string? id) { Calls.Add("retry"); return 0; }
    public int PurgeDeadLetters(string? id) { Calls.Add("purge"); return 0; }
    public (string Id, byte[] Png)? LastImage() => null;
    public DicomDataset Exam() => ExamSet;

    /// <summary>
    /// As the service: refused while an exam is in progress; else the typed patient is the next exam ("manual"), and an
    /// empty one clears the selection.
    /// </summary>
    public string? SetExam(DicomDataset exam)
    {
        lock (_gate)
        {
            if (Busy() is { } busy)
                return busy;
            ExamSet = exam;
            Current = exam.Count == 0 ? NoExam : new ExamView("manual", null, exam.TryGetString(DicomTags.PatientName), exam.TryGetString(DicomTags.PatientID),
                exam.TryGetString(DicomTags.AccessionNumber), null, "selected", 0, null, MppsBeforeImages);
            Calls.Add("exam");
            return null;
        }
    }

    // Issue #17, as the service's contract (IGatewayControl, ExamViews.cs) says it behaves.
    private readonly Lock _gate = new();

    // The service's words (GatewayService.Exam, ExamWorkflow): lower case, no full stop; the page makes them a sentence.
    private string? Busy() => Current.State == "in progress" ? $"an exam is in progress ({Current.Images} image(s) acquired): end or cancel it first" : null;

    private string? MppsBeforeImages => Mpps is null ? null : "sent when the first image is acquired";

    /// <summary>The list the service holds (tests set it: rows, staleness, "not configured").</summary>
    public WorklistView List { get; set; } = new(false, [], null, null);

    /// <summary>What the next "ask the RIS again" gives; null: the RIS does not answer, the list stays and turns stale.</summary>
    public WorklistView? NextAnswer { get; set; }

    /// <summary>What the service says about MPPS (null: no MPPS SCP configured).</summary>
    public string? Mpps { get; set; } = "IN PROGRESS sent";

    public ExamView Current { get; set; } = NoExam;

    public static readonly ExamView NoExam = new("none", null, null, null, null, null, "selected", 0, null, null);

    public WorklistView Worklist()
    {
        lock (_gate)
            return List;
    }

    public Task<WorklistView> RefreshWorklistAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            Calls.Add("refresh");
            if (List.Configured)
                List = NextAnswer ?? List with { StaleBecause = "the RIS refused the association" };
            return Task.FromResult(List);
        }
    }

    public ExamView CurrentExam()
    {
        lock (_gate)
            return Current;
    }

    public string? SelectStep(string key)
    {
        lock (_gate)
        {
            Calls.Add("select");
            if (!List.Configured)
                return "no worklist is configured";
            if (List.Rows.FirstOrDefault(r => r.Key == key) is not { } row)
                return "this step is not in the worklist (refresh the list)";
            if (row.Problems.Count > 0)
                return "this step has problems and cannot be used: " + string.Join("; ", row.Problems);
            if (Busy() is { } busy)
                return busy;
            Current = new ExamView("worklist", row.Key, row.PatientName, row.PatientId, row.AccessionNumber, row.RequestedProcedure ?? row.StepDescription,
                "selected", 0, null, MppsBeforeImages);
            return null;
        }
    }

    /// <summary>What the acquisition does when images come: the exam is in progress (its MPPS IN PROGRESS sent).</summary>
    public void Acquire(int images, DateTimeOffset at)
    {
        lock (_gate)
            Current = Current with { State = "in progress", Images = Current.Images + images, Started = Current.Started ?? at, Mpps = Mpps };
    }

    public string? EndExam()
    {
        lock (_gate)
        {
            Calls.Add("end");
            if (Current.State != "in progress" || Current.Images == 0)
                return "no image was acquired in this exam";
            Current = NoExam;
            return null;
        }
    }

    public string? CancelExam(string reasonCode)
    {
        lock (_gate)
        {
            Calls.Add($"cancel {reasonCode}");
            if (!DiscontinuationReasons.Any(r => r.Code == reasonCode))
                return $"'{reasonCode}' is not a reason this box offers";
            // Without images only the selection is cleared (no MPPS); with them, DISCONTINUED with the reason.
            Current = NoExam;
            return null;
        }
    }

    /// <summary>PS3.16 CID 9300 "Procedure Discontinuation Reasons" (scheme DCM), as the service offers them.</summary>
    public IReadOnlyList<DiscontinuationReason> DiscontinuationReasons { get; } =
    [
        new("110500", "Doctor canceled procedure"), new("110501", "Equipment failure"), new("110502", "Incorrect procedure ordered"),
        new("110503", "Patient allergic to media/contrast"), new("110504", "Patient died"), new("110505", "Patient refused to continue procedure"),
        new("110506", "Patient taken for treatment or surgery"), new("110507", "Patient did not arrive"), new("110508", "Patient pregnant"),
        new("110509", "Change of procedure for correct charging"), new("110510", "Duplicate order"), new("110511", "Nursing unit cancel"),
        new("110512", "Incorrect side ordered"), new("110513", "Discontinued for unspecified reason"), new("110514", "Incorrect worklist entry selected"),
    ];

    public bool RequestCapture() { Calls.Add("capture"); return false; }
    public VideoView? Video() => null;
    public bool ToggleClip() { Calls.Add("clip"); return false; }
    public Task<byte[]?> VideoSnapshotAsync(CancellationToken ct) => Task.FromResult<byte[]?>(null);
    public IReadOnlyList<Gateway.Web.Logging.LogEntry> RecentLogs() => logs.Entries();
    public void RequestRestart() => Calls.Add("restart");
}
