using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Gateway.Testing;
using Gateway.Web.Tests;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #21's fleet page with real processes on loopback: a real mosquitto, a real `gateway run` box and simulated
/// boxes published with mosquitto_pub (one with dead letters, one with hostile text in its version, destination and
/// an event), the real `gateway fleet --listen-page`, and headless Chromium at a phone's 390 × 844 and a laptop's
/// 1366 × 768 (<see cref="WebBrowserChecks"/>: no overflow, 44 px targets, axe-core clean). What an operator sees:
/// setup with the printed code, login, every box with alarms first, sorting and filtering, a box's page with its
/// events shown as text, a SIGKILLed box going offline with its alarm on the page that refreshes itself, and its
/// restart clearing it; and no patient data on any page.
/// </summary>
public sealed partial class FleetPageTests(ITestOutputHelper output)
{
    private const string Password = "Fleet-Operator-7!";

    [GeneratedRegex("setup code ([A-Z0-9]{10})")]
    private static partial Regex SetupCode();

    [GeneratedRegex("fleet page https://[^ ]+ \\(certificate SHA-256 ([0-9A-F:]+)\\)")]
    private static partial Regex Fingerprint();

    private static string Mqtt(MosquittoPeer broker) => string.Create(CultureInfo.InvariantCulture,
        $$"""
        "mqtt": { "host": "127.0.0.1", "port": {{broker.Port}}, "healthIntervalSeconds": 1 },
        """);

    private static void Publish(MosquittoPeer broker, string topic, string payload, bool retain = true)
    {
        var pub = Peers.Require("mosquitto_pub", "mosquitto-clients");
        List<string> args = ["-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", topic, "-m", payload];
        if (retain)
            args.Add("-r");
        var r = ProcessRunner.Run(pub, args);
        Assert.True(r.ExitCode == 0, r.All);
    }

    private static void Simulated(MosquittoPeer broker, string box, string version = "sim", string destination = "pacs", int deadLetters = 0)
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        Publish(broker, $"gateway/{box}/status", $$"""{"schema":1,"boxId":"{{box}}","state":"online","time":"{{now}}"}""");
        Publish(broker, $"gateway/{box}/health", $$"""
            {"schema":1,"boxId":"{{box}}","time":"{{now}}","version":{{System.Text.Json.JsonSerializer.Serialize(version)}},"uptimeSeconds":120,
             "spool":{"entries":0,"bytes":0},"destinations":[{"name":{{System.Text.Json.JsonSerializer.Serialize(destination)}},"pending":0,"oldestSeconds":null,"deadLetters":{{deadLetters}},"lastSuccess":null,"failures":0}],
             "diskFreeBytes":20000000000,"memoryBytes":1,"cpuTemperatureC":41.5}
            """);
    }

    private sealed record Fleet(PeerProcess Process, string Site, string Code, string Fingerprint) : IDisposable
    {
        public void Dispose() => Process.Dispose();
    }

    private static Fleet StartFleet(TempDirectory dir, MosquittoPeer broker)
    {
        var config = dir.File("fleet.json");
        // The simulated boxes publish once: a long interval keeps them from falling silent during the test; the killed
        // real box goes offline through the broker's will, not through silence.
        File.WriteAllText(config, """{ "healthIntervalSeconds": 600, "alarms": { "offlineMinutes": 0.05 } }""");
        var page = FreePort.Get();
        var fleet = new PeerProcess(DeployedBuild.Front,
            ["fleet", "--broker", $"127.0.0.1:{broker.Port}", "--listen", $"127.0.0.1:{FreePort.Get()}", "--config", config,
             "--listen-page", $"127.0.0.1:{page}", "--state", dir.File("fleet-state")]);
        fleet.WaitForOutput("fleet page https://", TimeSpan.FromSeconds(30));
        var code = SetupCode().Match(fleet.Output);
        Assert.True(code.Success, fleet.Output);
        Assert.Equal(code.Groups[1].Value, File.ReadAllText(Path.Combine(dir.File("fleet-state"), "setup-code")).Trim());
        return new Fleet(fleet, $"https://127.0.0.1:{page}", code.Groups[1].Value, Fingerprint().Match(fleet.Output).Groups[1].Value);
    }

    [Fact]
    public async Task Login_is_required_wrong_passwords_lock_out_and_a_post_without_its_token_is_refused()
    {
        using var dir = new TempDirectory("fleetpage-security");
        using var broker = new MosquittoPeer();
        Simulated(broker, "sim-1");
        using var fleet = StartFleet(dir, broker);
        using var client = new PageClient(fleet.Site, fleet.Fingerprint);
        using (var r = await client.GetAsync("/"))
            Assert.Equal("/setup", r.Headers.Location!.ToString());
        var done = await client.SubmitAsync("/setup", new() { ["code"] = fleet.Code, ["password"] = Password, ["confirm"] = Password });
        Assert.Contains("The password is set", done, StringComparison.Ordinal);
        using (var r = await client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            Assert.Contains("/login", r.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        using (var r = await client.PostAsync("/login", new() { ["user"] = "admin", ["password"] = Password }, withToken: false))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var list = await client.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = Password });
        Assert.Contains("data-box=\"sim-1\"", list, StringComparison.Ordinal);
        using (var r = await client.PostAsync("/logout", new(), withToken: false))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);

        using var attacker = new PageClient(fleet.Site, fleet.Fingerprint);
        for (var i = 0; i < 10; i++)
            Assert.Contains("Wrong user or password.", await attacker.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = $"guess {i}" }), StringComparison.Ordinal);
        var locked = await attacker.SubmitAsync("/login", new() { ["user"] = "admin", ["password"] = Password });
        Assert.Contains("Locked out after too many wrong passwords", locked, StringComparison.Ordinal);
        Assert.DoesNotContain("data-box", locked, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, fleet.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void In_Chromium_every_box_shows_alarms_first_sorts_filters_escapes_and_a_killed_box_goes_offline_and_back()
    {
        using var dir = new TempDirectory("fleetpage");
        using var broker = new MosquittoPeer();
        using var pacs = new DcmtkStoreScp();
        Directory.CreateDirectory(dir.File("a"));
        using var boxA = new GatewayProcess(dir.File("a"), FreePort.Get(),
            string.Create(CultureInfo.InvariantCulture, $$"""{ "name": "pacs", "aeTitle": "STORESCP", "host": "127.0.0.1", "port": {{pacs.Port}}, "retryMinSeconds": 1 }"""),
            Mqtt(broker), boxId: "ward-a");
        boxA.Start();
        Simulated(broker, "sim-1", version: "2.0");
        Simulated(broker, "sim-2", version: "1.0", deadLetters: 2);
        Simulated(broker, "sim-3", version: "<script>alert(1)</script>", destination: "<img src=x onerror=alert(2)>");
        using var fleet = StartFleet(dir, broker);
        // An event with markup in it, after the view subscribed (events are not retained).
        var hostile = "<script>alert(3)</script> & <b>bold</b>";
        fleet.Process.WaitForOutput("fleet view subscribed", TimeSpan.FromSeconds(30));
        Publish(broker, "gateway/sim-3/events", string.Create(CultureInfo.InvariantCulture,
            $$"""{"schema":1,"boxId":"sim-3","time":"{{DateTimeOffset.UtcNow:O}}","kind":"retrying","detail":{{System.Text.Json.JsonSerializer.Serialize(hostile)}},"destination":"pacs"}"""), retain: false);

        // Patient data flows through the real box: CT_small carries a patient name and id.
        var send = GatewayExecutable.Run("send", Path.Combine(Peers.PydicomData, "test_files", "CT_small.dcm"), "--to", $"127.0.0.1:{boxA.ScpPort}", "--called", "GATEWAY");
        Assert.True(send.ExitCode == 0, send.All);

        var shots = WebBrowser.Screenshots;
        using var browser = WebBrowser.Start();
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(UnknownErrorException));
        var checks = new WebBrowserChecks(browser, shots, output);
        void Fill(string id, string text)
        {
            var e = browser.FindElement(By.Id(id));
            e.Clear();
            e.SendKeys(text);
        }
        // A choice in a list, as a click on its option (no Selenium.Support needed).
        void Choose(string id, string value) => browser.FindElement(By.CssSelector($"#{id} option[value='{value}']")).Click();
        List<string> Rows() => [.. browser.FindElements(By.CssSelector("#boxes tbody tr")).Select(r => r.GetAttribute("data-box") ?? "")];
        string Cell(string box, string label) =>
            browser.FindElement(By.CssSelector($"#boxes tr[data-box='{box}'] td[data-label='{label}']")).Text;
        var phi = new[] { "CompressedSamples", "CT1", "1CT1" };

        try
        {
            browser.Navigate().GoToUrl(fleet.Site + "/box/ward-a");
            wait.Until(b => b.Url.EndsWith("/setup", StringComparison.Ordinal));
            checks.Check("fleet-01-setup");
            Fill("code", fleet.Code);
            Fill("password", Password);
            Fill("confirm", Password);
            browser.FindElement(By.Id("set-password")).Click();
            wait.Until(b => b.FindElements(By.Id("setup-done")).Count > 0);

            browser.Navigate().GoToUrl(fleet.Site + "/");
            wait.Until(b => b.Url.Contains("/login", StringComparison.Ordinal));
            Fill("password", Password);
            checks.Check("fleet-02-login");
            browser.FindElement(By.Id("login")).Click();
            wait.Until(b => b.FindElements(By.Id("summary")).Count > 0);

            // Every box, alarms first (sim-2's dead letters), the rest by id; the page refreshes itself.
            var slow = new WebDriverWait(browser, TimeSpan.FromSeconds(60));
            slow.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(UnknownErrorException), typeof(NoSuchElementException));
            // The list and a box's page reload themselves every 5 s (location.replace): a check of several seconds (axe's
            // script cut off by the unload) or a form filled in several steps (a choice lost) could straddle a reload,
            // and an element read just before it goes stale. Paused with the page's own button wherever the test does not
            // wait for the page to change by itself; a navigation (a form sent, a link) starts the updates again.
            var pausing = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
            pausing.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(UnknownErrorException), typeof(NoSuchElementException),
                typeof(ElementNotInteractableException));
            void Pause() => pausing.Until(b =>
            {
                var button = b.FindElement(By.Id("refresh-pause"));
                if (button.Text != "Resume updates")
                    button.Click();
                return b.FindElement(By.Id("refresh-pause")).Text == "Resume updates";
            });
            slow.Until(_ => Rows().SequenceEqual(["sim-2", "sim-1", "sim-3", "ward-a"]) && Cell("ward-a", "Destinations").Contains("last success 20", StringComparison.Ordinal));
            Pause();
            Assert.Contains("dead-letters", Cell("sim-2", "Alarms"), StringComparison.Ordinal);
            Assert.Equal("online", Cell("ward-a", "State").Split('\n')[0]);
            Assert.Equal("<script>alert(1)</script>", Cell("sim-3", "Version"));
            Assert.Contains("<img src=x onerror=alert(2)>", Cell("sim-3", "Destinations"), StringComparison.Ordinal);
            checks.Check("fleet-03-list");

            // Sort by version, descending, with the form (no script needed): alarms stay first.
            Choose("sort", "version");
            Choose("dir", "desc");
            browser.FindElement(By.Id("apply")).Click();
            wait.Until(b => b.Url.Contains("sort=version", StringComparison.Ordinal));
            Pause();
            var version = Cell("ward-a", "Version");
            var expected = new[] { ("sim-1", "2.0"), ("sim-3", "<script>alert(1)</script>"), ("ward-a", version) }
                .OrderByDescending(x => x.Item2, StringComparer.Ordinal).Select(x => x.Item1);
            Assert.Equal(["sim-2", .. expected], Rows());
            // A column header sorts too (on a laptop: a phone shows cards without headers): the box column, then again for the other direction.
            checks.Use(WebBrowserChecks.Viewports[1]);
            browser.FindElement(By.CssSelector("#boxes thead th a")).Click();
            wait.Until(b => b.Url.Contains("sort=box&dir=asc", StringComparison.Ordinal));
            Pause();
            Assert.Equal(["sim-2", "sim-1", "sim-3", "ward-a"], Rows());
            browser.FindElement(By.CssSelector("#boxes thead th a")).Click();
            wait.Until(b => b.Url.Contains("sort=box&dir=desc", StringComparison.Ordinal));
            Pause();
            Assert.Equal(["sim-2", "ward-a", "sim-3", "sim-1"], Rows());
            checks.Use(WebBrowserChecks.Viewports[0]);
            // Filter: by text, and by state.
            Fill("q", "ward");
            browser.FindElement(By.Id("apply")).Click();
            wait.Until(b => b.Url.Contains("q=ward", StringComparison.Ordinal));
            Pause();
            Assert.Equal(["ward-a"], Rows());
            Fill("q", "");
            Choose("show", "alarms");
            browser.FindElement(By.Id("apply")).Click();
            wait.Until(b => b.Url.Contains("show=alarms", StringComparison.Ordinal));
            Pause();
            Assert.Equal(["sim-2"], Rows());

            // A box's page: its recent events, markup shown as text.
            browser.Navigate().GoToUrl(fleet.Site + "/");
            wait.Until(b => b.FindElements(By.CssSelector("#boxes tr[data-box='sim-3'] a.box")).Count > 0);
            browser.FindElement(By.CssSelector("#boxes tr[data-box='sim-3'] a.box")).Click();
            wait.Until(b => b.FindElements(By.Id("box-id")).Count > 0);
            slow.Until(b => b.FindElements(By.CssSelector("#events td.detail")).Count > 0);
            Pause();
            Assert.Equal(hostile, browser.FindElement(By.CssSelector("#events td.detail")).Text);
            Assert.Equal(0L, Convert.ToInt64(browser.ExecuteScript("return document.querySelectorAll('script:not([src]), img, b').length;"), CultureInfo.InvariantCulture));
            checks.Check("fleet-04-box");
            browser.Navigate().GoToUrl(fleet.Site + "/box/ward-a");
            slow.Until(b => b.FindElements(By.CssSelector("#events td")).Count > 0);
            var boxPage = browser.PageSource;
            browser.Navigate().GoToUrl(fleet.Site + "/");
            foreach (var text in phi)
            {
                Assert.DoesNotContain(text, boxPage, StringComparison.Ordinal);
                Assert.DoesNotContain(text, browser.PageSource, StringComparison.Ordinal);
            }

            // SIGKILL: the broker's will says offline, the alarm is raised, and the open page shows both by itself.
            slow.Until(_ => Rows().Contains("ward-a"));
            boxA.Kill();
            var offline = new WebDriverWait(browser, TimeSpan.FromSeconds(120));
            offline.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(UnknownErrorException), typeof(NoSuchElementException));
            offline.Until(_ => Cell("ward-a", "State").StartsWith("offline", StringComparison.Ordinal) && Cell("ward-a", "Alarms").Contains("offline", StringComparison.Ordinal));
            Pause();
            Assert.Equal(["sim-2", "ward-a"], Rows().Take(2)); // among the alarmed boxes, at the top
            checks.Check("fleet-05-offline");
            browser.FindElement(By.Id("refresh-pause")).Click(); // "Resume updates": reloads, and updates again by itself
            boxA.Start();
            offline.Until(_ => Cell("ward-a", "State").StartsWith("online", StringComparison.Ordinal) && Cell("ward-a", "Alarms") == "none");
            Pause();
            Assert.Equal(["sim-2", "sim-1", "sim-3", "ward-a"], Rows());
        }
        catch
        {
            ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(Path.Combine(shots, "fleet-failure.png"));
            output.WriteLine(fleet.Process.Output);
            throw;
        }
        output.WriteLine($"widest page: {string.Join(", ", checks.Widest.Select(w => $"{w.Key} {w.Value} px"))}");
        foreach (var line in checks.AxeSummary)
            output.WriteLine(line);
        foreach (var text in phi)
            Assert.DoesNotContain(text, fleet.Process.Output, StringComparison.Ordinal);
    }
}
