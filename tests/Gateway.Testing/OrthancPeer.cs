using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Testing;

/// <summary>
/// Orthanc (Debian package) with a configuration written by the test: DICOM and HTTP ports on loopback, remote access
/// off, storage in a temporary folder. Its REST API tells what it stored. With <c>worklists</c> it also loads the
/// Debian package's sample worklist plugin, which answers Modality Worklist C-FIND from the <c>.wl</c> files in that
/// folder (read at each query), re-encoded into <c>defaultEncoding</c> (Orthanc's DefaultEncoding: "the encoding …
/// used when answering C-FIND requests (including worklists)", /etc/orthanc/orthanc.json).
/// </summary>
public sealed class OrthancPeer : IDisposable
{
    /// <summary>The worklist plugin as the Debian package ships it (`dpkg -L orthanc`).</summary>
    public const string WorklistPlugin = "/usr/share/orthanc/plugins/libModalityWorklists.so";

    private PeerProcess _process;
    private readonly string _exe;
    private readonly string _configPath;
    private readonly TempDirectory _dir = new("orthanc");
    private readonly HttpClient _http;

    /// <param name="modalities">Peers Orthanc knows by name: AE title and port on 127.0.0.1 (where it sends storage commitment reports).</param>
    /// <param name="settings">More configuration options, e.g. AcceptedTransferSyntaxes (a PACS that takes only some).</param>
    public OrthancPeer(string aeTitle = "ORTHANC", bool checkCalledAe = true, int? dicomPort = null, string? worklists = null, string defaultEncoding = "Latin1",
        IReadOnlyDictionary<string, (string AeTitle, int Port)>? modalities = null, string? lua = null, IReadOnlyDictionary<string, object>? settings = null)
    {
        _exe = Peers.Require("Orthanc", "orthanc");
        DicomPort = dicomPort ?? FreePort.Get();
        HttpPort = FreePort.Get();
        AeTitle = aeTitle;
        var config = new Dictionary<string, object>
        {
            ["Name"] = "gateway-test",
            ["StorageDirectory"] = Path.Combine(_dir.Path, "db"),
            ["IndexDirectory"] = Path.Combine(_dir.Path, "db"),
            ["HttpPort"] = HttpPort,
            ["DicomPort"] = DicomPort,
            ["DicomAet"] = aeTitle,
            ["DicomCheckCalledAet"] = checkCalledAe,
            ["RemoteAccessAllowed"] = false,
            ["AuthenticationEnabled"] = false,
            ["HttpServerEnabled"] = true,
            ["Plugins"] = Array.Empty<string>(),
            ["StorageCompression"] = false,
            ["UnknownSopClassAccepted"] = false,
            // `gateway find` tests query it as a modality it does not know (a C-FIND SCU is read only).
            ["DicomAlwaysAllowFind"] = true,
            ["DefaultEncoding"] = defaultEncoding,
        };
        if (lua is not null)
        {
            var script = Path.Combine(_dir.Path, "script.lua");
            System.IO.File.WriteAllText(script, lua);
            config["LuaScripts"] = new[] { script };
        }
        if (modalities is not null)
            config["DicomModalities"] = modalities.ToDictionary(m => m.Key, m => (object)new object[] { m.Value.AeTitle, "127.0.0.1", m.Value.Port });
        if (worklists is not null)
        {
            if (!System.IO.File.Exists(WorklistPlugin))
                throw new PeerMissingException($"Orthanc's worklist plugin {WorklistPlugin} is missing: install Debian package 'orthanc' (scripts/test.sh does)");
            config["Plugins"] = new[] { WorklistPlugin };
            config["Worklists"] = new Dictionary<string, object> { ["Enable"] = true, ["Database"] = worklists };
            config["DicomAlwaysAllowFindWorklist"] = true; // as DicomAlwaysAllowFind: the gateway is not in DicomModalities
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, object>())
            config[key] = value;
        _configPath = Path.Combine(_dir.Path, "orthanc.json");
        System.IO.File.WriteAllText(_configPath, JsonSerializer.Serialize(config));
        _process = new PeerProcess(_exe, [_configPath]);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        WaitReady();
    }

    public int DicomPort { get; }
    public int HttpPort { get; }
    public string AeTitle { get; }
    public string Output => _process.Output;

    private void WaitReady()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException("Orthanc exited at start: " + Output);
            try
            {
                if (_http.GetAsync("system").GetAwaiter().GetResult().IsSuccessStatusCode)
                {
                    FreePort.WaitUntilListening(DicomPort, TimeSpan.FromSeconds(10));
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            Thread.Sleep(100);
        }
        throw new TimeoutException("Orthanc did not start: " + Output);
    }

    /// <summary>The PACS goes down (SIGKILL, as a crash would); what it stored stays in its folder.</summary>
    public void Down() => _process.Kill();

    /// <summary>The PACS comes back on the same ports with what it had stored.</summary>
    public void Up()
    {
        _process.Dispose();
        _process = new PeerProcess(_exe, [_configPath]);
        WaitReady();
    }

    /// <summary>Orthanc's IDs of the instances it stored.</summary>
    public IReadOnlyList<string> Instances() =>
        _http.GetFromJsonAsync<List<string>>("instances").GetAwaiter().GetResult() ?? [];

    /// <summary>
    /// SOP Instance UID → Orthanc instance ID. Orthanc's instance ID hashes patient, study, series and SOP Instance UID,
    /// so one SOP Instance UID under two patients or studies is two instances: that is refused here, never hidden.
    /// </summary>
    public Dictionary<string, string> InstancesBySopInstanceUid()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in Instances())
        {
            var tags = _http.GetFromJsonAsync<JsonElement>($"instances/{id}/simplified-tags").GetAwaiter().GetResult();
            var sop = tags.GetProperty("SOPInstanceUID").GetString()!;
            if (!result.TryAdd(sop, id))
                throw new InvalidOperationException($"SOP Instance UID {sop} is stored twice in Orthanc (instances {result[sop]} and {id}: another patient, study or series)");
        }
        return result;
    }

    /// <summary>The stored file as Orthanc keeps it.</summary>
    public byte[] File(string instanceId) => _http.GetByteArrayAsync($"instances/{instanceId}/file").GetAwaiter().GetResult();

    /// <summary>Stores a Part 10 file through the REST API (POST /instances); returns Orthanc's instance ID.</summary>
    public string Upload(byte[] part10)
    {
        using var content = new ByteArrayContent(part10);
        using var response = _http.PostAsync("instances", content).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Orthanc refused the upload ({(int)response.StatusCode}): {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("ID").GetString()!;
    }

    /// <summary>Orthanc's rendering of the instance's first frame (GET /instances/{id}/preview), a PNG.</summary>
    public byte[] Preview(string instanceId) => _http.GetByteArrayAsync($"instances/{instanceId}/preview").GetAwaiter().GetResult();

    public JsonElement SimplifiedTags(string instanceId) =>
        _http.GetFromJsonAsync<JsonElement>($"instances/{instanceId}/simplified-tags").GetAwaiter().GetResult();

    public string Statistics() => _http.GetStringAsync("statistics").GetAwaiter().GetResult();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Orthanc {AeTitle} DICOM {DicomPort} HTTP {HttpPort}");

    public void Dispose()
    {
        _http.Dispose();
        _process.Dispose();
        _dir.Dispose();
    }
}
