using System.Security.Cryptography;
using System.Text;

namespace Gateway.Web;

/// <summary>
/// How the worklist and the exam read on the page (issue #17): person names in a technician's order, the exam's source
/// and state in words, and the search over name, patient ID and accession number.
/// </summary>
internal static class WorklistText
{
    /// <summary>
    /// A PN value for a person: "FAMILY^Given^Middle^Prefix^Suffix" becomes "FAMILY, Given Middle Prefix Suffix"; the
    /// ideographic and phonetic groups after "=" (PS3.5 §6.2.1.1) follow in parentheses, so "Yamada^Tarou=山田^太郎"
    /// reads "Yamada, Tarou (山田 太郎)". Null or empty: "(no name)".
    /// </summary>
    public static string Name(string? pn)
    {
        if (string.IsNullOrWhiteSpace(pn))
            return "(no name)";
        var groups = pn.Split('=').Select((g, i) => Group(g, alphabetic: i == 0)).ToList();
        var first = groups.FindIndex(g => g.Length > 0);
        if (first < 0)
            return "(no name)";
        var others = groups.Where((g, i) => i != first && g.Length > 0).ToList();
        return others.Count == 0 ? groups[first] : $"{groups[first]} ({string.Join(" · ", others)})";
    }

    private static string Group(string group, bool alphabetic)
    {
        var parts = group.Split('^').Select(p => p.Trim()).ToList();
        var family = parts[0];
        var rest = string.Join(' ', parts.Skip(1).Where(p => p.Length > 0));
        if (family.Length == 0)
            return rest;
        if (rest.Length == 0)
            return family;
        // Ideographic and phonetic names read family name then given name, without a comma.
        return alphabetic ? $"{family}, {rest}" : $"{family} {rest}";
    }

    /// <summary>A refusal of the service ("an exam is in progress …: end or cancel it first") as the end of a sentence.</summary>
    public static string Sentence(string refusal)
    {
        var text = refusal.Trim();
        return text.Length == 0 || text[^1] is '.' or '!' or '?' ? text : text + ".";
    }

    /// <summary>Where the next exam's patient came from, in words.</summary>
    public static string Source(string source) => source switch
    {
        "worklist" => "selected from the worklist",
        "manual" => "entered by hand (unscheduled)",
        "configuration" => "from the configuration file",
        _ => "none",
    };

    /// <summary>The exam's state in words.</summary>
    public static string State(ExamView exam) => exam.State switch
    {
        "in progress" => "in progress",
        "selected" => "selected, waiting for the first image",
        _ => exam.State,
    };

    /// <summary>
    /// Which exam this is, as a short opaque string: it changes when the patient, the step, the source or the state
    /// changes, not with the image count. A confirmation carries it (so it ends the exam it was shown for, not the next
    /// one), and /api/status carries it (so the status page can tell that its exam is out of date) — a hash, so
    /// neither holds the patient's data.
    /// </summary>
    public static string Version(ExamView exam)
    {
        var text = string.Join('\u001f', exam.Source, exam.StepKey, exam.PatientName, exam.PatientId, exam.AccessionNumber, exam.Procedure, exam.State,
            exam.Started?.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
    }

    /// <summary>
    /// Whether a step matches what the technician typed: every word of the query occurs, ignoring case (for any script:
    /// "müller" finds "MÜLLER^Hans"), in the name (with its "^" and "=" read as spaces), the patient ID or the accession
    /// number. An empty query matches every step.
    /// </summary>
    public static bool Matches(WorklistRow row, string? query)
    {
        var words = Fold(query).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            return true;
        var haystack = $"{Fold(row.PatientName)} {Fold(row.PatientId)} {Fold(row.AccessionNumber)}";
        return words.All(w => haystack.Contains(w, StringComparison.Ordinal));
    }

    /// <summary>
    /// Upper case in every script, separators as spaces. Not accent-blind, and not normalised: the box runs without ICU
    /// (InvariantGlobalization), where neither is available — phones' keyboards send composed letters, as RISs do.
    /// </summary>
    internal static string Fold(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var b = new StringBuilder(text.Length);
        foreach (var c in text)
            b.Append(c is '^' or '=' or '\\' || char.IsWhiteSpace(c) ? ' ' : c);
        return b.ToString().ToUpperInvariant();
    }
}
