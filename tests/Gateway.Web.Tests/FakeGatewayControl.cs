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
    public string? SetExam(DicomDataset exam) { ExamSet = exam; Calls.Add("exam"); return null; }

    // Issue #17: the worklist page's helper fills these in.
    public WorklistView Worklist() => new(false, [], null, null);
    public Task<WorklistView> RefreshWorklistAsync(CancellationToken ct) => Task.FromResult(Worklist());
    public ExamView CurrentExam() => new("none", null, null, null, null, null, "selected", 0, null, null);
    public string? SelectStep(string key) => "not in this fake yet";
    public string? EndExam() => "not in this fake yet";
    public string? CancelExam(string reasonCode) => "not in this fake yet";
    public IReadOnlyList<DiscontinuationReason> DiscontinuationReasons => [];
    public bool RequestCapture() { Calls.Add("capture"); return false; }
    public IReadOnlyList<Gateway.Web.Logging.LogEntry> RecentLogs() => logs.Entries();
    public void RequestRestart() => Calls.Add("restart");
}
