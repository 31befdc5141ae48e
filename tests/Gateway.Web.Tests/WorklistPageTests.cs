using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>
/// Issue #17, the worklist page over real HTTPS against a fake service that keeps the contract's semantics: the list,
/// search without script (any script, any case), one tap selects, refusals in words, stale lists, problems, no
/// worklist, 500 steps, no caching, escaping, and an audit log without patient data.
/// </summary>
public sealed partial class WorklistPageTests
{
    [GeneratedRegex("<tr[ >]")]
    private static partial Regex RowStart();

    private static int RowCount(string page) => page.Contains("id=\"worklist\"", StringComparison.Ordinal)
        ? RowStart().Count(page[page.IndexOf("<tbody>", StringComparison.Ordinal)..page.IndexOf("</tbody>", StringComparison.Ordinal)])
        : 0;

    private static async Task<(WebFixture Web, PageClient Client)> StartAsync(Gateway.Web.WorklistView? list = null)
    {
        var web = await new WebFixture().StartAsync();
        web.Control.List = list ?? WorklistSamples.Fresh();
        return (web, await web.LoggedInAsync());
    }

    [Fact]
    public async Task The_worklist_lists_every_step_with_time_patient_birth_date_sex_accession_procedure_and_modality()
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist"));
        Assert.Equal(6, RowCount(page));
        Assert.Contains("<strong>MÜLLER, Hans</strong>", page, StringComparison.Ordinal);
        Assert.Contains("ID P-1001 · born <span class=\"nowrap\">1961-04-12</span> · sex M", page, StringComparison.Ordinal);
        Assert.Contains("<strong>Yamada, Tarou (山田 太郎 · やまだ たろう)</strong>", page, StringComparison.Ordinal);
        Assert.Contains(">ACC-1002<", page, StringComparison.Ordinal);
        Assert.Contains("<div>Knee left <span class=\"sub\">Knee AP</span> </div>", page, StringComparison.Ordinal);
        Assert.Contains(">DX<", page, StringComparison.Ordinal);
        Assert.Contains("<strong>08:30</strong> <span class=\"muted nowrap\">" + DateTimeOffset.Now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), page, StringComparison.Ordinal);
        Assert.Contains("No patient chosen yet", page, StringComparison.Ordinal);
        // The page is in the navigation beside the others, and manual entry is named as the fallback.
        Assert.Contains("href=\"/worklist\">Worklist</a>", page, StringComparison.Ordinal);
        Assert.Contains("not on the worklist (unscheduled): <a href=\"/exam\">manual entry</a>", page, StringComparison.Ordinal);
        Assert.Empty(web.Control.Calls);
    }

    [Theory]
    [InlineData("müller", "sps-1001")]
    [InlineData("MÜLLER HANS", "sps-1001")]
    [InlineData("山田", "sps-1002")]
    [InlineData("たろう", "sps-1002")]
    [InlineData("yamada tarou", "sps-1002")]
    [InlineData("hélène", "sps-1003")]
    [InlineData("p-1006", "sps-1006")]
    [InlineData("acc-1003", "sps-1003")]
    public async Task The_search_finds_a_step_by_name_patient_ID_or_accession_ignoring_case_in_any_script(string query, string key)
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        // A plain GET form: it works without script, and the query stays in the address.
        var page = await client.GetStringAsync("/worklist?q=" + Uri.EscapeDataString(query));
        Assert.Equal(1, RowCount(page));
        Assert.Contains($"value=\"{key}\"", page, StringComparison.Ordinal);
        Assert.Contains("id=\"show-all\"", page, StringComparison.Ordinal);
        Assert.Contains("1 of 6 steps match", WebUtility.HtmlDecode(page), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_search_that_finds_nothing_says_so_and_offers_the_whole_list()
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?q=Nobody"));
        Assert.Contains("No step matches “Nobody”. <a href=\"/worklist\">Show all 6</a>", page, StringComparison.Ordinal);
        Assert.Contains("value=\"Nobody\"", page, StringComparison.Ordinal);
        Assert.Equal(0, RowCount(page));
    }

    [Fact]
    public async Task One_tap_selects_a_step_and_the_page_says_who_the_next_images_go_to()
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.SubmitAsync("/worklist", new() { ["key"] = "sps-1002", ["q"] = "", ["p"] = "0" }, "Select"));
        Assert.Contains("Selected: the next images go to Yamada, Tarou (山田 太郎 · やまだ たろう), patient ID P-1002, accession ACC-1002.", page, StringComparison.Ordinal);
        Assert.Equal("worklist", web.Control.Current.Source);
        Assert.Equal("sps-1002", web.Control.Current.StepKey);
        // The row says it is the one, and offers no second tap.
        var row = page[page.LastIndexOf("<tr", page.IndexOf("<strong class=\"ok\">Selected</strong>", StringComparison.Ordinal), StringComparison.Ordinal)..];
        Assert.Contains("Knee left", row[..row.IndexOf("</tr>", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"sps-1002\"", page, StringComparison.Ordinal);
        // Logged as an event, with nothing of the patient or the step.
        var log = web.Log.ToString();
        Assert.Contains("6005 Web page: worklist step selected for the next exam by \"admin\"", log, StringComparison.Ordinal);

        // Another tap changes it, and says so in the log.
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/worklist", new() { ["key"] = "sps-1001" }, "Select"));
        Assert.Contains("Selected: the next images go to MÜLLER, Hans", page, StringComparison.Ordinal);
        Assert.Contains("next exam changed to another worklist step", web.Log.ToString(), StringComparison.Ordinal);
        WorklistSamples.AssertNoPatientData(web.Log.ToString());
    }

    [Fact]
    public async Task A_search_keeps_its_query_and_page_across_a_selection()
    {
        var (web, client) = await StartAsync(WorklistSamples.Fresh(WorklistSamples.Many(120)));
        await using var _ = web;
        using var __ = client;
        var page = await client.SubmitAsync("/worklist", new() { ["key"] = "sps-0040", ["q"] = "given3", ["p"] = "0" }, "Select");
        Assert.Equal("sps-0040", web.Control.Current.StepKey);
        Assert.Contains("value=\"given3\"", page, StringComparison.Ordinal);
        Assert.Contains("steps match", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_step_with_problems_is_listed_with_them_and_cannot_be_selected()
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?q=O'BRIEN"));
        Assert.Equal(1, RowCount(page));
        Assert.Contains("Cannot be selected: the RIS sent this step with problems.", page, StringComparison.Ordinal);
        Assert.Contains("<li>the Study Instance UID (0020,000D) is missing: images could not be filed under this order</li>", page, StringComparison.Ordinal);
        Assert.Contains("<li>the accession number is missing</li>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"sps-1004\"", page, StringComparison.Ordinal);
        Assert.Contains("class=\"problem\"", page, StringComparison.Ordinal);

        // A forged tap is refused by the service, and the page says why.
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/worklist", new() { ["key"] = "sps-1004" }, "Select"));
        Assert.Contains("Not selected: this step has problems and cannot be used: the Study Instance UID (0020,000D) is missing", page, StringComparison.Ordinal);
        Assert.Equal("none", web.Control.Current.Source);
        Assert.DoesNotContain("worklist step selected", web.Log.ToString(), StringComparison.Ordinal);

        // So is a step that left the list meanwhile.
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/worklist", new() { ["key"] = "sps-gone" }, "Select"));
        Assert.Contains("Not selected: this step is not in the worklist (refresh the list).", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_an_exam_is_in_progress_no_step_is_offered_and_a_selection_is_refused_in_words()
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        await client.SubmitAsync("/worklist", new() { ["key"] = "sps-1001" }, "Select");
        web.Control.Acquire(2, DateTimeOffset.Now);
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist"));
        Assert.Contains("An exam is in progress: end or cancel it on the <a href=\"/\">status page</a> before you select another patient.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=Select", page, StringComparison.Ordinal);
        Assert.Contains("Selectable after the exam in progress", page, StringComparison.Ordinal);

        // A tap from a page loaded before the first image (its form still there): the service refuses it.
        var token = await client.TokenAsync("/worklist");
        using var r = await client.PostWithTokenAsync("/worklist", "Select", new() { ["key"] = "sps-1006" }, token);
        page = WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());
        Assert.Contains("Not selected: an exam is in progress (2 image(s) acquired): end or cancel it first.", page, StringComparison.Ordinal);
        Assert.Equal("sps-1001", web.Control.Current.StepKey);
        Assert.Equal(2, web.Control.Current.Images);
    }

    [Fact]
    public async Task A_stale_list_says_the_RIS_did_not_answer_and_since_when_in_the_box_s_local_time()
    {
        var fetched = new DateTimeOffset(2026, 12, 2, 6, 15, 42, TimeSpan.Zero);
        var (web, client) = await StartAsync(new Gateway.Web.WorklistView(true, WorklistSamples.Rows, fetched, "the RIS did not accept the association"));
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist"));
        var local = fetched.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("<strong>The RIS did not answer</strong> (the RIS did not accept the association).", page, StringComparison.Ordinal);
        Assert.Contains($"This is the list from {local}: steps scheduled since then are missing.", page, StringComparison.Ordinal);
        // The kept list is still offered: a stale list is better than none.
        Assert.Equal(6, RowCount(page));

        web.Control.List = new Gateway.Web.WorklistView(true, [], null, "the RIS did not answer within 30 s");
        page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist"));
        Assert.Contains("No list from an earlier answer is kept. Enter the patient by hand: <a href=\"/exam\">manual entry</a>.", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asking_the_RIS_again_refreshes_the_list_or_shows_it_stale_when_the_RIS_is_silent()
    {
        var (web, client) = await StartAsync(new Gateway.Web.WorklistView(true, [], DateTimeOffset.Now, null));
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist"));
        Assert.Contains("The RIS lists no step for this box.", page, StringComparison.Ordinal);

        web.Control.NextAnswer = WorklistSamples.Fresh();
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/worklist", new() { ["q"] = "" }, "Refresh"));
        Assert.Contains("The list is fresh from the RIS (6 steps).", page, StringComparison.Ordinal);
        Assert.Equal(6, RowCount(page));

        web.Control.NextAnswer = null;
        page = WebUtility.HtmlDecode(await client.SubmitAsync("/worklist", new() { ["q"] = "" }, "Refresh"));
        Assert.Contains("The RIS did not answer</strong> (the RIS refused the association)", page, StringComparison.Ordinal);
        Assert.DoesNotContain("The list is fresh", page, StringComparison.Ordinal);
        Assert.Equal(["refresh", "refresh"], web.Control.Calls);
    }

    [Fact]
    public async Task Without_a_worklist_the_page_says_so_and_leads_to_manual_entry()
    {
        var (web, client) = await StartAsync(new Gateway.Web.WorklistView(false, [], null, null));
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist"));
        Assert.Contains("No worklist is set up on this box, so there is no list to choose from.", page, StringComparison.Ordinal);
        Assert.Contains("<a class=\"button\" id=\"manual-entry\" href=\"/exam\">Enter the patient by hand</a>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"q\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Five_hundred_steps_are_paged_fifty_at_a_time_and_a_search_reaches_any_of_them()
    {
        var (web, client) = await StartAsync(WorklistSamples.Fresh(WorklistSamples.Many(500)));
        await using var _ = web;
        using var __ = client;
        var page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist"));
        Assert.Equal(50, RowCount(page));
        Assert.Contains("500 steps.", page, StringComparison.Ordinal);
        Assert.Contains("Page 1 of 10", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/worklist?p=1\">Next</a>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"earlier\"", page, StringComparison.Ordinal);
        Assert.True(page.Length < 200_000, $"one page of 50 steps is {page.Length} characters");

        page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?p=9"));
        Assert.Equal(50, RowCount(page));
        Assert.Contains("PATIENT0499, Given18", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"later\"", page, StringComparison.Ordinal);
        // A page past the end shows the last one, a nonsense page the first.
        Assert.Contains("Page 10 of 10", WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?p=99")), StringComparison.Ordinal);
        Assert.Contains("Page 1 of 10", WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?p=-3")), StringComparison.Ordinal);

        page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?q=id-00437"));
        Assert.Equal(1, RowCount(page));
        Assert.Contains("PATIENT0437", page, StringComparison.Ordinal);
        // Searching within the pages: the pager keeps the query.
        page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?q=chest"));
        Assert.Equal(0, RowCount(page)); // the procedure is not searched: name, ID and accession only
        page = WebUtility.HtmlDecode(await client.GetStringAsync("/worklist?q=given1"));
        Assert.Contains("href=\"/worklist?q=given1&p=1\">Next</a>", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/worklist")]
    [InlineData("/")]
    [InlineData("/exam")]
    [InlineData("/api/status")]
    public async Task Pages_with_patient_data_are_never_cached(string path)
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        await client.SubmitAsync("/worklist", new() { ["key"] = "sps-1001" }, "Select");
        using var r = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(r.Headers.CacheControl?.NoStore, $"{path}: Cache-Control {r.Headers.CacheControl}");
    }

    [Fact]
    public async Task Hostile_values_from_the_RIS_are_shown_as_text_on_every_page()
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        var list = await client.GetStringAsync("/worklist");
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;, Eve", list, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", list, StringComparison.Ordinal);
        Assert.Contains("value=\"ACC&quot;&gt;&lt;i&gt;5\"", (await client.GetStringAsync("/worklist?q=" + Uri.EscapeDataString("ACC\"><i>5"))), StringComparison.Ordinal);
        await client.SubmitAsync("/worklist", new() { ["key"] = "sps-1005" }, "Select");
        web.Control.Acquire(1, DateTimeOffset.Now);
        foreach (var path in new[] { "/worklist", "/", "/exam" })
        {
            var page = await client.GetStringAsync(path);
            Assert.DoesNotContain("<script>alert", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<img src=x", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>5</b>", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<i>5", page, StringComparison.Ordinal);
        }
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;, Eve", await client.GetStringAsync("/"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Referer", "https://evil.example/worklist")]
    public async Task A_selection_from_another_origin_is_refused_even_with_session_and_token(string header, string value)
    {
        var (web, client) = await StartAsync();
        await using var _ = web;
        using var __ = client;
        var token = await client.TokenAsync("/worklist");
        using var foreign = await client.PostWithTokenAsync("/worklist", "Select", new() { ["key"] = "sps-1001" }, token, (header, value));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Empty(web.Control.Calls);
        Assert.Equal("none", web.Control.Current.Source);
        using var own = await client.PostWithTokenAsync("/worklist", "Select", new() { ["key"] = "sps-1001" }, token, ("Origin", web.BaseUrl), ("Referer", web.BaseUrl + "/worklist"));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("sps-1001", web.Control.Current.StepKey);
    }
}
