using System.Globalization;
using Gateway.Configuration;
using Gateway.Dicom;
using Gateway.Host.Service;
using Gateway.Testing;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Tests;

/// <summary>
/// The real service (<see cref="GatewayService"/> on <see cref="GatewayHost"/>, every part) in this process, with a
/// watch-folder DX device, dcmtk's storescp as the PACS and the given worklist and MPPS SCPs: the test drives it as the
/// page does, through its <see cref="Gateway.Web.IGatewayControl"/> members.
/// </summary>
internal sealed class ScheduledWorkflowRig : IAsyncDisposable
{
    private CancellationTokenSource _stop = new();
    private readonly ILoggerFactory _loggers;
    private Task<int>? _running;
    private int _images;

    /// <param name="endExamLine">A GPIO line (on <see cref="Gpio"/>) that the profile declares as its end-exam input.</param>
    /// <param name="tls">A `"tls": { … },` member for both the worklist and the MPPS section.</param>
    public ScheduledWorkflowRig(string name, int? worklistPort, int? mppsPort, string extra = "", int examIdleSeconds = 0, int? endExamLine = null, string tls = "")
    {
        _endExamLine = endExamLine;
        var gpio = endExamLine is { } line
            ? "\"gpio\": { \"chip\": 0, \"inputs\": [ { \"name\": \"exam-done\", \"line\": " + line.ToString(CultureInfo.InvariantCulture) + ", \"debounceMs\": 5, \"action\": \"end-exam\" } ] },"
            : "";
        Dir = new TempDirectory(name);
        Pacs = new DcmtkStoreScp("PACS");
        Import = Directory.CreateDirectory(Dir.File("import")).FullName;
        var profile = Dir.File("profile.json");
        File.WriteAllText(profile, $$"""
            { "schema": 1, "name": "swf-dx", "description": "a DX console exporting PGM files",
              "watchFolder": { "path": "{{Import}}", "stableMs": 100, "pollMs": 50 }, {{gpio}}
              "output": { "iod": "dx", "grouping": "object-per-frame", "examIdleSeconds": {{examIdleSeconds.ToString(CultureInfo.InvariantCulture)}},
                "attributes": { "Manufacturer": "Test", "ImagerPixelSpacing": [0.2, 0.2], "PatientOrientation": ["L", "F"] } } }
            """);
        var worklist = worklistPort is { } w ? $$"""
             "worklist": { "aeTitle": "WLSCP", "host": "127.0.0.1", "port": {{w.ToString(CultureInfo.InvariantCulture)}}, "refreshSeconds": 60, {{tls}}
               "query": { "scheduledStationAeTitle": "ROOM7", "modality": "DX", "daysBefore": 1, "daysAfter": 1 } },
            """ : "";
        var mpps = mppsPort is { } m ? $$"""
             "mpps": { "aeTitle": "RIS", "host": "127.0.0.1", "port": {{m.ToString(CultureInfo.InvariantCulture)}}, "callingAeTitle": "ROOM7", {{tls}} "retryMinSeconds": 1, "retryMaxSeconds": 2, "timeoutSeconds": 5 },
            """ : "";
        ConfigPath = Dir.File("gateway.json");
        File.WriteAllText(ConfigPath, $$"""
            { "box": { "id": "swf-box" }, "web": { "enabled": false }, {{worklist}} {{mpps}} {{extra}}
              "spool": { "path": "{{Dir.File("spool")}}", "minFreeBytes": 0 },
              "device": { "profile": "{{profile}}", "gpio": {{(endExamLine is null ? "false" : "true")}} },
              "destinations": [ { "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": {{Pacs.Port.ToString(CultureInfo.InvariantCulture)}}, "retryMinSeconds": 0.5, "retryMaxSeconds": 1 } ] }
            """);
        Log = new ListLogger();
        _loggers = LoggerFactory.Create(b => b.AddProvider(new Provider(Log)));
    }

    private readonly int? _endExamLine;

    /// <summary>The box's GPIO lines (a fake driver at the device's seam) when an end-exam line was asked for.</summary>
    public FakeGpioDriver Gpio { get; } = new();

    public TempDirectory Dir { get; }
    public DcmtkStoreScp Pacs { get; }
    public string Import { get; }
    public string ConfigPath { get; }
    public ListLogger Log { get; }
    public GatewayService Service { get; private set; } = null!;

    /// <summary>What the page calls.</summary>
    public Gateway.Web.IGatewayControl Control => Service;

    public string SpoolPath => Dir.File("spool");

    public void Start()
    {
        Service = new GatewayService(ConfigPath, ConfigValidator.Load(ConfigPath), _loggers, TextWriter.Null,
            _endExamLine is null ? null : new Gateway.Acquisition.Sessions.DeviceSeams { Gpio = Gpio });
        _running = GatewayHost.RunAsync(Service, _loggers, _stop.Token, ownSignals: false);
        WaitUntil(() => Service.Device is not null || _running.IsCompleted, TimeSpan.FromSeconds(30), "the service to start");
        if (_running.IsCompleted)
            throw new InvalidOperationException($"the service stopped at start ({_running.Result}):\n{string.Join('\n', Log.Lines)}");
    }

    /// <summary>A 16-bit PGM the console exports (written aside and renamed into the folder, as a console should).</summary>
    public void Expose()
    {
        var n = Interlocked.Increment(ref _images);
        var pixels = Enumerable.Range(0, 64 * 48).SelectMany(i => new[] { (byte)((i + n) % 4096 >> 8), (byte)(i + n) }).ToArray();
        var pgm = System.Text.Encoding.ASCII.GetBytes("P5\n64 48\n4095\n").Concat(pixels).ToArray();
        var tmp = Path.Combine(Import, $".x{n}.tmp");
        File.WriteAllBytes(tmp, pgm);
        File.Move(tmp, Path.Combine(Import, $"exposure-{n:D3}.pgm"));
    }

    /// <summary>The objects the PACS stored, by SOP Instance UID, once every one was delivered.</summary>
    public Dictionary<string, DicomDataset> Stored()
    {
        // storescp creates a file before it has written it and answers once it has: an empty spool (every object
        // answered) says the files the test counted are whole.
        WaitUntil(() => !Directory.Exists(Path.Combine(SpoolPath, "state")) || Directory.GetFiles(Path.Combine(SpoolPath, "state")).Length == 0,
            TimeSpan.FromSeconds(60), "every object delivered to the PACS");
        return Pacs.ReceivedFiles.Select(f => DicomFile.Open(f).Dataset).ToDictionary(d => d.GetString(DicomTags.SOPInstanceUID), StringComparer.Ordinal);
    }

    public void WaitUntil(Func<bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {timeout} for {what}\n{string.Join('\n', Log.Lines.TakeLast(40))}");
            Thread.Sleep(50);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
            await _running;
        _running = null;
        Service.Dispose();
        _stop.Dispose();
        _stop = new CancellationTokenSource();
    }

    public async ValueTask DisposeAsync()
    {
        if (_running is not null)
            await StopAsync();
        _stop.Dispose();
        _loggers.Dispose();
        Pacs.Dispose();
        Dir.Dispose();
    }

    private sealed class Provider(ListLogger log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => log;
        public void Dispose() { }
    }
}
