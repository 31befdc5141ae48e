using System.Diagnostics;
using System.Globalization;
using Gateway.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Gateway.Benchmarks;

/// <summary>
/// Issue #17: a 500-entry Modality Worklist. dcmtk's wlmscpfs serves 500 steps (pydicom wrote them); `gateway run`
/// fetches them; the query is timed from the command line (`gateway worklist`) beside dcmtk's `findscu`, and the page
/// in headless Chromium: time to first contentful paint of /worklist (the first of its pages of 50) and of a search,
/// and the service's memory before and after.
/// </summary>
public static class WorklistBenchmarks
{
    private const string Password = "Radiology-Room-7!";

    private static long Kb(int pid, string key) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    public static IReadOnlyList<string> Run(int count = 500)
    {
        using var dir = new TempDirectory("bench-worklist");
        var files = Directory.CreateDirectory(Path.Combine(dir.Path, "mwl", "WLSCP")).FullName;
        var made = ProcessRunner.Run(Peers.DebianPython, [Path.Combine(AppContext.BaseDirectory, "Scripts", "make_worklist.py"), files, "--many", count.ToString(CultureInfo.InvariantCulture)]);
        if (made.ExitCode != 0)
            throw new InvalidOperationException("make_worklist.py: " + made.All);
        File.WriteAllText(Path.Combine(files, "lockfile"), "");
        var wlPort = FreePort.Get();
        using var wlmscpfs = new PeerProcess(Peers.Require("wlmscpfs", "dcmtk"), ["-dfp", Path.Combine(dir.Path, "mwl"), wlPort.ToString(CultureInfo.InvariantCulture)]);
        FreePort.WaitUntilListening(wlPort, TimeSpan.FromSeconds(10));

        var webPort = FreePort.Get();
        var config = dir.File("gateway.json");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $$"""
            { "box": { "id": "bench" },
              "spool": { "path": "{{dir.File("spool")}}", "minFreeBytes": 0 },
              "destinations": [],
              "worklist": { "aeTitle": "WLSCP", "host": "127.0.0.1", "port": {{wlPort}}, "refreshSeconds": 3600,
                            "query": { "scheduledStationAeTitle": "ROOM7", "daysBefore": 1, "daysAfter": 2 } },
              "web": { "port": {{webPort}}, "httpRedirectPort": 0, "bind": "127.0.0.1", "bindBeforeSetup": "127.0.0.1", "stateDirectory": "{{dir.File("web")}}" } }
            """));
        var rows = new List<string>();

        // The query alone: ours (the same query the service makes, and its parsing) beside findscu's.
        var ours = Median(5, () => Time(GatewayExecutable.Path, ["worklist", "--config", config]));
        var findscu = Peers.Require("findscu", "dcmtk");
        var theirs = Median(5, () => Time(findscu, ["-W", "-aec", "WLSCP", "-k", "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=ROOM7",
            "-k", "PatientName", "-k", "PatientID", "-k", "AccessionNumber", "-k", "StudyInstanceUID", "127.0.0.1", wlPort.ToString(CultureInfo.InvariantCulture)]));
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| query {count} steps from wlmscpfs, whole process | `gateway worklist` {ours * 1000:F0} ms | `findscu -W` {theirs * 1000:F0} ms |"));

        using var gateway = new PeerProcess(GatewayExecutable.Path, ["run", "--config", config]);
        gateway.WaitForOutput("running", TimeSpan.FromSeconds(60));
        var kept = Path.Combine(dir.File("spool"), "worklist.json");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(kept) && DateTime.UtcNow < deadline)
            Thread.Sleep(100);
        Thread.Sleep(2000);
        var before = Kb(gateway.Id, "VmRSS:");
        var code = File.ReadAllText(Path.Combine(dir.File("web"), "setup-code")).Trim();

        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Peers.Require("/usr/bin/chromium", "chromium"), AcceptInsecureCertificates = true };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=390,844");
        using var browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
        var site = $"https://127.0.0.1:{webPort}";
        void Fill(string id, string text)
        {
            var e = browser.FindElement(By.Id(id));
            e.Clear();
            e.SendKeys(text);
        }
        browser.Navigate().GoToUrl(site + "/");
        wait.Until(b => b.Url.EndsWith("/setup", StringComparison.Ordinal));
        Fill("code", code);
        Fill("password", Password);
        Fill("confirm", Password);
        browser.FindElement(By.Id("set-password")).Click();
        wait.Until(b => b.FindElements(By.Id("setup-done")).Count > 0);
        browser.Navigate().GoToUrl(site + "/login");
        Fill("password", Password);
        browser.FindElement(By.Id("login")).Click();
        wait.Until(b => b.FindElements(By.Id("device-link")).Count > 0);

        double Paint(string path)
        {
            browser.Navigate().GoToUrl(site + path);
            // First contentful paint where headless Chromium reports it, else the load event (both from navigation start).
            return Convert.ToDouble(((IJavaScriptExecutor)browser).ExecuteScript(
                "const p = performance.getEntriesByName('first-contentful-paint')[0]; const n = performance.getEntriesByType('navigation')[0];"
                + " return p ? p.startTime : n.loadEventEnd;"), CultureInfo.InvariantCulture);
        }
        Paint("/worklist"); // the first visit builds the page's Razor views: measured apart below
        var list = Median(7, () => Paint("/worklist") / 1000);
        var html = ((IJavaScriptExecutor)browser).ExecuteScript("return document.documentElement.outerHTML;") as string ?? "";
        var search = Median(7, () => Paint("/worklist?q=many%5E0421") / 1000);
        var after = Kb(gateway.Id, "VmRSS:");
        var peak = Kb(gateway.Id, "VmHWM:");
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| /worklist with {count} steps (first page of 50), Chromium 390 × 844, first contentful paint (or load event) | {list * 1000:F0} ms | |"));
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| search by name (one match) | {search * 1000:F0} ms | |"));
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| service RSS with the {count}-step list, before the page / after the page's visits (peak) | {before / 1024} MB / {after / 1024} MB ({peak / 1024} MB) | |"));
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| page size (first page of 50 steps) | {html.Length / 1024} KB of HTML | |"));
        return rows;
    }

    private static double Time(string exe, IReadOnlyList<string> args)
    {
        var sw = Stopwatch.StartNew();
        var r = ProcessRunner.Run(exe, args, TimeSpan.FromMinutes(2));
        sw.Stop();
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{exe} failed ({r.ExitCode}): {r.All[..Math.Min(2000, r.All.Length)]}");
        return sw.Elapsed.TotalSeconds;
    }

    private static double Median(int n, Func<double> measure) =>
        Enumerable.Range(0, n).Select(_ => measure()).Order().ElementAt(n / 2);
}
