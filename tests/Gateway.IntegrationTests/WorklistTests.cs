using System.Globalization;
using System.Text.Json;
using Gateway.Testing;
using Xunit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #17, the worklist: `gateway worklist` and the worklist part of `gateway run` against dcmtk's wlmscpfs and
/// Orthanc's worklist plugin serving the files make_worklist.py writes with pydicom (--scheduled: the box's steps
/// today and tomorrow, and steps of another day, room and modality it must not get). The box asks as ROOM7, DX,
/// today − 1 … today + 1.
/// </summary>
public sealed class WorklistTests
{
    private static readonly string Today = DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>A RIS on loopback: wlmscpfs (stoppable) or Orthanc, with the worklist files in <see cref="Files"/>.</summary>
    private sealed class Ris : IDisposable
    {
        private readonly TempDirectory _dir = new("mwl");
        private PeerProcess? _wlmscpfs;
        private readonly OrthancPeer? _orthanc;

        public Ris(bool orthanc = false)
        {
            Peers.RequirePydicom();
            Files = Directory.CreateDirectory(Path.Combine(_dir.Path, "WLSCP")).FullName;
            var made = ProcessRunner.Run(Peers.DebianPython, [Path.Combine(AppContext.BaseDirectory, "Scripts", "make_worklist.py"), Files, "--scheduled", Today]);
            Assert.True(made.ExitCode == 0, made.All);
            if (orthanc)
            {
                _orthanc = new OrthancPeer(aeTitle: "WLSCP", worklists: Files, defaultEncoding: "Utf8");
                Port = _orthanc.DicomPort;
                return;
            }
            var wlmscpfs = Peers.Require("wlmscpfs", "dcmtk");
            File.WriteAllText(Path.Combine(Files, "lockfile"), "");
            Port = FreePort.Get();
            // -csk: answer in the character set of each worklist file, as a RIS does.
            _wlmscpfs = new PeerProcess(wlmscpfs, ["-csk", "-dfp", _dir.Path, Port.ToString(CultureInfo.InvariantCulture)]);
            FreePort.WaitUntilListening(Port, TimeSpan.FromSeconds(10));
        }

        public string Files { get; }
        public int Port { get; }

        /// <summary>The RIS goes away (its port refuses).</summary>
        public void Stop()
        {
            _wlmscpfs?.Dispose();
            _wlmscpfs = null;
        }

        public void Dispose()
        {
            _wlmscpfs?.Dispose();
            _orthanc?.Dispose();
            _dir.Dispose();
        }
    }

    private static string Section(int port, double refreshSeconds = 60, string tls = "") => $$"""
         "worklist": { "aeTitle": "WLSCP", "host": "127.0.0.1", "port": {{port.ToString(CultureInfo.InvariantCulture)}}, "refreshSeconds": {{refreshSeconds.ToString(CultureInfo.InvariantCulture)}}, {{tls}}
           "query": { "scheduledStationAeTitle": "ROOM7", "modality": "DX", "daysBefore": 1, "daysAfter": 1 } },
        """;

    /// <summary>A configuration for `gateway worklist` (the spool folder is where the kept list lives).</summary>
    private static string Config(TempDirectory dir, int port, string tls = "", string name = "gateway.json")
    {
        var path = dir.File(name);
        File.WriteAllText(path, $$"""
            { {{Section(port, tls: tls)}} "spool": { "path": "{{dir.File("spool")}}", "minFreeBytes": 0 }, "web": { "enabled": false } }
            """);
        return path;
    }

    private static Dictionary<string, JsonElement> ById(ProcessResult worklist) =>
        FindTests.Matches(worklist).ToDictionary(m => FindTests.Text(m, "00100020")!);

    private static string Name(JsonElement step) => step.GetProperty("00100010").GetProperty("Value")[0].GetRawText();

    private static List<string> Problems(JsonElement step) =>
        step.TryGetProperty("problems", out var p) ? [.. p.EnumerateArray().Select(e => e.GetString()!)] : [];

    private static void AssertTheBoxsSteps(Dictionary<string, JsonElement> byId, params string[] broken)
    {
        Assert.Equal(["WL-1", "WL-2", "WL-3", .. broken], byId.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("""{"Alphabetic":"Müller^Hélène"}""", Name(byId["WL-1"]));
        Assert.Equal("""{"Alphabetic":"Dvořák^Zoë"}""", Name(byId["WL-2"]));
        Assert.Equal("""{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}""", Name(byId["WL-3"]));
        foreach (var id in new[] { "WL-1", "WL-2", "WL-3" })
        {
            Assert.Empty(Problems(byId[id]));
            var step = byId[id].GetProperty("00400100").GetProperty("Value")[0];
            Assert.Equal($"SPS-{id}", FindTests.Text(step, "00400009"));
            Assert.Equal("DX", FindTests.Text(step, "00080060"));
            Assert.Equal("ROOM7", FindTests.Text(step, "00400001"));
            Assert.Equal($"ACC-{id[^1]}", FindTests.Text(byId[id], "00080050"));
            Assert.Equal($"RP-{id}", FindTests.Text(byId[id], "00401001"));
        }
        Assert.Equal(Today, FindTests.Text(byId["WL-1"].GetProperty("00400100").GetProperty("Value")[0], "00400002"));
        var wl8 = Assert.Single(Problems(byId["WL-8"]));
        Assert.StartsWith("StudyInstanceUID: \"1.2.826.0.1.3680043.10.99.x8\" is not a UID", wl8, StringComparison.Ordinal);
    }

    /// <summary>
    /// wlmscpfs holds seven steps; the box gets its four (not WL-4 of another day, WL-5 of ROOM9, WL-6 of US) — and
    /// not WL-7 either: wlmscpfs itself leaves out a file that lacks a type 1 key. WL-8's malformed UID is shown
    /// with its problem, in JSON and in the text a technician reads.
    /// </summary>
    [Fact]
    public void Against_wlmscpfs_exactly_the_boxs_steps_come_back_with_names_decoded_and_the_malformed_one_named()
    {
        using var ris = new Ris();
        using var dir = new TempDirectory("mwl-cli");
        var config = Config(dir, ris.Port);
        var json = GatewayExecutable.Run("worklist", "--config", config, "--json");
        Assert.True(json.ExitCode == 0, json.All);
        Assert.Contains("4 scheduled step(s), 1 with problems; fetched", json.StdErr, StringComparison.Ordinal);
        AssertTheBoxsSteps(ById(json), "WL-8");
        var text = GatewayExecutable.Run("worklist", "--config", config);
        Assert.True(text.ExitCode == 0, text.All);
        Assert.Contains("SPS-WL-3  accession ACC-3  WL-3  Yamada^Tarou=山田^太郎=やまだ^たろう", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("WL-8  Kaputt^Karl", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("    problem: StudyInstanceUID: \"1.2.826.0.1.3680043.10.99.x8\" is not a UID", text.StdOut, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("spool/worklist.json")), "gateway worklist only reads");
    }

    /// <summary>Orthanc serves WL-7 although it lacks Study Instance UID and the step's ID: it is shown, both named.</summary>
    [Fact]
    public void Against_Orthanc_a_step_missing_required_keys_is_shown_with_each_named()
    {
        using var ris = new Ris(orthanc: true);
        using var dir = new TempDirectory("mwl-cli");
        var json = GatewayExecutable.Run("worklist", "--config", Config(dir, ris.Port), "--json");
        Assert.True(json.ExitCode == 0, json.All);
        var byId = ById(json);
        AssertTheBoxsSteps(byId, "WL-7", "WL-8");
        var problems = Problems(byId["WL-7"]);
        Assert.Contains(problems, p => p.StartsWith("StudyInstanceUID: missing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("ScheduledProcedureStepSequence.ScheduledProcedureStepID: missing", StringComparison.Ordinal));
        Assert.Equal(2, problems.Count);
        Assert.Equal("""{"Alphabetic":"Ohne^Schluessel"}""", Name(byId["WL-7"]));
    }

    /// <summary>
    /// `gateway run` fetches the list into the spool folder (0600) and fetches it again every refreshSeconds (a step
    /// the RIS removed leaves the file); with the RIS stopped, the run says so (7002) and `gateway worklist` prints
    /// the kept list, marked stale, exit 0.
    /// </summary>
    [Fact]
    public void Gateway_run_keeps_the_list_fresh_and_with_the_RIS_stopped_the_kept_list_is_printed_stale()
    {
        using var ris = new Ris();
        using var dir = new TempDirectory("mwl-run");
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), "", Section(ris.Port, refreshSeconds: 5));
        gateway.Start();
        try
        {
            var cache = Path.Combine(gateway.SpoolPath, "worklist.json");
            WaitFor(() => KeptSteps(cache) == 4, gateway, "the list of 4 steps in " + cache);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));
            // Logged on the console logger's thread, read from the pipe later than the file is seen: waited for.
            gateway.WaitForOutput("[7001]", TimeSpan.FromSeconds(30));

            File.Delete(Path.Combine(ris.Files, "utf8.wl")); // the RIS no longer schedules WL-2
            WaitFor(() => KeptSteps(cache) == 3, gateway, "the refreshed list of 3 steps");

            ris.Stop();
            gateway.WaitForOutput("[7002]", TimeSpan.FromSeconds(60));
            var stale = GatewayExecutable.Run("worklist", "--config", Path.Combine(dir.Path, "gateway.json"), "--json");
            Assert.True(stale.ExitCode == 0, stale.All);
            Assert.Matches(@"3 scheduled step\(s\), 1 with problems; STALE since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d .* connection refused", stale.StdErr);
            Assert.Equal(["WL-1", "WL-3", "WL-8"], ById(stale).Keys.Order(StringComparer.Ordinal));
            Assert.Equal("""{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}""", Name(ById(stale)["WL-3"]));
            var text = GatewayExecutable.Run("worklist", "--config", Path.Combine(dir.Path, "gateway.json"));
            Assert.Equal(0, text.ExitCode);
            Assert.Contains("STALE since", text.StdOut, StringComparison.Ordinal);
            foreach (var name in new[] { "Müller", "Hélène", "Yamada", "山田", "Kaputt", "WL-1" })
                Assert.DoesNotContain(name, gateway.Output, StringComparison.Ordinal); // never in the log
            Assert.Null(gateway.ExitCode); // ridden out, no restart
        }
        finally
        {
            gateway.Terminate();
        }
        Assert.Equal(0, gateway.ExitCode);
    }

    /// <summary>The `worklist` section is applied live: added to a running gateway, the list is fetched without a restart.</summary>
    [Fact]
    public void A_worklist_section_added_to_the_running_gateway_is_applied_live()
    {
        using var ris = new Ris();
        using var dir = new TempDirectory("mwl-reload");
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), "");
        gateway.Start();
        try
        {
            var cache = Path.Combine(gateway.SpoolPath, "worklist.json");
            Assert.False(File.Exists(cache));
            gateway.Rewrite("", Section(ris.Port));
            gateway.WaitForOutput("worklist applied without restart", TimeSpan.FromSeconds(30)); // 3007
            WaitFor(() => KeptSteps(cache) == 4, gateway, "the list of 4 steps after the reload");
            Assert.Null(gateway.ExitCode);
        }
        finally
        {
            gateway.Terminate();
        }
    }

    /// <summary>
    /// The RIS behind TLS (OpenSSL, through socat: TLS 1.2+, a client certificate of the hospital's CA required): with
    /// the CA and the box's certificate the same four steps come back; trusting another CA, or without a client
    /// certificate, there is no list and the handshake's problem is named.
    /// </summary>
    [Fact]
    public void Over_TLS_with_a_client_certificate_the_same_steps_come_back_and_a_wrong_CA_or_no_certificate_is_named()
    {
        using var ris = new Ris();
        using var pki = new TestCertificates();
        using var front = new SocatFront(ris.Port, pki);
        using var dir = new TempDirectory("mwl-tls");
        var good = Config(dir, front.Port, $$"""
            "tls": { "caFile": "{{pki.CaFile}}", "certificateFile": "{{pki.ClientCert}}", "keyFile": "{{pki.ClientKey}}" },
            """);
        var json = GatewayExecutable.Run("worklist", "--config", good, "--json");
        Assert.True(json.ExitCode == 0, json.All + front.Output);
        AssertTheBoxsSteps(ById(json), "WL-8");

        var otherCa = Config(dir, front.Port, $$"""
            "tls": { "caFile": "{{pki.OtherCaFile}}", "certificateFile": "{{pki.ClientCert}}", "keyFile": "{{pki.ClientKey}}" },
            """, "other-ca.json");
        var refused = GatewayExecutable.Run("worklist", "--config", otherCa, "--json");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("certificate", refused.StdErr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", refused.StdOut);

        var noCertificate = Config(dir, front.Port, $$"""
            "tls": { "caFile": "{{pki.CaFile}}" },
            """, "no-cert.json");
        var anonymous = GatewayExecutable.Run("worklist", "--config", noCertificate, "--json");
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Contains("gateway worklist: no list:", anonymous.StdErr, StringComparison.Ordinal);
        Assert.Equal("", anonymous.StdOut);
    }

    [Fact]
    public void Without_the_RIS_and_without_a_kept_list_there_is_no_list_exit_1()
    {
        using var dir = new TempDirectory("mwl-none");
        var none = GatewayExecutable.Run("worklist", "--config", Config(dir, FreePort.Get()));
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("gateway worklist: no list:", none.StdErr, StringComparison.Ordinal);
        Assert.Contains("no worklist was fetched yet", none.StdErr, StringComparison.Ordinal);
        Assert.Equal("", none.StdOut);
    }

    [Fact]
    public void Usage_help_and_a_configuration_without_worklist()
    {
        var help = GatewayExecutable.Run("worklist", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith("usage: gateway worklist [--config FILE] [--json]", help.StdOut, StringComparison.Ordinal);
        var extra = GatewayExecutable.Run("worklist", "now");
        Assert.Equal(2, extra.ExitCode);
        using var dir = new TempDirectory("mwl-usage");
        File.WriteAllText(dir.File("gateway.json"), $$"""{ "spool": { "path": "{{dir.File("spool")}}" }, "web": { "enabled": false } }""");
        var off = GatewayExecutable.Run("worklist", "--config", dir.File("gateway.json"));
        Assert.Equal(2, off.ExitCode);
        Assert.Contains("has no worklist section", off.StdErr, StringComparison.Ordinal);
        File.WriteAllText(dir.File("bad.json"), """{ "worklist": { "aeTitle": "", "host": "ris", "port": 0, "query": {} } }""");
        var bad = GatewayExecutable.Run("worklist", "--config", dir.File("bad.json"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("worklist.aeTitle:", bad.StdErr, StringComparison.Ordinal);
        Assert.Contains("worklist.port: 0 is not a port", bad.StdErr, StringComparison.Ordinal);
        Assert.Contains("worklist.query: give scheduledStationAeTitle and/or modality", bad.StdErr, StringComparison.Ordinal);
    }

    /// <summary>The number of steps in the kept file, read as JSON (null while there is none).</summary>
    private static int? KeptSteps(string cache)
    {
        if (!File.Exists(cache))
            return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(cache));
        return doc.RootElement.GetProperty("items").GetArrayLength();
    }

    /// <summary>Waits for the refresh loop (every 5 s) to have done its work; a minute is a dozen refreshes.</summary>
    private static void WaitFor(Func<bool> done, GatewayProcess gateway, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no {what} within a minute: {gateway.Output}");
            Thread.Sleep(100);
        }
    }
}
