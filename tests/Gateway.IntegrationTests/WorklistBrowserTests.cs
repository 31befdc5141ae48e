using Gateway.Web;
using Gateway.Web.Tests;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests;

/// <summary>
/// Issue #17 in a real browser: headless Chromium on a phone's screen walks the worklist page and the exam on the
/// status page — search, one tap to select, the status page noticing the first images by itself, End and Cancel with
/// their second tap, the list locked while an exam is in progress, a stale list of 500 steps, no worklist, manual
/// entry. Every page on the way is checked at 390 × 844 and 1366 × 768 (<see cref="WebBrowserChecks"/>: no horizontal
/// overflow, no console or CSP error, labels bound, 44 px tap targets, axe-core) and photographed into
/// artifacts/screenshots. The page runs on real HTTPS against the page tests' fake service (the service side of #17 is
/// tested against real worklist SCPs in WorklistTests).
/// </summary>
public sealed class WorklistBrowserTests(ITestOutputHelper output)
{
    private const string Password = "Radiology-Room-7!";

    [Fact]
    public async Task A_technician_picks_the_patient_on_the_worklist_and_ends_and_cancels_exams_in_Chromium_and_every_page_fits_and_passes_axe()
    {
        await using var web = await new WebFixture().StartAsync();
        (await web.LoggedInAsync(Password)).Dispose();
        var control = web.Control;
        control.List = WorklistSamples.Fresh();
        var shots = WebBrowser.Screenshots;
        using var browser = WebBrowser.Start();
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(UnknownErrorException));
        var checks = new WebBrowserChecks(browser, shots, output);
        var site = web.BaseUrl;
        void Shot(string name) => ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(Path.Combine(shots, name + ".png"));
        // The whole page on the phone (the checks' screenshots show the screen only): the rows below the fold too.
        void FullPage(string name)
        {
            var shot = browser.ExecuteCdpCommand("Page.captureScreenshot", new Dictionary<string, object?> { ["format"] = "png", ["captureBeyondViewport"] = true });
            var data = shot is Dictionary<string, object> d ? (string)d["data"] : throw new InvalidOperationException($"no screenshot: {shot}");
            File.WriteAllBytes(Path.Combine(shots, name + ".png"), Convert.FromBase64String(data));
        }
        void Fill(string id, string text)
        {
            var e = browser.FindElement(By.Id(id));
            e.Clear();
            e.SendKeys(text);
        }
        string Message(string? notThis = null) =>
            wait.Until(b => b.FindElements(By.Id("message")) is [var m, ..] && m.Text is { Length: > 0 } t && t != notThis ? t : null)!;

        try
        {
            browser.Navigate().GoToUrl(site + "/login");
            Fill("password", Password);
            browser.FindElement(By.Id("login")).Click();
            wait.Until(b => b.FindElements(By.Id("device-link")).Count > 0);
            checks.Check("wl-01-status-no-exam");

            // 1. The worklist, then a search in Japanese script, without any script of the page's.
            browser.FindElement(By.CssSelector("header a[href='/worklist']")).Click();
            wait.Until(b => b.FindElements(By.CssSelector("#worklist tbody tr")).Count == 6);
            checks.Check("wl-02-worklist");
            FullPage("wl-02-worklist-390-full");
            Fill("q", "山田");
            browser.FindElement(By.Id("search")).Click();
            wait.Until(b => b.FindElements(By.CssSelector("#worklist tbody tr")).Count == 1);
            Assert.Contains("q=", browser.Url, StringComparison.Ordinal);
            checks.Check("wl-03-worklist-search");

            // 2. One tap selects; the page says who is next.
            browser.FindElement(By.Id("select-0")).Click();
            Assert.StartsWith("Selected: the next images go to Yamada, Tarou (山田 太郎 · やまだ たろう)", Message(), StringComparison.Ordinal);
            Assert.Equal("sps-1002", control.Current.StepKey);
            Assert.Contains("Yamada, Tarou", browser.FindElement(By.Id("next-patient")).Text, StringComparison.Ordinal);
            checks.Check("wl-04-worklist-selected");

            // 3. The status page shows the next exam; the first images make it say by itself that the exam changed.
            browser.FindElement(By.CssSelector("header a[href='/']")).Click();
            wait.Until(b => b.FindElements(By.Id("exam-patient")).Count > 0);
            Assert.Equal("selected from the worklist", browser.FindElement(By.Id("exam-source")).Text);
            checks.Check("wl-05-status-next-exam");
            control.Acquire(3, DateTimeOffset.Now);
            wait.Until(b => b.FindElement(By.Id("exam-changed")).Displayed && b.FindElement(By.Id("exam-images")).Text == "3");
            browser.FindElement(By.CssSelector("#exam-changed a")).Click();
            wait.Until(b => b.FindElements(By.Id("end-exam")).Count > 0);
            checks.Check("wl-06-status-exam-in-progress");

            // 4. The worklist is locked while the exam is in progress.
            browser.Navigate().GoToUrl(site + "/worklist");
            wait.Until(b => b.FindElements(By.Id("locked")).Count > 0);
            Assert.Empty(browser.FindElements(By.CssSelector("button.select")));
            checks.Check("wl-07-worklist-locked");
            FullPage("wl-07-worklist-locked-390-full");

            // 5. End asks first; "No" keeps it going.
            browser.Navigate().GoToUrl(site + "/");
            browser.FindElement(By.Id("end-exam")).Click();
            wait.Until(b => b.FindElements(By.Id("confirm-end")).Count > 0);
            checks.Check("wl-08-status-confirm-end");
            browser.FindElement(By.Id("confirm-end-no")).Click();
            wait.Until(b => b.FindElements(By.Id("confirm-end")).Count == 0 && b.FindElements(By.Id("end-exam")).Count > 0);
            Assert.Equal("in progress", control.Current.State);

            // 6. Cancel without a reason is named beside the field; with one it asks, then cancels.
            browser.FindElement(By.Id("cancel-exam")).Click();
            wait.Until(b => b.FindElement(By.Id("error-reason")).Text == "Choose why the exam stops.");
            Assert.Equal("true", browser.FindElement(By.Id("reason")).GetDomAttribute("aria-invalid"));
            checks.Check("wl-09-status-cancel-no-reason");
            browser.FindElement(By.CssSelector("#reason option[value='110501']")).Click();
            browser.FindElement(By.Id("cancel-exam")).Click();
            wait.Until(b => b.FindElements(By.Id("confirm-cancel")).Count > 0);
            checks.Check("wl-10-status-confirm-cancel");
            browser.FindElement(By.Id("confirm-cancel-yes")).Click();
            Assert.StartsWith("Exam cancelled for Yamada, Tarou", Message(), StringComparison.Ordinal);
            Assert.Contains("cancel 110501", control.Calls);
            checks.Check("wl-11-status-cancelled");

            // 7. The next patient from the worklist, images, End with its second tap.
            browser.Navigate().GoToUrl(site + "/worklist");
            browser.FindElement(By.XPath("//tr[.//strong[text()='MÜLLER, Hans']]//button")).Click();
            Assert.StartsWith("Selected: the next images go to MÜLLER, Hans", Message(), StringComparison.Ordinal);
            control.Acquire(2, DateTimeOffset.Now);
            browser.Navigate().GoToUrl(site + "/");
            browser.FindElement(By.Id("end-exam")).Click();
            wait.Until(b => b.FindElements(By.Id("confirm-end-yes")).FirstOrDefault())!.Click();
            Assert.StartsWith("Exam ended for MÜLLER, Hans with 2 images.", Message(), StringComparison.Ordinal);
            Assert.Equal("none", control.Current.Source);

            // 8. A stale list of 500 steps: the banner, 50 steps a page, the pager.
            control.List = new WorklistView(true, [.. WorklistSamples.Rows, .. WorklistSamples.Many(494)], DateTimeOffset.Now.AddMinutes(-42), "the RIS did not answer within 30 s");
            browser.Navigate().GoToUrl(site + "/worklist");
            wait.Until(b => b.FindElements(By.Id("stale")).Count > 0);
            Assert.Contains("The RIS did not answer", browser.FindElement(By.Id("stale")).Text, StringComparison.Ordinal);
            Assert.Equal(50, browser.FindElements(By.CssSelector("#worklist tbody tr")).Count);
            checks.Check("wl-12-worklist-stale-500");
            browser.FindElement(By.Id("later")).Click();
            wait.Until(b => b.FindElements(By.Id("earlier")).Count > 0);
            checks.Check("wl-13-worklist-page-2");

            // 9. No worklist configured: the page says so and leads to manual entry, marked as the fallback.
            control.List = new WorklistView(false, [], null, null);
            browser.Navigate().GoToUrl(site + "/worklist");
            wait.Until(b => b.FindElements(By.Id("no-worklist")).Count > 0);
            checks.Check("wl-14-worklist-none");
            browser.FindElement(By.Id("manual-entry")).Click();
            wait.Until(b => b.FindElement(By.TagName("h1")).Text.StartsWith("Manual entry — for a patient not on the worklist", StringComparison.Ordinal));
            checks.Check("wl-15-manual-entry");
        }
        catch
        {
            Shot("wl-failure");
            output.WriteLine(web.Log.ToString());
            throw;
        }
        finally
        {
            foreach (var line in checks.AxeSummary)
                output.WriteLine(line);
            output.WriteLine($"widest page: {string.Join(", ", checks.Widest.Select(w => $"{w.Key} {w.Value} px"))}");
        }
        WorklistSamples.AssertNoPatientData(web.Log.ToString());
    }
}
