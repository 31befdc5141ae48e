using Gateway.Dicom;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Pages;

/// <summary>The patient and accession for the next acquisition, checked against their VRs (PN, LO, DA, CS, SH).</summary>
public sealed class ExamModel(IGatewayControl control, ILoggerFactory loggers) : PageModel
{
    private static readonly string[] Keywords = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber"];
    private DicomDataset _exam = new();

    public string? Message { get; private set; }
    public bool MessageOk { get; private set; }

    public string Value(string keyword) => _exam.TryGetString(DicomDictionary.Find(keyword)!.Tag) ?? "";

    public void OnGet() => _exam = control.Exam();

    public void OnPost()
    {
        var exam = new DicomDataset();
        var problems = new List<string>();
        foreach (var keyword in Keywords)
        {
            var value = (Request.Form[keyword].ToString() ?? "").Trim();
            if (value.Length == 0)
                continue;
            var entry = DicomDictionary.Find(keyword)!;
            try
            {
                exam.Set(entry.Tag, entry.VR, value);
            }
            catch (DicomValueException e)
            {
                problems.Add($"{keyword}: {e.Message}");
            }
        }
        _exam = exam;
        if (problems.Count > 0)
        {
            Message = string.Join("; ", problems);
            return;
        }
        control.SetExam(exam);
        // The log says that the exam changed, never what it holds.
        this.Audit(loggers, "next exam set");
        Message = "The next acquisitions will carry this patient and accession number.";
        MessageOk = true;
    }
}
