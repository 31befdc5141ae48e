using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>
/// Issue #17 on the status page and the manual entry page: who the next or current exam is for, End and Cancel only
/// after a second tap for the exam that was shown, refusals in words, clearing a wrong selection, manual entry as the
/// unscheduled fallback that the service refuses while an exam is in progress — and an audit log without patient data.
/// </summary>
public sealed partial class ExamStatusTests
{
    [GeneratedRegex("name=\"exam\" type=\"hidden\" value=\"([0-9a-f]+)\"|type=\"hidden\" name=\"exam\" value=\"([0-9a-f]+)\"")]
    private static partial Regex VersionField();

    private static string Version(string page)
    {
        var m = VersionField().Match(page);
        Assert.True(m.Success, page);
        return m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
    }

    private static async Task<(WebFixture Web, PageClient Client)> InProgressAsync(int images = 3)
    {
        var web = await new WebFixture().StartAsync();
        web.Control.List = WorklistSamples.Fresh();
        var client = await web.LoggedInAsync();
        await client.SubmitAsync("/worklist", new() { ["key"] = "sps-1002" }, "Select");
        if (images > 0)
            web.Control.Acquire(images, DateTimeOffset.Now);
        return (web, client);
    }

    [Fact]
    public async Task The_status_page_says_who_the_exam_is_for_where_it_came_from_and_where_its_MPPS_is()
    {
        var (web, client) = await InProgressAsync();
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/"));
        Assert.Contains("<h2>Exam in progress</h2>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-patient\">Yamada, Tarou (山田 太郎 · やまだ たろう)</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-patient-id\">P-1002</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-accession\">ACC-1002</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-procedure\">Knee left</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-source\">selected from the worklist</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-state\">in progress</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-images\">3</dd>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-mpps\">IN PROGRESS sent</dd>", page, StringComparison.Ordinal);
        Assert.Contains("id=\"end-exam\"", page, StringComparison.Ordinal);
        Assert.Contains("<option value=\"110514\">Incorrect worklist entry selected</option>", page, StringComparison.Ordinal);

        // The status JSON the page polls carries the image count and a version of the exam, never the patient.
        var json = await client.GetStringAsync("/api/status");
        Assert.Contains("\"examImages\":3", json, StringComparison.Ordinal);
        Assert.Contains($"\"examVersion\":\"{Version(page)}\"", json, StringComparison.Ordinal);
        WorklistSamples.AssertNoPatientData(json);
        Assert.DoesNotContain("Yamada", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_exam_the_status_page_leads_to_the_worklist_and_manual_entry()
    {
        await using var web = await new WebFixture().StartAsync();
        using var client = await web.LoggedInAsync();
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/"));
        Assert.Contains("<h2>Next exam</h2>", page, StringComparison.Ordinal);
        Assert.Contains("No patient is chosen: the images carry only what the device sends.", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/worklist\">Choose on the worklist</a>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"end-exam\"", page, StringComparison.Ordinal);
        web.Control.Current = web.Control.Current with { Source = "configuration", PatientName = "START^Patient", PatientId = "CFG-1" };
        page = WebUtility.HtmlDecode(await client.GetStringAsync("/"));
        Assert.Contains("<dd id=\"exam-source\">from the configuration file</dd>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"clear-exam\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task End_exam_asks_first_and_ends_only_on_the_second_tap()
    {
        var (web, client) = await InProgressAsync();
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = Version(await client.GetStringAsync("/")) }, "End"));
        Assert.Contains("<h2>End the exam for Yamada, Tarou (山田 太郎 · やまだ たろう)?</h2>", page, StringComparison.Ordinal);
        Assert.Contains("3 images acquired. The RIS is told that the exam is complete", page, StringComparison.Ordinal);
        Assert.Contains("id=\"confirm-end-no\" href=\"/\">No, keep it going</a>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("end", web.Control.Calls);
        Assert.Equal("in progress", web.Control.Current.State);

        page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = Version(page), ["confirm"] = "yes" }, "End"));
        Assert.Contains("Exam ended for Yamada, Tarou (山田 太郎 · やまだ たろう) with 3 images. Choose the next patient on the worklist.", page, StringComparison.Ordinal);
        Assert.Contains("end", web.Control.Calls);
        Assert.Equal("none", web.Control.Current.Source);
        Assert.Contains("6005 Web page: exam ended by \"admin\"", web.Log.ToString(), StringComparison.Ordinal);
        WorklistSamples.AssertNoPatientData(web.Log.ToString());
    }

    [Fact]
    public async Task A_confirmation_for_an_exam_that_changed_meanwhile_does_nothing()
    {
        var (web, client) = await InProgressAsync();
        await using var _ = web;
        using var __ = client;
        var confirm = await client.SubmitAsync("/", new() { ["exam"] = Version(await client.GetStringAsync("/")) }, "End");
        var shown = Version(confirm);
        // Another phone ends it and the next patient's images start before this one's second tap.
        web.Control.EndExam();
        web.Control.SelectStep("sps-1001");
        web.Control.Acquire(1, DateTimeOffset.Now);
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = shown, ["confirm"] = "yes" }, "End"));
        Assert.Contains("Nothing ended: the exam changed meanwhile. Check it below and try again.", page, StringComparison.Ordinal);
        Assert.Equal("sps-1001", web.Control.Current.StepKey);
        Assert.Equal("in progress", web.Control.Current.State);
        Assert.Single(web.Control.Calls, c => c == "end");

        // The same for a cancel.
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = shown, ["reason"] = "110501", ["confirm"] = "yes" }, "Cancel"));
        Assert.Contains("Nothing cancelled: the exam changed meanwhile.", page, StringComparison.Ordinal);
        Assert.DoesNotContain(web.Control.Calls, c => c.StartsWith("cancel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_exam_needs_a_reason_and_a_second_tap_and_logs_the_reason_code_only()
    {
        var (web, client) = await InProgressAsync();
        await using var _ = web;
        using var __ = client;
        var version = Version(await client.GetStringAsync("/"));
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = version, ["reason"] = "" }, "Cancel"));
        Assert.Contains("<span class=\"field-error\" id=\"error-reason\">Choose why the exam stops.</span>", page, StringComparison.Ordinal);
        Assert.Contains("aria-invalid=\"true\"", page, StringComparison.Ordinal);
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = version, ["reason"] = "999999" }, "Cancel"));
        Assert.Contains("Choose why the exam stops.", page, StringComparison.Ordinal);

        page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = version, ["reason"] = "110501" }, "Cancel"));
        Assert.Contains("<h2>Cancel the exam for Yamada, Tarou (山田 太郎 · やまだ たろう)?</h2>", page, StringComparison.Ordinal);
        Assert.Contains("Reason: <strong>Equipment failure</strong>. 3 images acquired. The RIS is told that the exam was discontinued.", page, StringComparison.Ordinal);
        Assert.Contains("Yes, cancel the exam", page, StringComparison.Ordinal);
        Assert.DoesNotContain(web.Control.Calls, c => c.StartsWith("cancel", StringComparison.Ordinal));

        page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = Version(page), ["reason"] = "110501", ["confirm"] = "yes" }, "Cancel"));
        Assert.Contains("Exam cancelled for Yamada, Tarou (山田 太郎 · やまだ たろう) (Equipment failure).", page, StringComparison.Ordinal);
        Assert.Contains("cancel 110501", web.Control.Calls);
        Assert.Contains("6005 Web page: exam cancelled (110501 Equipment failure) by \"admin\"", web.Log.ToString(), StringComparison.Ordinal);
        WorklistSamples.AssertNoPatientData(web.Log.ToString());
    }

    [Fact]
    public async Task A_refusal_by_the_service_is_shown_in_its_words()
    {
        var (web, client) = await InProgressAsync(images: 0);
        await using var _ = web;
        using var __ = client;
        // In progress without an image: the service refuses to complete it.
        web.Control.Current = web.Control.Current with { State = "in progress" };
        var version = Version(await client.GetStringAsync("/"));
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = version, ["confirm"] = "yes" }, "End"));
        Assert.Contains("Not ended: no image was acquired in this exam.", page, StringComparison.Ordinal);
        Assert.Equal("in progress", web.Control.Current.State);
        Assert.DoesNotContain("exam ended", web.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_selection_without_images_is_cleared_in_one_tap()
    {
        var (web, client) = await InProgressAsync(images: 0);
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/"));
        Assert.Contains("<h2>Next exam</h2>", page, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"exam-state\">selected, waiting for the first image</dd>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"end-exam\"", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/worklist\">Choose another patient</a>", page, StringComparison.Ordinal);
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/", new() { ["exam"] = Version(page) }, "Clear"));
        Assert.Contains("Cleared: no patient is chosen for the next images.", page, StringComparison.Ordinal);
        Assert.Contains("cancel 110514", web.Control.Calls);
        Assert.Equal("none", web.Control.Current.Source);
        Assert.Contains("next exam cleared by", web.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manual_entry_is_marked_as_the_unscheduled_fallback_and_is_refused_while_an_exam_is_in_progress()
    {
        var (web, client) = await InProgressAsync(images: 0);
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/exam"));
        Assert.Contains("<h1>Manual entry — for a patient not on the worklist (unscheduled)</h1>", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/exam\">Manual entry</a>", page, StringComparison.Ordinal);
        // The worklist selection is said, not put into the form as if it had been typed.
        Assert.Contains("The next exam is Yamada, Tarou (山田 太郎 · やまだ たろう), selected from the worklist.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"P-1002\"", page, StringComparison.Ordinal);

        page = WebUtility.HtmlDecode(await client.SubmitAsync("/exam", new() { ["PatientName"] = "WALK-IN^Anna", ["PatientID"] = "W-1" }));
        Assert.Contains("The next acquisitions will carry this patient", page, StringComparison.Ordinal);
        Assert.Equal("manual", web.Control.Current.Source);
        Assert.Contains("next exam set by hand, replacing a worklist step", web.Log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("W-1", web.Log.ToString(), StringComparison.Ordinal);
        Assert.Contains("value=\"W-1\"", await client.GetStringAsync("/exam"), StringComparison.Ordinal);

        // Every field emptied: the selection is cleared, and the page says so (not "will carry this patient").
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/exam", new() { ["PatientName"] = "", ["PatientID"] = "" }));
        Assert.Contains("Cleared: no patient is chosen for the next images.", page, StringComparison.Ordinal);
        Assert.Equal("none", web.Control.Current.Source);
        await client.SubmitAsync("/exam", new() { ["PatientName"] = "WALK-IN^Anna", ["PatientID"] = "W-1" });

        web.Control.Acquire(1, DateTimeOffset.Now);
        page = WebUtility.HtmlDecode(await client.GetStringAsync("/exam"));
        Assert.Contains("An exam is in progress for WALK-IN, Anna: end or cancel it on the <a href=\"/\">status page</a> before you enter another patient.", page, StringComparison.Ordinal);
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/exam", new() { ["PatientName"] = "OTHER^Bob", ["PatientID"] = "W-2" }));
        Assert.Contains("Not used: an exam is in progress (1 image(s) acquired): end or cancel it first.", page, StringComparison.Ordinal);
        Assert.Equal("W-1", web.Control.Current.PatientId);
        Assert.Contains("class=\"message bad\"", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Referer", "https://evil.example/")]
    public async Task End_and_cancel_from_another_origin_are_refused(string header, string value)
    {
        var (web, client) = await InProgressAsync();
        await using var _ = web;
        using var __ = client;
        var home = await client.GetStringAsync("/");
        var token = await client.TokenAsync("/");
        var calls = web.Control.Calls.Count;
        foreach (var (handler, fields) in new[] { ("End", new Dictionary<string, string> { ["exam"] = Version(home), ["confirm"] = "yes" }),
                     ("Cancel", new Dictionary<string, string> { ["exam"] = Version(home), ["reason"] = "110501", ["confirm"] = "yes" }) })
        {
            using var r = await client.PostWithTokenAsync("/", handler, fields, token, (header, value));
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }
        Assert.Equal(calls, web.Control.Calls.Count);
        Assert.Equal("in progress", web.Control.Current.State);
    }
}
