using System.Globalization;
using Gateway.Web;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>
/// Worklists as a RIS answers them, for the page's tests: names in Latin-1 and Japanese (with their ideographic and
/// phonetic groups), a step missing what images are filed under (with the problems the reader names), and a hostile
/// name; and a long day's list.
/// </summary>
internal static class WorklistSamples
{
    public const string Hostile = "<script>alert(1)</script>^Eve";

    public static IReadOnlyList<WorklistRow> Rows { get; } =
    [
        Row("sps-1001", "MÜLLER^Hans", "P-1001", "1961-04-12", "M", "ACC-1001", "Chest PA and lateral", "Chest 2 views", "08:30"),
        Row("sps-1002", "Yamada^Tarou=山田^太郎=やまだ^たろう", "P-1002", "1975-11-03", "M", "ACC-1002", "Knee left", "Knee AP", "09:00"),
        Row("sps-1003", "DUPRÉ^Hélène", "P-1003", "1999-02-28", "F", "ACC-1003", "Hand right", null, "09:30"),
        Row("sps-1004", "O'BRIEN^Siobhan", "P-1004", null, null, null, "Pelvis", "Pelvis AP", "10:00",
            "the Study Instance UID (0020,000D) is missing: images could not be filed under this order",
            "the accession number is missing"),
        Row("sps-1005", Hostile, "P-<b>5</b>", "1980-01-01", "O", "ACC\"><i>5", "<img src=x onerror=alert(2)>", null, "10:30"),
        Row("sps-1006", "Smith^John", "P-1006", "1950-07-07", "M", "ACC-1006", "Wrist left", "Wrist 2 views", "11:00"),
    ];

    /// <summary>A list as fetched now.</summary>
    public static WorklistView Fresh(IReadOnlyList<WorklistRow>? rows = null) => new(true, rows ?? Rows, DateTimeOffset.Now, null);

    /// <summary>A long day: <paramref name="count"/> steps, every tenth with a problem.</summary>
    public static IReadOnlyList<WorklistRow> Many(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Row(
            string.Create(CultureInfo.InvariantCulture, $"sps-{i:D4}"),
            string.Create(CultureInfo.InvariantCulture, $"PATIENT{i:D4}^Given{i % 37}"),
            string.Create(CultureInfo.InvariantCulture, $"ID-{i:D5}"),
            "1970-01-01", i % 2 == 0 ? "F" : "M",
            string.Create(CultureInfo.InvariantCulture, $"A{i:D6}"),
            "Chest PA", "Chest 1 view",
            string.Create(CultureInfo.InvariantCulture, $"{7 + i / 60 % 12:D2}:{i % 60:D2}"),
            i % 10 == 9 ? ["the Study Instance UID (0020,000D) is not a UID"] : []))];

    public static WorklistRow Row(string key, string? name, string? id, string? birth, string? sex, string? accession, string? procedure, string? step,
        string time, params string[] problems) =>
        new(key, name, id, birth, sex, accession, procedure, step, "DX", DateTimeOffset.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), time, problems);

    /// <summary>Nothing of any sample patient or step: names, IDs, accessions, keys.</summary>
    public static void AssertNoPatientData(string log)
    {
        foreach (var row in WorklistSamples.Rows)
        {
            foreach (var value in new[] { row.PatientId, row.AccessionNumber, row.Key, row.PatientName?.Split('^')[0] })
            {
                if (value is { Length: > 0 })
                    Assert.DoesNotContain(value, log, StringComparison.OrdinalIgnoreCase);
            }
        }
        Assert.DoesNotContain("Hans", log, StringComparison.Ordinal);
        Assert.DoesNotContain("山田", log, StringComparison.Ordinal);
    }
}
