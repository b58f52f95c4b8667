using DmarcAnalyzer.Filter.Outgoing;
using DmarcAnalyzer.Tests.Auth;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>rua= destinations, their size limits, and the RFC 9990 check of external destinations.</summary>
public sealed class ReportDestinationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void SizeSuffixesAreHonoured()
    {
        var destinations = ReportDestination.Parse(
            "mailto:a@example.com!10m, mailto:b@example.com!500k,mailto:c@example.com!2g,mailto:d@example.com!4096,mailto:e@example.com");
        Assert.Equal([10L << 20, 500L << 10, 2L << 30, 4096L, null], destinations.Select(d => d.MaxBytes));
    }

    [Fact]
    public void OnlyUsableMailtoAddressesAreKeptOnce()
    {
        var destinations = ReportDestination.Parse(
            "https://example.com/r, mailto:, mailto:no-at, mailto:A@Example.com, mailto:a@example.com?subject=x, mailto:b%2Bdmarc@example.org!junk");
        Assert.Equal(["A@Example.com", "b+dmarc@example.org"], destinations.Select(d => d.Address));
        Assert.Null(destinations[1].MaxBytes);
        Assert.Equal("example.com", destinations[0].Host);
        // What is left out goes into the report's error element.
        Assert.Equal(["https://example.com/r", "mailto:", "mailto:no-at"],
            ReportDestination.Split("https://example.com/r, mailto:, mailto:no-at, mailto:a@example.com").Unusable);
    }

    [Fact]
    public void TheRuaTagIsFoundInTheRecordText()
    {
        Assert.Equal("mailto:a@example.com!10m", ReportDestination.RuaOf("v=DMARC1; p=none; RUA = mailto:a@example.com!10m ; ruf=mailto:f@example.com"));
        Assert.Null(ReportDestination.RuaOf("v=DMARC1; p=none; ruf=mailto:f@example.com"));
        Assert.Null(ReportDestination.RuaOf("v=DMARC1; p=none; rua="));
    }

    [Theory]
    [InlineData("example.com", false)]
    [InlineData("reports.example.com", false)]
    [InlineData("example.org", true)]
    [InlineData("notexample.com", true)]
    public void ExternalMeansOutsideTheOrganisationalDomain(string host, bool external) =>
        Assert.Equal(external, ExternalDestinations.IsExternal(host, "example.com"));

    [Fact]
    public async Task AnExternalDestinationNeedsItsAuthorisationRecord()
    {
        var dns = new FakeDnsResolver()
            .Txt("example.com._report._dmarc.reports.example.org", "v=DMARC1")
            .Txt("example.com._report._dmarc.other.example.net", "v=spf1 -all")
            .Failing("example.com._report._dmarc.broken.example.net");
        var check = new ExternalDestinations(dns);
        async Task<DestinationCheck> CheckAsync(string address) =>
            (await check.CheckAsync("example.com", "example.com", new ReportDestination(address, null), Ct)).Check;

        Assert.Equal(DestinationCheck.Authorised, await CheckAsync("dmarc@example.com"));
        Assert.Equal(DestinationCheck.Authorised, await CheckAsync("agg@reports.example.org"));
        Assert.Equal(DestinationCheck.NotAuthorised, await CheckAsync("agg@other.example.net"));
        Assert.Equal(DestinationCheck.NotAuthorised, await CheckAsync("agg@nothing.example.net"));
        Assert.Equal(DestinationCheck.TempError, await CheckAsync("agg@broken.example.net"));
        Assert.DoesNotContain(dns.Queries, q => q.Contains("example.com._report._dmarc.example.com"));
    }

    [Fact]
    public async Task TheAuthorisationRecordMayReplaceTheDestinationOnItsOwnHostOnly()
    {
        var dns = new FakeDnsResolver()
            .Txt("example.com._report._dmarc.reports.example.org", "v=DMARC1; rua=mailto:example-com@reports.example.org!5m")
            .Txt("example.com._report._dmarc.relay.example.org", "v=DMARC1; rua=mailto:agg@third-party.example")
            .Txt("example.com._report._dmarc.late.example.org", "rua=mailto:agg@late.example.org; v=DMARC1");
        var check = new ExternalDestinations(dns);

        var replaced = await check.CheckAsync("example.com", "example.com", new ReportDestination("agg@reports.example.org", null), Ct);
        Assert.Equal(DestinationCheck.Authorised, replaced.Check);
        Assert.Equal(new ReportDestination("example-com@reports.example.org", 5L << 20), Assert.Single(replaced.SendTo));

        // An override on another host: neither the original nor the override gets a report.
        var elsewhere = await check.CheckAsync("example.com", "example.com", new ReportDestination("agg@relay.example.org", null), Ct);
        Assert.Equal(DestinationCheck.NotAuthorised, elsewhere.Check);
        Assert.Empty(elsewhere.SendTo);
        Assert.Contains("agg@third-party.example", elsewhere.Why);

        // v=DMARC1 must come first.
        Assert.Equal(DestinationCheck.NotAuthorised,
            (await check.CheckAsync("example.com", "example.com", new ReportDestination("agg@late.example.org", null), Ct)).Check);
    }

    [Fact]
    public async Task ANameTooLongForDnsIsNotAuthorisedWithoutAQuery()
    {
        var dns = new FakeDnsResolver();
        var policyDomain = string.Join('.', Enumerable.Repeat(new string('a', 60), 3)) + ".example";
        var verdict = await new ExternalDestinations(dns).CheckAsync(policyDomain, policyDomain,
            new ReportDestination($"agg@{new string('b', 60)}.example.org", null), Ct);
        Assert.Equal(DestinationCheck.NotAuthorised, verdict.Check);
        Assert.Contains("too long", verdict.Why);
        Assert.Empty(dns.Queries);
    }

    [Fact]
    public async Task AnInternationalPolicyDomainIsLookedUpInALabels()
    {
        var dns = new FakeDnsResolver().Txt("xn--bcher-kva.example._report._dmarc.reports.example.org", "v=DMARC1");
        var verdict = await new ExternalDestinations(dns).CheckAsync("bücher.example", "bücher.example",
            new ReportDestination("agg@reports.example.org", null), Ct);
        Assert.Equal(DestinationCheck.Authorised, verdict.Check);
    }
}
