using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Tests.Analysis;

public sealed class SmallPartsTests
{
    [Theory]
    [InlineData("2026-W07", 2026, 7)]
    [InlineData("2020-W53", 2020, 53)]
    public void IsoWeeksParse(string text, int year, int week)
    {
        Assert.True(IsoWeek.TryParse(text, out var parsed));
        Assert.Equal(new IsoWeek(year, week), parsed);
        Assert.Equal(text, parsed.ToString());
        Assert.Equal(DayOfWeek.Monday, parsed.Monday.DayOfWeek);
    }

    [Theory]
    [InlineData("2027-W53")]
    [InlineData("2026-W00")]
    [InlineData("2026-07")]
    [InlineData("W07")]
    public void BadIsoWeeksAreRefused(string text) => Assert.False(IsoWeek.TryParse(text, out _));

    [Fact]
    public void TheFirstDaysOfJanuaryCanBelongToThePreviousIsoYear() =>
        Assert.Equal(new IsoWeek(2020, 53), IsoWeek.Of(new DateOnly(2021, 1, 3)));

    [Theory]
    [InlineData("mta1.mail.example.co.uk", "example.co.uk")]
    [InlineData("host.example.com.", "example.com")]
    [InlineData("a.b.c.kawasaki.jp", "b.c.kawasaki.jp")]
    [InlineData("www.city.kawasaki.jp", "city.kawasaki.jp")]
    [InlineData("co.uk", "co.uk")]
    [InlineData("localhost", "localhost")]
    public void BaseDomainsFollowThePublicSuffixList(string name, string expected)
    {
        var list = BaseDomain.Parse(
        [
            "// ===BEGIN ICANN DOMAINS===", "com", "uk", "co.uk", "jp", "*.kawasaki.jp", "!city.kawasaki.jp", "// ===END ICANN DOMAINS===",
            "// ===BEGIN PRIVATE DOMAINS===", "example.com", "// ===END PRIVATE DOMAINS===",
        ]);
        Assert.Equal(expected, list.Of(name));
    }

    [Fact]
    public void WithoutTheListTheLastTwoLabelsAreTheBaseDomain() =>
        Assert.Equal("example.net", BaseDomain.Heuristic.Of("a.b.example.net"));

    [Fact]
    public void TheDebianListWhenInstalledKnowsMultiLabelSuffixes()
    {
        if (!File.Exists(BaseDomain.DebianListPath))
            Assert.Skip("publicsuffix is not installed");
        Assert.Equal("example.co.uk", BaseDomain.LoadOrHeuristic(BaseDomain.DebianListPath).Of("mail.example.co.uk"));
        Assert.Equal("amazonaws.com", BaseDomain.LoadOrHeuristic(BaseDomain.DebianListPath).Of("ec2-1-2-3-4.compute-1.amazonaws.com"));
    }
}
