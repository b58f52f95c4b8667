using DmarcAnalyzer.Auth.Dmarc;

namespace DmarcAnalyzer.Tests.Auth.Dmarc;

public sealed class DmarcRecordCheckTests
{
    private static readonly PublicSuffixList Psl = PublicSuffixList.Parse(["com", "net", "uk", "co.uk", "blogspot.com"]);

    private static async Task<DmarcCheckReport> CheckAsync(FakeDnsResolver dns, string domain, PublicSuffixList? psl = null) =>
        await new DmarcRecordCheck(dns, psl ?? Psl).CheckAsync(domain, CancellationToken.None);

    private static IEnumerable<string> Lines(DmarcCheckReport report) => report.Findings.Select(f => $"{f.Severity}: {f.Message}");

    [Fact]
    public async Task CleanRecordHasNoErrors()
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:agg@example.com,mailto:x@reports.example.net")
            .Txt("example.com._report._dmarc.reports.example.net", "v=DMARC1");
        var report = await CheckAsync(dns, "example.com");
        Assert.False(report.HasErrors, string.Join("\n", Lines(report)));
        Assert.Contains("info: p=reject sp=reject np=reject adkim=r aspf=r t=n psd=u", Lines(report));
        Assert.Contains(Lines(report), l => l.Contains("external destination reports.example.net authorises reports"));
        Assert.DoesNotContain(Lines(report), l => l.Contains("disagree"));
    }

    [Theory]
    [InlineData("v=DMARC1; p=bogus", "error: p=bogus and no valid rua=: receivers apply no DMARC processing to mail from example.com (RFC 9989 §4.10.1)")]
    [InlineData("v=DMARC1; np=never", "error: no p=, np=never and no valid rua=: receivers apply no DMARC processing")]
    [InlineData("v=DMARC1; p=bogus; rua=mailto:agg@example.com", "warning: p=bogus: receivers act as if the record said p=none")]
    public async Task AnInvalidPolicyIsReportedAsReceiversTreatIt(string record, string finding)
    {
        var lines = Lines(await CheckAsync(new FakeDnsResolver().Txt("_dmarc.example.com", record), "example.com"));
        Assert.Contains(lines, l => l.StartsWith(finding, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FindsTheUsualMistakes()
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.example.com", "v=DMARC1; p=quarantine; pct=50; t=y; ruf=mailto:f@other.example.org")
            .Txt("_dmarc.example.com", "p=none; v=DMARC1");
        var lines = Lines(await CheckAsync(dns, "example.com")).ToList();
        Assert.Contains(lines, l => l.StartsWith("error: _dmarc.example.com has a record that does not start with v=DMARC1"));
        Assert.Contains(lines, l => l.StartsWith("warning: pct was removed by RFC 9989"));
        Assert.Contains(lines, l => l.StartsWith("warning: t=y: testing mode"));
        Assert.Contains(lines, l => l.StartsWith("warning: no rua="));
        Assert.Contains(lines, l => l.StartsWith("error: ruf: external destination other.example.org has not authorised"));
    }

    [Fact]
    public async Task TwoRecordsAndNoRecord()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.example.com", "v=DMARC1; p=none").Txt("_dmarc.example.com", "v=DMARC1; p=reject");
        var report = await CheckAsync(dns, "example.com");
        Assert.Contains("error: _dmarc.example.com has 2 DMARC records; receivers ignore them all (RFC 9989)", Lines(report));
        Assert.Contains(Lines(report), l => l.StartsWith("error: no DMARC record applies to example.com"));
    }

    [Fact]
    public async Task SaysWhereTreeWalkAndPslDisagree()
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.blogspot.com", "v=DMARC1; p=reject; rua=mailto:r@blogspot.com");
        var lines = Lines(await CheckAsync(dns, "x.blogspot.com")).ToList();
        Assert.Contains("info: no record at _dmarc.x.blogspot.com; the record at _dmarc.blogspot.com applies, with its sp=/np=", lines);
        Assert.Contains("warning: tree walk and Public Suffix List disagree: organisational domain blogspot.com (RFC 9989) but x.blogspot.com (PSL, RFC 7489 receivers)", lines);
        Assert.Contains("warning: tree walk and Public Suffix List disagree: policy from _dmarc.blogspot.com (RFC 9989) but from no record (PSL, RFC 7489 receivers)", lines);
    }

    [Fact]
    public async Task DnsFailureIsAnError()
    {
        var report = await CheckAsync(new FakeDnsResolver().Failing("_dmarc.example.com"), "example.com");
        Assert.True(report.HasErrors);
        Assert.Contains("DNS failure", report.Findings[0].Message);
    }
}
