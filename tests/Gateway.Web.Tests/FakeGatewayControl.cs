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

    public HealthMessage Health() => new() { BoxId = Config.Box.Id, Version = "test", Destinations = [.. Config.Destinations.Select(d => new DestinationHealth(d.Name, 0, null, 0, null, 0))] };
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

    /// <summary>As the service: refused while an exam is in progress; else the typed patient is the next exam ("manual").</summary>
    public string? SetExam(DicomDataset exam)
    {
        lock (_gate)
        {
            if (Current.State == "in progress")
                return InProgress;
            ExamSet = exam;
            Current = new ExamView("manual", null, exam.TryGetString(DicomTags.PatientName), exam.TryGetString(DicomTags.PatientID),
                exam.TryGetString(DicomTags.AccessionNumber), null, "selected", 0, null, Mpps is null ? null : "not started: waits for the first image");
            Calls.Add("exam");
            return null;
        }
    }

    // Issue #17, as the service's contract (IGatewayControl, ExamViews.cs) says it behaves.
    private readonly Lock _gate = new();
    private const string InProgress = "an exam is in progress: end or cancel it first.";

    /// <summary>The list the service holds (tests set it: rows, staleness, "not configured").</summary>
    public WorklistView List { get; set; } = new(false, [], null, null);

    /// <summary>What the next "ask the RIS again" gives; null: the RIS does not answer, the list stays and turns stale.</summary>
    public WorklistView? NextAnswer { get; set; }

    /// <summary>What the service says about MPPS (null: no MPPS SCP configured).</summary>
    public string? Mpps { get; set; } = "sent: IN PROGRESS";

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
            if (Current.State == "in progress")
                return InProgress;
            if (List.Rows.FirstOrDefault(r => r.Key == key) is not { } row)
                return "that step is no longer on the worklist: ask the RIS again.";
            if (row.Problems.Count > 0)
                return $"the RIS sent this step with problems ({string.Join("; ", row.Problems)}).";
            Current = new ExamView("worklist", row.Key, row.PatientName, row.PatientId, row.AccessionNumber, row.RequestedProcedure ?? row.StepDescription,
                "selected", 0, null, Mpps is null ? null : "not started: waits for the first image");
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
                return "no image was acquired for this exam: cancel it instead.";
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
                return "that is not a reason this box offers.";
            if (Current.Source == "none")
                return "no exam is chosen.";
            Current = NoExam;
            return null;
        }
    }

    /// <summary>Some of PS3.16 CID 9300 (scheme DCM).</summary>
    public IReadOnlyList<DiscontinuationReason> DiscontinuationReasons { get; } =
    [
        new("110513", "Discontinued for unspecified reason"),
        new("110514", "Incorrect worklist entry selected"),
        new("110501", "Equipment failure"),
        new("110505", "Patient refused to continue procedure"),
        new("110515", "Patient condition prevented continuing"),
    ];

    public bool RequestCapture() { Calls.Add("capture"); return false; }
    public IReadOnlyList<Gateway.Web.Logging.LogEntry> RecentLogs() => logs.Entries();
    public void RequestRestart() => Calls.Add("restart");
}
