using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>What waits for which destination, with the last error; dead letters retried or deleted (with confirmation).</summary>
public sealed class SpoolModel(IGatewayControl control, ILoggerFactory loggers) : PageModel
{
    public IReadOnlyList<SpoolRow> Entries { get; private set; } = [];
    /// <summary>Modalities' storage commitment requests waiting for their report (issue #18); null when the SCP side is off.</summary>
    public Gateway.Telemetry.ModalityCommitmentHealth? ModalityCommitment { get; private set; }
    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public void OnGet() => Load();

    private void Load()
    {
        Entries = control.SpoolEntries();
        ModalityCommitment = control.Health().ModalityCommitment;
    }

    public void OnPostRetry(string id)
    {
        var n = control.Retry(id);
        Done(n > 0 ? "Queued again." : "Nothing to retry for this entry.", "dead letter retried");
    }

    public void OnPostRetryAll()
    {
        var n = control.Retry(null);
        Done($"{n} dead letter(s) queued again.", "all dead letters retried");
    }

    public void OnPostPurgeAll(string? confirm)
    {
        if (confirm != "yes")
        {
            Message = "Nothing deleted: tick the box to confirm.";
            Load();
            return;
        }
        var n = control.PurgeDeadLetters(null);
        Done($"{n} dead letter(s) deleted.", "dead letters deleted");
    }

    private void Done(string message, string what)
    {
        this.Audit(loggers, what);
        Message = message;
        MessageOk = true;
        Load();
    }
}
