using System.Globalization;
using Gateway.Dicom;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>
/// The patient and accession for the next acquisition, checked against their VRs (PN, LO, DA, CS, SH). Each field
/// gets its own message in the technician's words and keeps what was typed (issue #14: not "PatientBirthDate
/// (0010,0030) DA: … YYYYMMDD"). The birth date is a date field (yyyy-mm-dd), stored as DA.
/// </summary>
public sealed class ExamModel(IGatewayControl control, ILoggerFactory loggers) : PageModel
{
    /// <summary>Keyword, label, what to say when the value does not fit.</summary>
    public static readonly (string Keyword, string Label, string Hint)[] Fields =
    [
        ("PatientName", "Patient name", "write it as FAMILY^Given, at most 64 characters per part, no backslash"),
        ("PatientID", "Patient ID", "at most 64 characters, no backslash"),
        ("PatientBirthDate", "Birth date", "use a date like 1970-01-01"),
        ("PatientSex", "Sex", "choose M, F or O"),
        ("AccessionNumber", "Accession number", "at most 16 characters, no backslash"),
    ];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _errors = new(StringComparer.Ordinal);

    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    /// <summary>The exam the next images go to now (issue #17): a worklist selection is not shown in the form as if typed.</summary>
    public ExamView Current { get; private set; } = null!;

    public string Value(string keyword) => _values.GetValueOrDefault(keyword, "");

    public string? FieldError(string keyword) => _errors.GetValueOrDefault(keyword);

    public void OnGet()
    {
        Current = control.CurrentExam();
        // A step selected from the worklist is the RIS's, not typed here: the form starts empty for an unscheduled patient.
        if (Current.Source == "worklist")
            return;
        var exam = control.Exam();
        foreach (var (keyword, _, _) in Fields)
        {
            var value = exam.TryGetString(DicomDictionary.Find(keyword)!.Tag) ?? "";
            _values[keyword] = keyword == "PatientBirthDate" ? AsDateField(value) : value;
        }
    }

    public void OnPost()
    {
        Current = control.CurrentExam();
        var exam = new DicomDataset();
        foreach (var (keyword, label, hint) in Fields)
        {
            var typed = (Request.Form[keyword].ToString() ?? "").Trim();
            _values[keyword] = typed;
            if (typed.Length == 0)
                continue;
            var value = keyword switch
            {
                "PatientBirthDate" => AsDicomDate(typed),
                // CS would take any code; PS3.3 C.7.1.1 defines only these three for Patient's Sex.
                "PatientSex" => typed.ToUpperInvariant() is "M" or "F" or "O" ? typed.ToUpperInvariant() : null,
                _ => typed,
            };
            var entry = DicomDictionary.Find(keyword)!;
            try
            {
                if (value is not null)
                    exam.Set(entry.Tag, entry.VR, value);
            }
            catch (DicomValueException)
            {
                value = null;
            }
            if (value is null)
                _errors[keyword] = $"{label}: {hint}.";
        }
        if (_errors.Count > 0)
        {
            Message = _errors.Count == 1 ? "Not used yet: one field needs a change." : $"Not used yet: {_errors.Count} fields need a change.";
            return;
        }
        var before = Current;
        if (control.SetExam(exam) is { } refused)
        {
            Message = $"Not used: {WorklistText.Sentence(refused)}";
            Current = control.CurrentExam();
            return;
        }
        Current = control.CurrentExam();
        // The log says that the exam changed, never what it holds.
        if (exam.Count == 0)
        {
            // Every field empty: the service clears the selection (no patient for the next images).
            this.Audit(loggers, "next exam cleared");
            Message = "Cleared: no patient is chosen for the next images.";
            MessageOk = true;
            return;
        }
        this.Audit(loggers, before.Source == "worklist" ? "next exam set by hand, replacing a worklist step" : "next exam set");
        Message = "The next acquisitions will carry this patient and accession number.";
        MessageOk = true;
    }

    /// <summary>yyyy-mm-dd (the date field) or YYYYMMDD (typed by hand) → DA; null when it is no date.</summary>
    private static string? AsDicomDate(string typed)
    {
        string[] formats = ["yyyy-MM-dd", "yyyyMMdd"];
        return DateOnly.TryParseExact(typed, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date.ToString("yyyyMMdd", CultureInfo.InvariantCulture)
            : null;
    }

    private static string AsDateField(string da) =>
        DateOnly.TryParseExact(da, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : da;
}
