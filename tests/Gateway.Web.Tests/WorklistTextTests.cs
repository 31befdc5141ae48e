using Gateway.Web;
using Xunit;

namespace Gateway.Web.Tests;

/// <summary>Issue #17: names as a technician reads them, and the search over any script.</summary>
public sealed class WorklistTextTests
{
    [Theory]
    [InlineData("MÜLLER^Hans", "MÜLLER, Hans")]
    [InlineData("Yamada^Tarou=山田^太郎=やまだ^たろう", "Yamada, Tarou (山田 太郎 · やまだ たろう)")]
    [InlineData("=山田^太郎", "山田 太郎")]
    [InlineData("DOE^John^Q^Dr^Jr", "DOE, John Q Dr Jr")]
    [InlineData("CHER", "CHER")]
    [InlineData("^Anna", "Anna")]
    [InlineData("", "(no name)")]
    [InlineData(null, "(no name)")]
    [InlineData("^^=^", "(no name)")]
    public void A_person_name_reads_family_name_first_with_its_other_groups_after_it(string? pn, string shown) =>
        Assert.Equal(shown, WorklistText.Name(pn));

    [Theory]
    [InlineData("müller", true)]
    [InlineData("MÜLLER", true)]
    [InlineData("hans müller", true)]
    [InlineData("muller", false)]
    [InlineData("p-1001", true)]
    [InlineData("acc-1001", true)]
    [InlineData("  ", true)]
    [InlineData("hans^müller", true)]
    [InlineData("otto", false)]
    public void The_search_matches_every_word_in_name_ID_or_accession_ignoring_case(string query, bool matches)
    {
        var row = WorklistSamples.Rows[0];
        Assert.Equal(matches, WorklistText.Matches(row, query));
    }

    [Fact]
    public void Folding_upper_cases_every_script_and_reads_separators_as_spaces()
    {
        Assert.Equal("MÜLLER HANS", WorklistText.Fold("Müller^Hans"));
        Assert.Equal("ÉLODIE ΣΟΦΊΑ ДАРЬЯ", WorklistText.Fold("élodie σοφία дарья"));
        Assert.Equal("山田 太郎", WorklistText.Fold("山田^太郎"));
    }
}
