using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth.Dmarc;

/// <summary>The one identifier alignment rule (RFC 9989): strict and relaxed, subdomains, PSD records, tree walk and PSL.</summary>
public sealed class IdentifierAlignmentTests
{
    private static readonly PublicSuffixList Psl = PublicSuffixList.Parse(["com", "bank", "co.uk"]);

    private static FakeDnsResolver Zone() => new FakeDnsResolver()
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .Txt("_dmarc.shop.example.com", "v=DMARC1; p=reject; psd=n")
        .Txt("_dmarc.bank", "v=DMARC1; p=reject; psd=y")
        .Txt("_dmarc.example.co.uk", "v=DMARC1; p=quarantine")
        .Failing("_dmarc.broken.example.com");

    private static async Task<bool> AlignedAsync(DmarcDiscoveryMode mode, string from, string identifier, AlignmentMode alignment)
    {
        var discovery = new DmarcDiscovery(Zone(), mode, mode == DmarcDiscoveryMode.PublicSuffixList ? Psl : null);
        var organization = await discovery.OrganizationalDomainAsync(from, CancellationToken.None);
        return await IdentifierAlignment.AlignedAsync(discovery, from, organization, identifier, alignment, CancellationToken.None);
    }

    [Theory]
    [InlineData("example.com", "example.com", true, true)]
    [InlineData("example.com", "EXAMPLE.com.", true, true)]
    [InlineData("example.com", "mail.example.com", true, false)]
    [InlineData("mail.example.com", "example.com", true, false)]
    [InlineData("example.com", "mail.example.com", false, true)]
    [InlineData("mail.example.com", "example.com", false, true)]
    [InlineData("mail.example.com", "bounce.example.com", false, true)]
    [InlineData("example.com", "notexample.com", false, false)]
    [InlineData("example.com", "example.net", false, false)]
    [InlineData("example.com", "not a domain", false, false)]
    [InlineData("mail.example.co.uk", "example.co.uk", false, true)]
    [InlineData("example.co.uk", "other.co.uk", false, false)]
    [InlineData("example.co.uk", "co.uk", false, false)]
    public async Task StrictIsTheSameNameAndRelaxedTheSameOrganization(string from, string identifier, bool strict, bool aligned)
    {
        var alignment = strict ? AlignmentMode.Strict : AlignmentMode.Relaxed;
        Assert.Equal(aligned, await AlignedAsync(DmarcDiscoveryMode.TreeWalk, from, identifier, alignment));
        Assert.Equal(aligned, await AlignedAsync(DmarcDiscoveryMode.PublicSuffixList, from, identifier, alignment));
    }

    [Theory]
    // psd=y on "bank": each child of it is an organisation of its own.
    [InlineData("www.mybank.bank", "mybank.bank", true)]
    [InlineData("mybank.bank", "mail.mybank.bank", true)]
    [InlineData("mybank.bank", "other.bank", false)]
    [InlineData("mybank.bank", "bank", false)]
    public async Task APublicSuffixDomainRecordSeparatesItsChildren(string from, string identifier, bool aligned) =>
        Assert.Equal(aligned, await AlignedAsync(DmarcDiscoveryMode.TreeWalk, from, identifier, AlignmentMode.Relaxed));

    [Fact]
    public async Task TheTreeWalkAndThePslCanDisagree()
    {
        // psd=n makes shop.example.com an organisation of its own for the tree walk; the PSL knows only "com".
        Assert.False(await AlignedAsync(DmarcDiscoveryMode.TreeWalk, "shop.example.com", "mail.example.com", AlignmentMode.Relaxed));
        Assert.True(await AlignedAsync(DmarcDiscoveryMode.PublicSuffixList, "shop.example.com", "mail.example.com", AlignmentMode.Relaxed));
        Assert.True(await AlignedAsync(DmarcDiscoveryMode.TreeWalk, "shop.example.com", "www.shop.example.com", AlignmentMode.Relaxed));
    }

    [Fact]
    public async Task DnsTroubleWhileSeekingTheIdentifiersOrganizationIsATempError() =>
        await Assert.ThrowsAsync<DmarcTempErrorException>(() =>
            AlignedAsync(DmarcDiscoveryMode.TreeWalk, "example.com", "broken.example.com", AlignmentMode.Relaxed));

    [Theory]
    [InlineData("example.com", true, true)]
    [InlineData("Example.COM.", true, true)]
    [InlineData("mail.example.com", true, false)]
    [InlineData("mail.example.com", false, true)]
    [InlineData("deep.mail.example.com", false, true)]
    [InlineData("example.net", false, false)]
    [InlineData("badexample.com", false, false)]
    [InlineData("", false, false)]
    public void CouldAlignIsTheRuleWithoutDns(string identifier, bool strict, bool could) =>
        Assert.Equal(could, IdentifierAlignment.CouldAlign(identifier, "example.com", "example.com", strict ? AlignmentMode.Strict : AlignmentMode.Relaxed));

    [Fact]
    public async Task AnUnverifiedIdentifierCouldAlignOnlyAsTheRecordAllows()
    {
        var zone = Zone().Txt("_dmarc.strict.example", "v=DMARC1; p=reject; adkim=s; aspf=s");
        var evaluator = new DmarcEvaluator(zone);
        var noSpf = new SpfOutcome(SpfResultCode.None, "");
        var strict = await evaluator.EvaluateAsync(["joe@strict.example"], noSpf, [], CancellationToken.None);
        Assert.Equal((AlignmentMode.Strict, AlignmentMode.Strict), (strict.SpfAlignment, strict.DkimAlignment));
        Assert.True(strict.CouldAlignSpf("strict.example"));
        Assert.False(strict.CouldAlignSpf("bounce.strict.example"));
        Assert.False(strict.CouldAlignDkim("mail.strict.example"));
        var relaxed = await evaluator.EvaluateAsync(["joe@mail.example.com"], noSpf, [new DkimResult(DkimResultCode.TempError, "example.com", "s", null, null)], CancellationToken.None);
        Assert.Equal((DmarcResultCode.Fail, "example.com"), (relaxed.Result, relaxed.OrganizationalDomain));
        Assert.True(relaxed.CouldAlignDkim("example.com"));
        Assert.True(relaxed.CouldAlignSpf("bounce.example.com"));
        Assert.False(relaxed.CouldAlignSpf("example.org"));
    }
}
