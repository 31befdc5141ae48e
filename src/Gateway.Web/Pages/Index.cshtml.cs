using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// The status page: rendered once here, refreshed every 2 s by /status.js from /api/status. Issue #17: it says who the
/// next (or current) exam is for and ends or cancels it. Both ask first — a mistap on a phone must not end an exam — and
/// the confirmation carries the exam's version (<see cref="WorklistText.Version"/>): when the exam changed between the
/// two taps (another phone, the next patient's first image) nothing is done.
/// </summary>
public sealed class IndexModel(IGatewayControl control, WebState state, ILoggerFactory loggers) : PageModel
{
    public StatusView Status { get; private set; } = null!;
    public ExamView Exam { get; private set; } = null!;
    public IReadOnlyList<DiscontinuationReason> Reasons => control.DiscontinuationReasons;

    /// <summary>"end" or "cancel" while that action waits for its second tap.</summary>
    public string? Confirm { get; private set; }
    public DiscontinuationReason? Reason { get; private set; }
    public string? ReasonError { get; private set; }
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public string ExamVersion => WorklistText.Version(Exam);

    public void OnGet() => Load();

    public void OnPostEnd(string? confirm, string? exam)
    {
        Load();
        if (Exam.State != "in progress")
        {
            Message = "Nothing ended: no exam is in progress.";
            return;
        }
        if (confirm != "yes")
        {
            Confirm = "end";
            return;
        }
        if (exam != ExamVersion)
        {
            Message = "Nothing ended: the exam changed meanwhile. Check it below and try again.";
            return;
        }
        var ended = Exam;
        if (control.EndExam() is { } refused)
        {
            Message = $"Not ended: {WorklistText.Sentence(refused)}";
            Load();
            return;
        }
        this.Audit(loggers, "exam ended");
        Load();
        Message = $"Exam ended for {WorklistText.Name(ended.PatientName)} with {Images(ended.Images)}. Choose the next patient on the worklist.";
        MessageOk = true;
    }

    public void OnPostCancel(string? reason, string? confirm, string? exam)
    {
        Load();
        if (Exam.State != "in progress")
        {
            Message = "Nothing cancelled: no exam is in progress.";
            return;
        }
        Reason = Reasons.FirstOrDefault(r => r.Code == reason);
        if (Reason is null)
        {
            ReasonError = "Choose why the exam stops.";
            Message = "Not cancelled yet: choose a reason.";
            return;
        }
        if (confirm != "yes")
        {
            Confirm = "cancel";
            return;
        }
        if (exam != ExamVersion)
        {
            Message = "Nothing cancelled: the exam changed meanwhile. Check it below and try again.";
            return;
        }
        var cancelled = Exam;
        if (control.CancelExam(Reason.Code) is { } refused)
        {
            Message = $"Not cancelled: {WorklistText.Sentence(refused)}";
            Load();
            return;
        }
        // The reason is a code of CID 9300, not patient data.
        this.Audit(loggers, $"exam cancelled ({Reason.Code} {Reason.Meaning})");
        Load();
        Message = $"Exam cancelled for {WorklistText.Name(cancelled.PatientName)} ({Reason.Meaning}). Choose the next patient on the worklist.";
        MessageOk = true;
    }

    /// <summary>
    /// Clears a selection no image was acquired for (a wrong step tapped). The service's CancelExam does that without an
    /// MPPS message; it still takes a reason, so the page gives CID 9300's "Incorrect worklist entry selected" (110514)
    /// when offered, else the first reason offered.
    /// </summary>
    public void OnPostClear(string? exam)
    {
        Load();
        if (Exam.State != "selected" || Exam.Source is not ("worklist" or "manual"))
        {
            Message = Exam.State == "in progress" ? "Not cleared: images were acquired for this exam. End or cancel it instead." : "Nothing to clear.";
            return;
        }
        if (exam != ExamVersion)
        {
            Message = "Nothing cleared: the next exam changed meanwhile. Check it below and try again.";
            return;
        }
        var code = (Reasons.FirstOrDefault(r => r.Code == "110514") ?? (Reasons.Count > 0 ? Reasons[0] : null))?.Code ?? "";
        if (control.CancelExam(code) is { } refused)
        {
            Message = $"Not cleared: {WorklistText.Sentence(refused)}";
            Load();
            return;
        }
        this.Audit(loggers, "next exam cleared");
        Load();
        Message = "Cleared: no patient is chosen for the next images.";
        MessageOk = true;
    }

    public static string Images(int n) => n == 1 ? "1 image" : $"{n} images";

    private void Load()
    {
        Exam = control.CurrentExam();
        Status = StatusView.Of(control, state, Exam);
    }
}
