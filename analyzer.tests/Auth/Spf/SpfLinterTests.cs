using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

public sealed class SpfLinterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An offline resolver over a zone text: the linter's DNS without a network.</summary>
    private static Task<SpfLintReport> LintAsync(string zone, string domain = "example.com") =>
        new SpfLinter(new DnsResolver(new LocalZone(ZoneFile.Parse(zone, "example.com")), new DnsCache(10, TimeProvider.System), null))
            .LintAsync(domain, Ct);

    [Fact]
    public async Task ExpandsTheTreeAndCountsEachNodesTerms()
    {
        var report = await LintAsync("""
            @        TXT "v=spf1 include:_a.example.com mx redirect=_b.example.com"
            @        MX 10 mail
            mail     A 192.0.2.1
            _a       TXT "v=spf1 a:mail.example.com ip4:192.0.2.0/24 -all"
            _b       TXT "v=spf1 include:_a.example.com -all"
            """);

        Assert.True(report.Holds, string.Join("; ", report.Errors));
        // root: include, mx, redirect; _a: a, reached twice (through the include and through _b's include); _b: include.
        Assert.Equal(6, report.DnsTerms);
        var root = report.Root!;
        Assert.Equal(3, root.DnsTerms);
        Assert.Equal(["include:_a.example.com", "redirect=_b.example.com"], root.Children.Select(c => c.Via));
        Assert.Equal(1, root.Children[0].DnsTerms);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task MoreThanTenTermsBreakTheLimit()
    {
        var zone = "@ TXT \"v=spf1 " + string.Join(' ', Enumerable.Range(0, 11).Select(i => $"a:h{i}.example.com")) + " -all\"\n"
                   + string.Concat(Enumerable.Range(0, 11).Select(i => $"h{i} A 192.0.2.{i}\n"));

        var report = await LintAsync(zone);

        Assert.False(report.Holds);
        Assert.Equal(11, report.DnsTerms);
        Assert.Contains(report.Errors, e => e.Contains("11 DNS-querying terms"));
    }

    [Fact]
    public async Task MoreThanTwoVoidLookupsBreakTheLimit()
    {
        var report = await LintAsync("@ TXT \"v=spf1 a:x.example.com mx:y.example.com exists:z.example.com -all\"\n");

        Assert.False(report.Holds);
        Assert.Equal(3, report.VoidLookups);
    }

    [Theory]
    [InlineData("@ TXT \"v=spf1 +all\"", "lets any host pass")]
    [InlineData("@ TXT \"v=spf1 ?all\"", "neutral")]
    [InlineData("@ TXT \"v=spf1 ptr -all\"", "deprecated")]
    [InlineData("@ TXT \"v=spf1 ip4:10.0.0.0/8 -all\"", "very broad range")]
    [InlineData("@ TXT \"v=spf1 -all redirect=other.example.com\"\nother TXT \"v=spf1 -all\"", "never used")]
    public async Task WarnsAboutRiskyTerms(string zone, string expected)
    {
        var report = await LintAsync(zone + "\n");

        Assert.True(report.Holds);
        Assert.Contains(report.Warnings, w => w.Contains(expected));
    }

    [Fact]
    public async Task WarnsAboutARecordOver512Bytes()
    {
        var terms = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"ip4:198.51.100.{i}"));
        var strings = string.Join(' ', $"v=spf1 {terms} -all".Chunk(200).Select(c => $"\"{new string(c)}\""));
        var report = await LintAsync($"@ TXT ( {strings} )\n");

        Assert.Contains(report.Warnings, w => w.Contains("keep it under 512"));
    }

    [Theory]
    [InlineData("", "no SPF record")]
    [InlineData("@ TXT \"v=spf1 -all\"\n@ TXT \"v=spf1 +all\"\n", "2 SPF records")]
    [InlineData("@ TXT \"v=spf1 include:gone.example.com -all\"\n", "gone.example.com has no SPF record")]
    [InlineData("@ TXT \"v=spf1 include:loop.example.com -all\"\nloop TXT \"v=spf1 include:example.com\"\n", "loop back to example.com")]
    [InlineData("@ TXT \"v=spf1 ip4:192.0.2.300 -all\"\n", "invalid record")]
    public async Task RecordsThatCannotHoldAreErrors(string zone, string expected)
    {
        var report = await LintAsync(zone + "other.example.org. A 192.0.2.1\n");

        Assert.False(report.Holds);
        Assert.Contains(report.Errors, e => e.Contains(expected));
    }
}
