using System.Globalization;
using Gateway.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issues #8 and #14, acceptance in a real browser: headless Chromium (Debian's chromium + chromium-driver, through
/// Selenium) commissions a fresh `gateway run` on a phone's screen (390 × 844) — setup code, password, login, a
/// destination pointing at a storescp started here, "Test connection", the detector profile on a serial port, the
/// next exam, a frame from the simulator appearing in the spool and as a thumbnail, logout. Every page on the way is
/// checked at 390 × 844 and at 1366 × 768 (<see cref="WebBrowserChecks"/>: no horizontal overflow, no console or CSP
/// error, labels bound, 44 px tap targets, axe-core without serious or critical violations) and photographed into
/// artifacts/screenshots.
/// </summary>
public sealed class WebCommissioningTests(ITestOutputHelper output)
{
    private const string Password = "Radiology-Room-7!";

    [Fact]
    public void A_technician_commissions_a_fresh_box_in_Chromium_on_a_phone_and_every_page_fits_and_passes_axe()
    {
        using var dir = new TempDirectory("commission");
        using var pacs = new DcmtkStoreScp("PACS1");
        // The serial port as a udev rule would name it (the device page offers /dev/gateway-*).
        var port = $"/dev/gateway-sim-{Guid.NewGuid().ToString("N")[..8]}";
        using var cable = new SocatPair(dir.Path, port);
        var profiles = Directory.CreateDirectory(dir.File("profiles")).FullName;
        File.Copy(Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json"), Path.Combine(profiles, "fpd-1417-usb.json"));
        var webPort = FreePort.Get();
        var config = dir.File("gateway.json");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            { "box": { "id": "room-7" },
              "spool": { "path": "{{dir.File("spool")}}", "minFreeBytes": 0, "keepDeliveredDays": 1 },
              "destinations": [],
              "web": { "port": {{webPort}}, "httpRedirectPort": 0, "bind": "127.0.0.1", "bindBeforeSetup": "127.0.0.1",
                       "stateDirectory": "{{dir.File("web")}}", "profilesDirectory": "{{profiles}}" } }
            """));
        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(30));
        var code = File.ReadAllText(Path.Combine(dir.File("web"), "setup-code")).Trim(); // what root reads on the box
        var shots = WebBrowser.Screenshots;

        using var browser = WebBrowser.Start();
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
        // A page that reloads under a lookup (the answer to a form) leaves stale elements: look again.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        // A wait may catch the old page's element just before the form's answer replaces it: look again. Chromium's
        // driver sometimes reports that same race as "Node with given id does not belong to the document" (an unknown
        // error, seen once in four runs at the exam step); a wait that keeps failing still times out with it.
        wait.IgnoreExceptionTypes(typeof(UnknownErrorException));
        var checks = new WebBrowserChecks(browser, shots, output);
        var site = $"https://127.0.0.1:{webPort}";
        void Shot(string name) => ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(Path.Combine(shots, name + ".png"));
        void Fill(string id, string text)
        {
            var e = browser.FindElement(By.Id(id));
            e.Clear();
            e.SendKeys(text);
        }

        try
        {
            // 1. First start: only "set the admin password" is offered.
            browser.Navigate().GoToUrl(site + "/");
            wait.Until(b => b.Url.EndsWith("/setup", StringComparison.Ordinal));
            checks.Check("01-setup");
            Fill("code", code);
            Fill("password", Password);
            Fill("confirm", Password);
            browser.FindElement(By.Id("set-password")).Click();
            wait.Until(b => b.FindElements(By.Id("setup-done")).Count > 0);
            checks.Check("02-setup-done");

            // 2. Log in.
            browser.Navigate().GoToUrl(site + "/login");
            Fill("password", Password);
            checks.Check("03-login");
            browser.FindElement(By.Id("login")).Click();
            wait.Until(b => b.FindElements(By.Id("device-link")).Count > 0);
            checks.Check("04-status-fresh");

            // 3. A destination pointing at the storescp, then "Test connection" from its card.
            browser.Navigate().GoToUrl(site + "/destinations");
            checks.Check("05-destinations-empty");
            Fill("dest-name", "pacs1");
            Fill("dest-ae", "PACS1");
            Fill("dest-host", "127.0.0.1");
            Fill("dest-port", pacs.Port.ToString(CultureInfo.InvariantCulture));
            Fill("dest-calling", "ROOM7");
            browser.FindElement(By.Id("save-destination")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Saved pacs1", StringComparison.Ordinal));
            browser.FindElement(By.XPath("//tr[td[text()='pacs1']]//button[text()='Test connection']")).Click();
            // The answer replaces the "Saved" message: wait for the new one (the old element goes stale with its page).
            var echo = wait.Until(b => b.FindElement(By.Id("message")).Text is var t && !t.Contains("Saved pacs1", StringComparison.Ordinal) ? t : null);
            Assert.Contains("success", echo, StringComparison.Ordinal);
            checks.Check("06-destinations-tested");
            // Remove asks first; "Keep it" keeps it.
            browser.FindElement(By.XPath("//tr[td[text()='pacs1']]//button[starts-with(text(), 'Remove')]")).Click();
            wait.Until(b => b.FindElements(By.Id("confirm-remove")).Count > 0);
            checks.Check("07-destinations-confirm-remove");
            browser.FindElement(By.Id("confirm-remove-no")).Click();
            wait.Until(b => b.FindElements(By.XPath("//tr[td[text()='pacs1']]")).Count == 1 && b.FindElements(By.Id("confirm-remove")).Count == 0);

            // 4. The detector profile on the serial port.
            browser.Navigate().GoToUrl(site + "/device");
            browser.FindElement(By.CssSelector("#profile option[value='fpd-1417-usb']")).Click();
            browser.FindElement(By.CssSelector($"#port option[value='{port}']")).Click();
            browser.FindElement(By.Id("save-device")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Acquiring from fpd-1417-usb", StringComparison.Ordinal));
            checks.Check("08-device");

            // 5. The next exam: a wrong value is named beside its field, then a right one is taken.
            browser.Navigate().GoToUrl(site + "/exam");
            Fill("PatientName", "DOE^Jane");
            Fill("PatientID", "P-1");
            Fill("AccessionNumber", "ACC-THAT-IS-FAR-TOO-LONG");
            ((IJavaScriptExecutor)browser).ExecuteScript("document.getElementById('PatientBirthDate').value = '1970-01-01';");
            browser.FindElement(By.CssSelector("#PatientSex option[value='F']")).Click();
            browser.FindElement(By.Id("save-exam")).Click();
            wait.Until(b => b.FindElement(By.Id("error-AccessionNumber")).Text.Contains("at most 16 characters", StringComparison.Ordinal));
            Assert.Equal("DOE^Jane", browser.FindElement(By.Id("PatientName")).GetDomProperty("value"));
            checks.Check("09-exam-error");
            Fill("AccessionNumber", "ACC1");
            browser.FindElement(By.Id("save-exam")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("The next acquisitions will carry", StringComparison.Ordinal));
            Assert.Equal("1970-01-01", browser.FindElement(By.Id("PatientBirthDate")).GetDomProperty("value"));
            checks.Check("10-exam");

            // 6. The detector sends a frame: it appears in the spool and on the status page.
            var simulate = GatewayExecutable.Run("simulate", "--profile", Path.Combine(profiles, "fpd-1417-usb.json"), "--device", cable.DeviceEnd, "--frames", "2");
            Assert.True(simulate.ExitCode == 0, simulate.All + gateway.Output);
            new WebDriverWait(browser, TimeSpan.FromSeconds(30)) { PollingInterval = TimeSpan.FromSeconds(1) }.Until(b =>
            {
                b.Navigate().GoToUrl(site + "/spool");
                return b.FindElements(By.CssSelector("#spool tbody tr")).Count >= 2;
            });
            Assert.Contains("pacs1", browser.FindElement(By.Id("spool")).Text, StringComparison.Ordinal);
            checks.Check("11-spool");
            browser.Navigate().GoToUrl(site + "/");
            wait.Until(b => b.FindElement(By.Id("thumbnail")).Displayed
                && (long)((IJavaScriptExecutor)b).ExecuteScript("return document.getElementById('thumbnail').naturalWidth;")! > 0);
            Assert.Equal("connected", browser.FindElement(By.Id("device-link")).Text);
            checks.Check("12-status-with-image");

            foreach (var (page, name) in new[] { ("/mqtt", "13-mqtt"), ("/system", "14-system"), ("/system?log=all", "15-system-all-logs") })
            {
                browser.Navigate().GoToUrl(site + page);
                checks.Check(name);
            }

            // A backup too large for the page is named as such the moment it is chosen, and the form does not go.
            var big = dir.File("too-big.json");
            File.WriteAllBytes(big, new byte[3 << 20]);
            browser.FindElement(By.Id("config")).SendKeys(big);
            wait.Until(b => b.FindElement(By.Id("error-config")).Text.Contains("too large", StringComparison.Ordinal));
            browser.FindElement(By.Id("upload-config")).Click();
            Assert.Equal("true", browser.FindElement(By.Id("config")).GetDomAttribute("aria-invalid"));
            Assert.Empty(browser.FindElements(By.Id("restore-changes")));
            checks.Check("16-system-file-too-large");

            // A nearly empty backup: the page lists what it would remove and changes nothing; cancel.
            var small = dir.File("nearly-empty.json");
            File.WriteAllText(small, """{ "box": { "id": "x" } }""");
            browser.Navigate().GoToUrl(site + "/system");
            browser.FindElement(By.Id("config")).SendKeys(small);
            browser.FindElement(By.Id("upload-config")).Click();
            var changes = wait.Until(b => b.FindElement(By.Id("restore-changes"))).Text;
            Assert.Contains("destination pacs1: configured → removed", changes, StringComparison.Ordinal);
            checks.Check("17-system-restore-changes");
            browser.FindElement(By.Id("cancel-restore")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Restore cancelled", StringComparison.Ordinal));
            Assert.Contains("pacs1", File.ReadAllText(config), StringComparison.Ordinal);

            // 7. Log out: the pages are closed again.
            browser.FindElement(By.Id("logout")).Click();
            wait.Until(b => b.Url.Contains("/login", StringComparison.Ordinal));
            browser.Navigate().GoToUrl(site + "/destinations");
            wait.Until(b => b.Url.Contains("/login", StringComparison.Ordinal));
            checks.Check("18-logged-out");
        }
        catch
        {
            Shot("failure");
            output.WriteLine(gateway.Output);
            throw;
        }
        finally
        {
            foreach (var line in checks.AxeSummary)
                output.WriteLine(line);
            output.WriteLine($"widest page: {string.Join(", ", checks.Widest.Select(w => $"{w.Key} {w.Value} px"))}");
        }
        // The spool page shows the entries (kept a day once delivered), not that pacs1 has them: waited for.
        var delivered = DateTime.UtcNow.AddSeconds(60);
        while (pacs.ReceivedFiles.Count == 0 && DateTime.UtcNow < delivered)
            Thread.Sleep(200);
        Assert.NotEmpty(pacs.ReceivedFiles);
        Assert.DoesNotContain(Password, gateway.Output, StringComparison.Ordinal);
        // Issue #14: no warning per page view (antiforgery's Cache-Control override), in the journal either.
        Assert.DoesNotContain("Antiforgery", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("DOE^Jane", gateway.Output, StringComparison.Ordinal);
    }
}
