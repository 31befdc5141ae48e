using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// The security review of issue #14's page against the real `gateway run` over HTTPS — the page's own tests use a fake
/// control, which hid these: the real service applies a restored exam at once, and really connects to the broker a
/// test or a restore names. Also: outside values (a calling AE title) quoted in the service's log.
/// </summary>
public sealed partial class WebSecurityReviewTests(ITestOutputHelper output)
{
    private const string Password = "Radiology-Room-7!";
    private const string Secret = "broker-secret-771";

    [Fact]
    public async Task A_restore_on_the_real_service_keeps_the_next_patient_and_never_sends_the_MQTT_password_to_another_broker()
    {
        using var dir = new TempDirectory("web-review");
        using var broker = new MosquittoPeer("box7", Secret);
        using var elsewhere = new RecordingListener();
        var webPort = FreePort.Get();
        var config = dir.File("gateway.json");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            { "box": { "id": "room-7" },
              "spool": { "path": "{{dir.File("spool")}}", "minFreeBytes": 0 },
              "destinations": [],
              "mqtt": { "host": "127.0.0.1", "port": {{broker.Port}}, "username": "box7", "password": "{{Secret}}" },
              "exam": { "PatientID": "START-1", "PatientName": "START^Patient" },
              "web": { "port": {{webPort}}, "httpRedirectPort": 0, "bind": "127.0.0.1", "bindBeforeSetup": "127.0.0.1",
                       "stateDirectory": "{{dir.File("web")}}" } }
            """));
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(30));
        using var page = new Browserless($"https://127.0.0.1:{webPort}");
        try
        {
            var code = File.ReadAllText(Path.Combine(dir.File("web"), "setup-code")).Trim();
            Assert.Contains("The password is set", await page.SubmitAsync("/setup", new() { ["code"] = code, ["password"] = Password, ["confirm"] = Password }), StringComparison.Ordinal);
            Assert.Contains("<h1>Status</h1>", await page.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = Password }), StringComparison.Ordinal);

            // The technician sets the next patient on the page.
            await page.SubmitAsync("/exam", new() { ["PatientName"] = "DOE^Jane", ["PatientID"] = "P-1", ["PatientSex"] = "F", ["AccessionNumber"] = "ACC1", ["PatientBirthDate"] = "1970-01-01" });
            Assert.Contains("value=\"DOE^Jane\"", await page.GetStringAsync("/exam"), StringComparison.Ordinal);

            // 1. The backup holds no patient, and restoring a file that names another one changes nobody.
            var backup = await page.GetRawAsync("/system/config.json");
            Assert.DoesNotContain("START^Patient", backup, StringComparison.Ordinal);
            Assert.DoesNotContain("DOE^Jane", backup, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, backup, StringComparison.Ordinal);
            var withPatient = Edit(backup, o =>
            {
                o["exam"] = JsonNode.Parse("""{ "PatientID": "OTHER-9", "PatientName": "OTHER^Patient" }""");
                o["mqtt"]!["healthIntervalSeconds"] = 60;
            });
            var offered = await page.UploadAsync("/system", "Upload", "config", withPatient);
            Assert.Contains("Restore this configuration?", offered, StringComparison.Ordinal);
            Assert.DoesNotContain("OTHER", offered, StringComparison.Ordinal);
            var restored = await page.SubmitAsync("/system", new() { ["id"] = RestoreId(offered), ["removals"] = "yes" }, "Restore");
            Assert.Contains("Restored.", restored, StringComparison.Ordinal);
            Assert.Contains("\"healthIntervalSeconds\": 60", File.ReadAllText(config), StringComparison.Ordinal);
            var exam = await page.GetStringAsync("/exam");
            Assert.Contains("value=\"DOE^Jane\"", exam, StringComparison.Ordinal);
            Assert.DoesNotContain("OTHER", exam, StringComparison.Ordinal);
            Assert.DoesNotContain("OTHER^Patient", File.ReadAllText(config), StringComparison.Ordinal);

            // 2. Test connection with the field empty: the stored password goes to its own broker only.
            var same = await page.SubmitAsync("/mqtt", new() { ["host"] = "127.0.0.1", ["port"] = broker.Port.ToString(CultureInfo.InvariantCulture), ["username"] = "box7" }, "Test");
            Assert.Contains("message ok", same, StringComparison.Ordinal);
            var other = await page.SubmitAsync("/mqtt", new() { ["host"] = "127.0.0.1", ["port"] = elsewhere.Port.ToString(CultureInfo.InvariantCulture), ["username"] = "box7" }, "Test");
            Assert.Contains("Type the password again", WebUtility.HtmlDecode(other), StringComparison.Ordinal);
            // Logged on the console logger's thread and read from the pipe after the page's answer: waited for.
            gateway.WaitForOutput("MQTT connection test to", TimeSpan.FromSeconds(30));

            // A restore that moves telemetry to another broker keeps no password: refused, nothing written or sent.
            var before = File.ReadAllText(config);
            var moved = await page.UploadAsync("/system", "Upload", "config", Edit(await page.GetRawAsync("/system/config.json"), o => o["mqtt"]!["port"] = elsewhere.Port));
            Assert.Contains("the password kept on the box is not used for it", WebUtility.HtmlDecode(moved), StringComparison.Ordinal);
            Assert.DoesNotContain("Restore this configuration?", moved, StringComparison.Ordinal);
            Assert.Equal(before, File.ReadAllText(config));
            // Everything above ran before its answer came: a connection it made would be here by now.
            Assert.Equal(0, elsewhere.Connections);
            Assert.DoesNotContain(Secret, elsewhere.Received, StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(gateway.Output);
            throw;
        }
        Assert.DoesNotContain(Secret, gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("DOE^Jane", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_calling_AE_title_with_a_line_break_cannot_forge_a_line_in_the_service_log()
    {
        var echoscu = Peers.Require("/usr/bin/echoscu", "dcmtk");
        using var dir = new TempDirectory("web-review-ae");
        var scpPort = FreePort.Get();
        var config = dir.File("gateway.json");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            { "box": { "id": "room-7" },
              "spool": { "path": "{{dir.File("spool")}}", "minFreeBytes": 0 },
              "destinations": [],
              "localScp": { "aeTitle": "GATEWAY", "port": {{scpPort}}, "bind": "127.0.0.1", "allowedCallingAeTitles": ["MODALITY1"] },
              "web": { "enabled": false, "stateDirectory": "{{dir.File("web")}}" } }
            """));
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(30));
        ProcessRunner.Run(echoscu, ["-aet", "X\n12:00 forged", "-aec", "GATEWAY", "127.0.0.1", scpPort.ToString(CultureInfo.InvariantCulture)]);
        gateway.WaitForOutput("rejected", TimeSpan.FromSeconds(10));
        var lines = gateway.Output.Split('\n');
        Assert.DoesNotContain(lines, l => l.StartsWith("12:00 forged", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Association from \"X\\n12:00 forged\" to \"GATEWAY\"", StringComparison.Ordinal));
    }

    private static string Edit(string json, Action<JsonObject> change)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        change(o);
        return o.ToJsonString();
    }

    private static string RestoreId(string page) => RestoreIdPattern().Match(page) is { Success: true } m ? m.Groups[1].Value : "none";

    [GeneratedRegex("<input type=\"hidden\" name=\"id\" value=\"([0-9a-f]{32})\">")]
    private static partial Regex RestoreIdPattern();

    /// <summary>Accepts connections and keeps what they send: a broker nobody should be talking to.</summary>
    private sealed class RecordingListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly StringBuilder _received = new();
        private int _connections;

        public RecordingListener()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Connections => Volatile.Read(ref _connections);

        public string Received
        {
            get
            {
                lock (_received)
                    return _received.ToString();
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _connections);
                    var buffer = new byte[4096];
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    try
                    {
                        var n = await client.GetStream().ReadAsync(buffer, cts.Token);
                        lock (_received)
                            _received.Append(Encoding.Latin1.GetString(buffer, 0, n));
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }
            catch (ObjectDisposedException)
            {
            }
            catch (SocketException)
            {
            }
        }

        public void Dispose() => _listener.Stop();
    }

    /// <summary>Cookies, forms with their antiforgery token, uploads; the page's self-signed certificate accepted (the test made the box).</summary>
    private sealed partial class Browserless : IDisposable
    {
        private readonly HttpClient _http;

        public Browserless(string baseUrl)
        {
            _http = new HttpClient(new HttpClientHandler
            {
                CookieContainer = new CookieContainer(),
                AllowAutoRedirect = false,
                ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            })
            { BaseAddress = new Uri(baseUrl) };
        }

        [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
        private static partial Regex TokenPattern();

        /// <summary>A page as its text (HTML entities decoded).</summary>
        public async Task<string> GetStringAsync(string path) => WebUtility.HtmlDecode(await GetRawAsync(path));

        public async Task<string> GetRawAsync(string path)
        {
            using var r = await _http.GetAsync(path);
            return await r.Content.ReadAsStringAsync();
        }

        public async Task<string> SubmitAsync(string path, Dictionary<string, string> fields, string? handler = null)
        {
            var form = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = await TokenAsync(path) };
            using var content = new FormUrlEncodedContent(form);
            using var r = await _http.PostAsync(handler is null ? path : $"{path}?handler={handler}", content);
            if (r.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found)
                return await GetStringAsync(r.Headers.Location!.ToString());
            return WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());
        }

        public async Task<string> UploadAsync(string path, string handler, string field, string text)
        {
            using var content = new MultipartFormDataContent
            {
                { new StringContent(await TokenAsync(path)), "__RequestVerificationToken" },
                { new ByteArrayContent(Encoding.UTF8.GetBytes(text)), field, "gateway.json" },
            };
            using var r = await _http.PostAsync($"{path}?handler={handler}", content);
            return WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());
        }

        private async Task<string> TokenAsync(string path) =>
            WebUtility.HtmlDecode(TokenPattern().Match(await GetRawAsync(path)).Groups[1].Value);

        public void Dispose() => _http.Dispose();
    }
}
