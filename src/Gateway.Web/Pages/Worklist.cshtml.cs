using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// Issue #17: the technician picks the next exam from the box's Modality Worklist with one tap. The search is a GET form
/// (it works without script; the query stays in the address, the list is paged 50 steps at a time so 500 stay usable on
/// a phone). Selecting is a POST per step (antiforgery, Origin check) that the service may refuse — an exam in progress,
/// a step gone from the list, a step with problems — and the refusal is shown in its words. Steps whose reply broke a
/// rule are listed with their problems and offer no button. The page is patient data: it is never cached (the page's
/// middleware sends Cache-Control: no-store on every response) and nothing of a step goes into the log.
/// </summary>
public sealed class WorklistModel(IGatewayControl control, ILoggerFactory loggers) : PageModel
{
    public const int PageSize = 50;

    public WorklistView List { get; private set; } = new(false, [], null, null);
    public ExamView Exam { get; private set; } = null!;

    /// <summary>What was searched for ("" for everything).</summary>
    public string Query { get; private set; } = "";

    /// <summary>The steps that match, and the page of them shown.</summary>
    public int Matching { get; private set; }
    public IReadOnlyList<WorklistRow> Shown { get; private set; } = [];
    public int PageNumber { get; private set; }
    public int Pages { get; private set; } = 1;

    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    /// <summary>An exam has images: the service refuses another selection until it is ended or cancelled.</summary>
    public bool Locked => Exam.State == "in progress";

    // "p", not "page": Razor Pages keeps the page's own path in the route value "page".
    public void OnGet(string? q, int p = 0) => Load(control.Worklist(), q, p);

    public void OnPostSelect(string? key, string? q, int p = 0)
    {
        var before = control.CurrentExam();
        var refused = string.IsNullOrEmpty(key) ? "choose a step from the list" : control.SelectStep(key);
        if (refused is not null)
        {
            Message = $"Not selected: {WorklistText.Sentence(refused)}";
            Load(control.Worklist(), q, p);
            return;
        }
        // Which step it was stays out of the log: the service logs the event with its own keys, never patient data.
        this.Audit(loggers, before.Source switch
        {
            "worklist" when before.StepKey != key => "next exam changed to another worklist step",
            "manual" => "next exam changed from manual entry to a worklist step",
            _ => "worklist step selected for the next exam",
        });
        Load(control.Worklist(), q, p);
        Message = $"Selected: the next images go to {WorklistText.Name(Exam.PatientName)}"
            + (Exam.PatientId is { Length: > 0 } id ? $", patient ID {id}" : "")
            + (Exam.AccessionNumber is { Length: > 0 } acc ? $", accession {acc}" : "") + ".";
        MessageOk = true;
    }

    public async Task OnPostRefresh(string? q)
    {
        var list = await control.RefreshWorklistAsync(HttpContext.RequestAborted);
        Load(list, q, 0);
        if (list.Configured && list.StaleBecause is null)
        {
            Message = $"The list is fresh from the RIS ({Matching} step{(Matching == 1 ? "" : "s")}{(Query.Length > 0 ? " matching" : "")}).";
            MessageOk = true;
        }
    }

    /// <summary>A time of the box (when the list was fetched) as the other pages show times: local, to the second.</summary>
    public static string Local(DateTimeOffset time) =>
        time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The address of another page of this search.</summary>
    public string PageLink(int page) =>
        "/worklist" + Microsoft.AspNetCore.Http.QueryString.Create(
            new KeyValuePair<string, string?>[] { new("q", Query.Length > 0 ? Query : null), new("p", page > 0 ? page.ToString(System.Globalization.CultureInfo.InvariantCulture) : null) }
                .Where(kv => kv.Value is not null));

    private void Load(WorklistView list, string? q, int page)
    {
        List = list;
        Exam = control.CurrentExam();
        // A query longer than any name, ID and accession together finds nothing; it is not worth holding.
        var typed = (q ?? "").Trim();
        Query = typed.Length > 200 ? typed[..200] : typed;
        var matching = list.Rows.Where(r => WorklistText.Matches(r, Query)).ToList();
        Matching = matching.Count;
        Pages = Math.Max(1, (matching.Count + PageSize - 1) / PageSize);
        PageNumber = Math.Clamp(page, 0, Pages - 1);
        Shown = matching.Skip(PageNumber * PageSize).Take(PageSize).ToList();
    }
}
