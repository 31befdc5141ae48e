using System.Globalization;
using Gateway.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #8 acceptance in a real browser: headless Chromium (Debian's chromium + chromium-driver, through Selenium)
/// commissions a fresh `gateway run` — setup code, password, login, a destination pointing at a storescp started
/// here, "Test connection", the detector profile on a serial port, a frame from the simulator appearing in the spool
/// and as a thumbnail, logout. A screenshot of each page goes to artifacts/screenshots.
/// </summary>
public sealed class WebCommissioningTests(ITestOutputHelper output)
{
    private const string Password = "Radiology-Room-7!";

    [Fact]
    public void A_technician_commissions_a_fresh_box_in_Chromium()
    {
        var chromium = Peers.Require("/usr/bin/chromium", "chromium");
        var chromedriver = Peers.Require("/usr/bin/chromedriver", "chromium-driver");
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
        var shots = Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName;

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(chromedriver)!, Path.GetFileName(chromedriver));
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = chromium, AcceptInsecureCertificates = true };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=1280,1000");
        using var browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
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
            Shot("01-setup");
            Fill("code", code);
            Fill("password", Password);
            Fill("confirm", Password);
            browser.FindElement(By.Id("set-password")).Click();
            wait.Until(b => b.FindElements(By.Id("setup-done")).Count > 0);

            // 2. Log in.
            browser.Navigate().GoToUrl(site + "/login");
            Fill("password", Password);
            Shot("02-login");
            browser.FindElement(By.Id("login")).Click();
            wait.Until(b => b.FindElements(By.Id("device-link")).Count > 0);
            Shot("03-status-fresh");

            // 3. A destination pointing at the storescp, then "Test connection".
            browser.Navigate().GoToUrl(site + "/destinations");
            Fill("dest-name", "pacs1");
            Fill("dest-ae", "PACS1");
            Fill("dest-host", "127.0.0.1");
            Fill("dest-port", pacs.Port.ToString(CultureInfo.InvariantCulture));
            Fill("dest-calling", "ROOM7");
            browser.FindElement(By.Id("save-destination")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Saved pacs1", StringComparison.Ordinal));
            browser.FindElement(By.XPath("//tr[td[text()='pacs1']]//button[text()='Test connection']")).Click();
            var echo = wait.Until(b => b.FindElement(By.Id("message"))).Text;
            Assert.Contains("success", echo, StringComparison.Ordinal);
            Shot("04-destinations-tested");

            // 4. The detector profile on the serial port.
            browser.Navigate().GoToUrl(site + "/device");
            browser.FindElement(By.CssSelector("#profile option[value='fpd-1417-usb']")).Click();
            browser.FindElement(By.CssSelector($"#port option[value='{port}']")).Click();
            browser.FindElement(By.Id("save-device")).Click();
            wait.Until(b => b.FindElement(By.Id("message")).Text.Contains("Acquiring from fpd-1417-usb", StringComparison.Ordinal));
            Shot("05-device");

            // 5. The detector sends a frame: it appears in the spool and on the status page.
            var simulate = GatewayExecutable.Run("simulate", "--profile", Path.Combine(profiles, "fpd-1417-usb.json"), "--device", cable.DeviceEnd, "--frames", "2");
            Assert.True(simulate.ExitCode == 0, simulate.All + gateway.Output);
            new WebDriverWait(browser, TimeSpan.FromSeconds(30)) { PollingInterval = TimeSpan.FromSeconds(1) }.Until(b =>
            {
                b.Navigate().GoToUrl(site + "/spool");
                return b.FindElements(By.CssSelector("#spool tbody tr")).Count >= 2;
            });
            Assert.Contains("pacs1", browser.FindElement(By.Id("spool")).Text, StringComparison.Ordinal);
            Shot("06-spool");
            browser.Navigate().GoToUrl(site + "/");
            wait.Until(b => b.FindElement(By.Id("thumbnail")).Displayed
                && (long)((IJavaScriptExecutor)b).ExecuteScript("return document.getElementById('thumbnail').naturalWidth;")! > 0);
            Assert.Equal("connected", browser.FindElement(By.Id("device-link")).Text);
            Shot("07-status-with-image");

            foreach (var (page, name) in new[] { ("/exam", "08-exam"), ("/mqtt", "09-mqtt"), ("/system", "10-system") })
            {
                browser.Navigate().GoToUrl(site + page);
                Shot(name);
            }

            // 6. Log out: the pages are closed again.
            browser.FindElement(By.Id("logout")).Click();
            wait.Until(b => b.Url.Contains("/login", StringComparison.Ordinal));
            browser.Navigate().GoToUrl(site + "/destinations");
            wait.Until(b => b.Url.Contains("/login", StringComparison.Ordinal));
            Shot("11-logged-out");
        }
        catch
        {
            Shot("failure");
            output.WriteLine(gateway.Output);
            throw;
        }
        Assert.NotEmpty(pacs.ReceivedFiles);
        Assert.DoesNotContain(Password, gateway.Output, StringComparison.Ordinal);
    }
}
