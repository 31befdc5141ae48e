using System.Globalization;
using Gateway.Dicom;
using Gateway.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;
using DicomJson = Gateway.Testing.DicomJson;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #17's whole walk, every part a process of its own: dcmtk's wlmscpfs as the RIS's worklist, `gateway run`
/// with its page, headless Chromium on a phone's screen picking the patient, `gateway simulate` playing the detector
/// over a socat cable, Orthanc as the PACS and dcmjs-dimse as the MPPS SCP. Three patients one after the other:
/// <list type="number">
/// <item>the plain walk: the images Orthanc stores carry the step (Study Instance UID, accession number, Request
/// Attributes), and the MPPS SCP gets N-CREATE IN PROGRESS, then N-SET COMPLETED listing exactly those instances;</item>
/// <item>the MPPS SCP down for 30 s across the exam: both messages arrive once it is back, N-CREATE first;</item>
/// <item>the gateway killed with SIGKILL after the images and before the end: started again, the technician ends the
/// exam on the page, and the N-SET still lists exactly what Orthanc stored.</item>
/// </list>
/// The checker at the end: every instance in Orthanc is under the patient picked for it, and the three N-SETs together
/// list each stored instance exactly once.
/// </summary>
public sealed class ScheduledWorkflowWalkTests(ITestOutputHelper output)
{
    private const string Password = "Radiology-Room-7!";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_technician_picks_three_patients_on_the_page_and_Orthanc_and_the_MPPS_SCP_agree_through_an_outage_and_a_SIGKILL()
    {
        var today = DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        using var dir = new TempDirectory("swf-walk");
        using var ris = new WlmscpfsPeer(today);
        using var pacs = new OrthancPeer("ORTHANC");
        var mppsPort = FreePort.Get();
        var mpps = DcmjsPeer.StartScp("RIS", port: mppsPort);
        var cable = new SocatPair(dir.Path);
        var profile = Path.Combine(Repository.Root, "hardware", "profiles", "fpd-1417-usb.json");
        var webPort = FreePort.Get();
        var extra = $$"""
              "web": { "port": {{webPort}}, "httpRedirectPort": 0, "bind": "127.0.0.1", "bindBeforeSetup": "127.0.0.1", "stateDirectory": "{{dir.File("web")}}" },
              "device": { "profile": "{{profile}}", "serialPort": "{{cable.GatewayEnd}}", "gpio": false },
              "worklist": { "aeTitle": "{{WlmscpfsPeer.AeTitle}}", "host": "127.0.0.1", "port": {{ris.Port}}, "callingAeTitle": "ROOM7", "refreshSeconds": 60,
                "query": { "scheduledStationAeTitle": "ROOM7", "modality": "DX", "daysBefore": 1, "daysAfter": 1 } },
              "mpps": { "aeTitle": "RIS", "host": "127.0.0.1", "port": {{mppsPort}}, "callingAeTitle": "ROOM7", "retryMinSeconds": 0.5, "retryMaxSeconds": 2, "timeoutSeconds": 5 },
            """;
        var destination = $$"""{ "name": "orthanc", "aeTitle": "ORTHANC", "host": "127.0.0.1", "port": {{pacs.DicomPort}}, "callingAeTitle": "ROOM7", "retryMinSeconds": 0.2, "retryMaxSeconds": 1 }""";
        using var gateway = new GatewayProcess(dir.Path, FreePort.Get(), destination, extra);
        gateway.Start();
        var code = File.ReadAllText(Path.Combine(dir.File("web"), "setup-code")).Trim();

        using var browser = WebBrowser.Start();
        var wait = new WebDriverWait(browser, Patience);
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(UnknownErrorException));
        var checks = new WebBrowserChecks(browser, WebBrowser.Screenshots, output);
        var site = $"https://127.0.0.1:{webPort}";
        void Fill(string id, string text)
        {
            var e = browser.FindElement(By.Id(id));
            e.Clear();
            e.SendKeys(text);
        }
        string Message(string? notThis = null) =>
            wait.Until(b => b.FindElements(By.Id("message")) is [var m, ..] && m.Text is { Length: > 0 } t && t != notThis ? t : null)!;
        void LogIn()
        {
            browser.Navigate().GoToUrl(site + "/login");
            Fill("password", Password);
            browser.FindElement(By.Id("login")).Click();
            wait.Until(b => b.FindElements(By.Id("device-link")).Count > 0);
        }
        // Picks the step whose accession number is given: a search on the worklist page, then its one tap.
        void Pick(string accession, string patientId)
        {
            browser.Navigate().GoToUrl(site + "/worklist");
            if (browser.Url.Contains("/login", StringComparison.Ordinal))
            {
                LogIn(); // the page's sessions end with the process
                browser.Navigate().GoToUrl(site + "/worklist");
            }
            wait.Until(b => b.FindElements(By.CssSelector("#worklist tbody tr")).Count > 0);
            Fill("q", accession);
            browser.FindElement(By.Id("search")).Click();
            wait.Until(b => b.FindElements(By.CssSelector("#worklist tbody tr")).Count == 1);
            browser.FindElement(By.Id("select-0")).Click();
            Assert.StartsWith("Selected: the next images go to", Message(), StringComparison.Ordinal);
            Assert.Contains($"patient ID {patientId}", browser.FindElement(By.Id("next-patient")).Text, StringComparison.Ordinal);
        }
        // Ends the exam on the status page with its two taps, once the page shows it in progress.
        void End(string expect)
        {
            new WebDriverWait(browser, Patience) { PollingInterval = TimeSpan.FromMilliseconds(500) }.Until(b =>
            {
                b.Navigate().GoToUrl(site + "/");
                if (b.Url.Contains("/login", StringComparison.Ordinal))
                    LogIn();
                return b.FindElements(By.Id("end-exam")).Count > 0;
            });
            browser.FindElement(By.Id("end-exam")).Click();
            wait.Until(b => b.FindElements(By.Id("confirm-end-yes")).FirstOrDefault())!.Click();
            Assert.StartsWith($"Exam ended for {expect}", Message(), StringComparison.Ordinal);
        }
        void Expose(int frames)
        {
            var simulate = GatewayExecutable.Run("simulate", "--profile", profile, "--device", cable.DeviceEnd, "--frames", frames.ToString(CultureInfo.InvariantCulture));
            Assert.True(simulate.ExitCode == 0, simulate.All + gateway.Output);
        }
        // Orthanc's instances of one patient, by SOP Instance UID, once there are `count` of them.
        Dictionary<string, DicomDataset> StoredFor(string patientId, int count)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                var found = pacs.InstancesBySopInstanceUid()
                    .Select(i => DicomFile.Read(new MemoryStream(pacs.File(i.Value))).Dataset)
                    .Where(d => d.GetString(DicomTags.PatientID) == patientId)
                    .ToDictionary(d => d.GetString(DicomTags.SOPInstanceUID)!, StringComparer.Ordinal);
                if (found.Count >= count)
                    return found;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"Orthanc holds {found.Count} of {count} images of {patientId}\n{gateway.AllOutput}");
                Thread.Sleep(250);
            }
        }
        List<string> Listed(DcmjsMessage set) =>
            [.. set.Items("00400340").SelectMany(s => DicomJson.Items(s, "00081140")).Select(i => DicomJson.Text(i, "00081155")!).Order(StringComparer.Ordinal)];
        // The MPPS SCP's N-CREATE and N-SET of the exam whose images carry `study`.
        (DcmjsMessage Create, DcmjsMessage Set) Mpps(DcmjsScp scp, string study)
        {
            var log = scp.WaitFor(l => l.Any(m => m.Event == "request" && m.Command == "N-SET"
                && l.Any(c => c.Event == "request" && c.Command == "N-CREATE" && c.SopInstance == m.SopInstance
                    && c.Items("00400270") is [var step] && DicomJson.Text(step, "0020000D") == study)), Patience);
            var create = log.First(c => c.Event == "request" && c.Command == "N-CREATE" && c.Items("00400270") is [var step] && DicomJson.Text(step, "0020000D") == study);
            var requests = log.Where(m => m.Event == "request" && m.SopInstance == create.SopInstance).ToList();
            Assert.Equal(["N-CREATE", "N-SET"], requests.Select(r => r.Command));
            Assert.All(requests, r => Assert.Equal(0, r.Status));
            Assert.Equal("IN PROGRESS", create.Text("00400252"));
            Assert.Equal("COMPLETED", requests[1].Text("00400252"));
            return (create, requests[1]);
        }
        void CheckImages(Dictionary<string, DicomDataset> stored, DcmjsMessage create, string patientId, string accession)
        {
            var step = Assert.Single(create.Items("00400270"));
            Assert.Equal(patientId, create.Text("00100020"));
            Assert.Equal(accession, DicomJson.Text(step, "00080050"));
            foreach (var ds in stored.Values)
            {
                Assert.Equal(DicomJson.Text(step, "0020000D"), ds.GetString(DicomTags.StudyInstanceUID));
                Assert.Equal(accession, ds.GetString(DicomTags.AccessionNumber));
                var request = Assert.Single(ds.GetSequence(DicomTags.RequestAttributesSequence).Items);
                Assert.Equal(DicomJson.Text(step, "00401001"), request.GetString(DicomTags.RequestedProcedureID));
                Assert.Equal(DicomJson.Text(step, "00400009"), request.GetString(DicomTags.ScheduledProcedureStepID));
                Assert.Equal(create.SopInstance, Assert.Single(ds.GetSequence(DicomTags.ReferencedPerformedProcedureStepSequence).Items).GetString(DicomTags.ReferencedSOPInstanceUID));
            }
        }

        var sets = new List<DcmjsMessage>();
        try
        {
            // Commissioning: the setup code, the password, a login.
            browser.Navigate().GoToUrl(site + "/");
            wait.Until(b => b.Url.EndsWith("/setup", StringComparison.Ordinal));
            Fill("code", code);
            Fill("password", Password);
            Fill("confirm", Password);
            browser.FindElement(By.Id("set-password")).Click();
            wait.Until(b => b.FindElements(By.Id("setup-done")).Count > 0);
            LogIn();

            // 1. The plain walk: WL-1 (a Latin-1 name) picked, two exposures, ended on the page.
            Pick("ACC-1", "WL-1");
            checks.Check("walk-01-picked");
            Expose(2);
            var first = StoredFor("WL-1", 2);
            End("Müller, Hélène");
            var (create1, set1) = Mpps(mpps, first.Values.First().GetString(DicomTags.StudyInstanceUID)!);
            Assert.Equal(first.Keys.Order(StringComparer.Ordinal), Listed(set1));
            CheckImages(first, create1, "WL-1", "ACC-1");
            var walked = dir.File("walk.dcm");
            File.WriteAllBytes(walked, pacs.File(pacs.InstancesBySopInstanceUid()[first.Keys.First()]));
            Assert.Empty(Dciodvfy.Errors(walked));
            sets.Add(set1);

            // 2. The MPPS SCP goes down for 30 s across the whole exam of WL-2 (a UTF-8 name).
            var down = DateTime.UtcNow;
            mpps.Dispose();
            Pick("ACC-2", "WL-2");
            Expose(2);
            var second = StoredFor("WL-2", 2);
            End("Dvořák, Zoë");
            Thread.Sleep(TimeSpan.FromSeconds(30) - (DateTime.UtcNow - down) is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
            mpps = DcmjsPeer.StartScp("RIS", port: mppsPort);
            var (create2, set2) = Mpps(mpps, second.Values.First().GetString(DicomTags.StudyInstanceUID)!);
            Assert.Equal(second.Keys.Order(StringComparer.Ordinal), Listed(set2));
            CheckImages(second, create2, "WL-2", "ACC-2");
            sets.Add(set2);

            // 3. WL-3 (ISO 2022 Japanese): the images reach Orthanc, the N-CREATE goes out, then SIGKILL; started again,
            //    one more exposure, and the technician ends the exam on the page.
            Pick("ACC-3", "WL-3");
            Expose(2);
            StoredFor("WL-3", 2);
            mpps.WaitFor(l => l.Count(m => m.Event == "request" && m.Command == "N-CREATE") == 2, Patience);
            gateway.Kill();
            gateway.Start();
            Expose(1);
            var third = StoredFor("WL-3", 3);
            End("Yamada, Tarou");
            var (create3, set3) = Mpps(mpps, third.Values.First().GetString(DicomTags.StudyInstanceUID)!);
            Assert.Equal(third.Keys.Order(StringComparer.Ordinal), Listed(set3));
            CheckImages(third, create3, "WL-3", "ACC-3");
            sets.Add(set3);
            checks.Check("walk-02-after-three-exams");
        }
        catch
        {
            ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(Path.Combine(WebBrowser.Screenshots, "walk-failure.png"));
            output.WriteLine(gateway.AllOutput);
            throw;
        }
        finally
        {
            mpps.Dispose();
            cable.Dispose();
        }

        // The checker: Orthanc holds 7 instances, each under the patient it was picked for, each listed exactly once.
        var all = pacs.InstancesBySopInstanceUid();
        Assert.Equal(7, all.Count);
        var listed = sets.SelectMany(Listed).ToList();
        Assert.Equal(all.Keys.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("Müller", gateway.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("ACC-1", gateway.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, gateway.AllOutput, StringComparison.Ordinal);
    }
}
