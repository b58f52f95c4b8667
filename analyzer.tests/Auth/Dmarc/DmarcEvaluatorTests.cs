using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth.Dmarc;

public sealed class DmarcEvaluatorTests
{
    private static readonly SpfOutcome NoSpf = new(SpfResultCode.None, "");

    private static FakeDnsResolver Zone() => new FakeDnsResolver()
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:agg@example.com")
        .Txt("_dmarc.example.com", "some-other=text")
        .A("example.com").A("mail.example.com").A("bounce.example.com")
        .Txt("_dmarc.strict.example", "v=DMARC1; p=reject; adkim=s; aspf=s").A("strict.example").A("mail.strict.example")
        .Txt("_dmarc.example.co.uk", "v=DMARC1; p=quarantine").A("example.co.uk").A("mail.example.co.uk")
        .A("other.co.uk")
        .Txt("_dmarc.testing.example", "v=DMARC1; p=reject; t=y").A("testing.example")
        .Txt("_dmarc.old.example", "v=DMARC1; p=quarantine; pct=0").A("old.example")
        .Txt("_dmarc.half.example", "v=DMARC1; p=reject; pct=50").A("half.example")
        .Txt("_dmarc.twice.example", "v=DMARC1; p=reject").Txt("_dmarc.twice.example", "v=DMARC1; p=none")
        .Txt("_dmarc.bank", "v=DMARC1; p=reject; psd=y").A("mybank.bank").A("www.mybank.bank")
        .Failing("_dmarc.broken.example");

    private static DkimResult Dkim(string domain, DkimResultCode result = DkimResultCode.Pass) => new(result, domain, "sel", "abcdefgh", null);

    private static Task<DmarcResult> EvaluateAsync(string from, SpfOutcome? spf = null, params DkimResult[] dkim) =>
        new DmarcEvaluator(Zone()).EvaluateAsync([from], spf ?? NoSpf, dkim, CancellationToken.None);

    [Theory]
    // From domain, DKIM d=, expected result, expected disposition: relaxed alignment across subdomains.
    [InlineData("joe@example.com", "example.com", "pass", "none")]
    [InlineData("joe@mail.example.com", "example.com", "pass", "none")]
    [InlineData("joe@example.com", "mail.example.com", "pass", "none")]
    [InlineData("joe@mail.example.com", "bounce.example.com", "pass", "none")]
    [InlineData("joe@example.com", "example.net", "fail", "reject")]
    [InlineData("joe@example.com", "notexample.com", "fail", "reject")]
    [InlineData("joe@mail.example.com", "example.net", "fail", "quarantine")]
    // Strict alignment: only the same name.
    [InlineData("joe@strict.example", "strict.example", "pass", "none")]
    [InlineData("joe@mail.strict.example", "strict.example", "fail", "reject")]
    [InlineData("joe@strict.example", "mail.strict.example", "fail", "reject")]
    // Multi-label public suffix: example.co.uk and other.co.uk are different organisations.
    [InlineData("joe@mail.example.co.uk", "example.co.uk", "pass", "none")]
    [InlineData("joe@example.co.uk", "other.co.uk", "fail", "quarantine")]
    [InlineData("joe@example.co.uk", "co.uk", "fail", "quarantine")]
    // A public suffix operator's record (psd=y): its children are organisations of their own.
    [InlineData("joe@www.mybank.bank", "mybank.bank", "pass", "none")]
    [InlineData("joe@mybank.bank", "other.bank", "fail", "reject")]
    public async Task DkimAlignment(string from, string dkimDomain, string result, string disposition)
    {
        var r = await EvaluateAsync(from, null, Dkim(dkimDomain));
        Assert.Equal((result, disposition), (r.Result.Word(), r.Disposition.Word()));
        Assert.Equal(result == "pass", r.DkimAligned);
    }

    [Theory]
    [InlineData("joe@example.com", "pass", "bounce.example.com", "pass")]
    [InlineData("joe@example.com", "fail", "example.com", "fail")]
    [InlineData("joe@example.com", "softfail", "example.com", "fail")]
    [InlineData("joe@example.com", "pass", "example.org", "fail")]
    [InlineData("joe@strict.example", "pass", "mail.strict.example", "fail")]
    [InlineData("joe@strict.example", "pass", "strict.example", "pass")]
    public async Task SpfAlignment(string from, string spfResult, string spfDomain, string result)
    {
        var r = await EvaluateAsync(from, new SpfOutcome(AuthenticationResultWords.SpfResult(spfResult)!.Value, spfDomain));
        Assert.Equal(result, r.Result.Word());
        Assert.Equal(result == "pass", r.SpfAligned);
    }

    [Fact]
    public async Task FailedDkimDoesNotAlign()
    {
        var r = await EvaluateAsync("joe@example.com", null, Dkim("example.com", DkimResultCode.Fail), Dkim("example.net"));
        Assert.Equal(DmarcResultCode.Fail, r.Result);
        var ok = await EvaluateAsync("joe@example.com", null, Dkim("example.net"), Dkim("example.com"));
        Assert.Equal((DmarcResultCode.Pass, "example.com"), (ok.Result, ok.AlignedDkimDomain));
    }

    [Theory]
    [InlineData("joe@example.com", "reject", "p")]
    [InlineData("joe@mail.example.com", "quarantine", "sp")]
    [InlineData("joe@nowhere.example.com", "reject", "np")]
    [InlineData("joe@mail.example.co.uk", "quarantine", "p")]
    [InlineData("joe@mybank.bank", "reject", "p")]
    public async Task PolicyThatApplies(string from, string policy, string source)
    {
        var r = await EvaluateAsync(from);
        Assert.Equal((DmarcResultCode.Fail, policy, source), (r.Result, r.Policy?.Word(), r.PolicySource));
    }

    [Fact]
    public async Task TestingModeLowersTheDispositionOneLevel()
    {
        var r = await EvaluateAsync("joe@testing.example");
        Assert.Equal((DmarcResultCode.Fail, DmarcPolicy.Reject, DmarcPolicy.Quarantine, true), (r.Result, r.Policy, r.Disposition, r.Testing));
    }

    [Fact]
    public async Task OldPctZeroIsTestingAndOtherPctIsIgnoredWithAReason()
    {
        var zero = await EvaluateAsync("joe@old.example");
        Assert.Equal((DmarcPolicy.Quarantine, DmarcPolicy.None, true, 0), (zero.Policy, zero.Disposition, zero.Testing, zero.Percent));
        Assert.Contains("pct=0 read as t=y", zero.Reason);
        var half = await EvaluateAsync("joe@half.example");
        Assert.Equal((DmarcPolicy.Reject, 50), (half.Disposition, half.Percent));
        Assert.Contains("pct=50 ignored", half.Reason);
    }

    [Fact]
    public async Task The_authentication_results_comment_says_what_became_of_pct()
    {
        var half = await EvaluateAsync("joe@half.example");
        var field = AuthenticationResultsWriter.Write("mx.example.net", null, [], half);
        Assert.Contains("dmarc=fail (p=reject dis=reject) (pct=50 ignored, removed by RFC 9989: policy applied to every message)", field);
        var passing = await EvaluateAsync("joe@half.example", null, Dkim("half.example"));
        Assert.Equal("pct=50 ignored, removed by RFC 9989: policy applied to every message", passing.Reason);
        var zero = await EvaluateAsync("joe@old.example");
        Assert.Contains("(p=quarantine dis=none t=y) (pct=0 read as t=y", AuthenticationResultsWriter.Write("mx.example.net", null, [], zero));
    }

    [Theory]
    [InlineData("joe@unknown.example", "none", "no DMARC policy record")]
    [InlineData("joe@twice.example", "none", "no DMARC policy record")]
    [InlineData("joe@broken.example", "temperror", "_dmarc.broken.example")]
    [InlineData("joe@sub.broken.example", "temperror", "_dmarc.broken.example")]
    public async Task NoneAndTempError(string from, string result, string reason)
    {
        var r = await EvaluateAsync(from, null, Dkim("unknown.example"));
        Assert.Equal((result, DmarcPolicy.None), (r.Result.Word(), r.Disposition));
        Assert.Contains(reason, r.Reason);
    }

    [Theory]
    [InlineData(new string[0], "no From header field")]
    [InlineData(new[] { "a@example.com", "b@example.com" }, "2 From header fields")]
    [InlineData(new[] { "Joe <joe@example.com" }, "cannot be parsed")]
    [InlineData(new[] { "\"unterminated <joe@example.com>" }, "cannot be parsed")]
    [InlineData(new[] { "undisclosed-recipients:;" }, "no address")]
    [InlineData(new[] { "joe" }, "has no domain")]
    [InlineData(new[] { "joe@[192.0.2.1]" }, "unusable domain")]
    [InlineData(new[] { "Friends: ;, Others: ;" }, "no address")]
    [InlineData(new[] { "joe@example.com joe@evil.example" }, "cannot be parsed")]
    public async Task UnusableFromIsPermError(string[] from, string reason)
    {
        var r = await new DmarcEvaluator(Zone()).EvaluateAsync(from, NoSpf, [], CancellationToken.None);
        Assert.Equal(DmarcResultCode.PermError, r.Result);
        Assert.Contains(reason, r.Reason);
    }

    [Theory]
    [InlineData("Joe (the boss) <joe@Example.COM.>", "example.com")]
    [InlineData("\"Doe, John <x@evil.example>\" <john@example.com>", "example.com")]
    [InlineData("\"a@b\"@example.com (comment with <angle@evil.example>)", "example.com")]
    [InlineData("Friends: joe@example.com, ann@example.com;", "example.com")]
    [InlineData("joe@bücher.example", "xn--bcher-kva.example")]
    [InlineData("joe@xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("<@relay.example:joe@example.com>", "example.com")]
    [InlineData("joe . q @ example . com", "example.com")]
    [InlineData("Joe Q. Public <joe@example.com>", "example.com")]
    [InlineData("Pete(A nice \\) chap) <pete(his account)@example.com(his host)>", "example.com")]
    public void AuthorDomainParsing(string from, string domain) =>
        Assert.Equal([domain], AuthorDomains.Find([from]).Domains);

    [Fact]
    public async Task SeveralFromDomainsTakeTheStrictestOutcome()
    {
        var r = await EvaluateAsync("joe@example.com, ann@example.net", null, Dkim("example.com"));
        Assert.Equal((DmarcResultCode.Pass, "example.com"), (r.Result, r.FromDomain));
        var both = await EvaluateAsync("joe@example.com, ann@example.co.uk", null, Dkim("example.com"));
        Assert.Equal((DmarcResultCode.Fail, "example.co.uk", DmarcPolicy.Quarantine), (both.Result, both.FromDomain, both.Disposition));
    }

    private static readonly PublicSuffixList KawasakiPsl = PublicSuffixList.Parse(["uk", "co.uk", "jp", "kawasaki.jp", "*.kawasaki.jp", "!city.kawasaki.jp"]);

    [Theory]
    // From, DKIM d=, result by tree walk, result by Public Suffix List.
    [InlineData("joe@mail.example.co.uk", "example.co.uk", "pass", "pass")]
    [InlineData("joe@example.co.uk", "other.co.uk", "fail", "fail")]
    [InlineData("joe@www.city.kawasaki.jp", "city.kawasaki.jp", "pass", "pass")]
    [InlineData("joe@www.city.kawasaki.jp", "kawasaki.jp", "fail", "fail")]
    // *.kawasaki.jp makes foo.kawasaki.jp a public suffix for the PSL; its DMARC record makes it an organisation for the walk.
    [InlineData("joe@a.foo.kawasaki.jp", "foo.kawasaki.jp", "pass", "fail")]
    public async Task MultiLabelPublicSuffixesInBothModes(string from, string dkimDomain, string byWalk, string byPsl)
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.example.co.uk", "v=DMARC1; p=reject").A("mail.example.co.uk").A("example.co.uk")
            .Txt("_dmarc.city.kawasaki.jp", "v=DMARC1; p=reject").A("www.city.kawasaki.jp")
            .Txt("_dmarc.foo.kawasaki.jp", "v=DMARC1; p=reject").Txt("_dmarc.a.foo.kawasaki.jp", "v=DMARC1; p=reject");
        var ct = CancellationToken.None;
        var walk = await new DmarcEvaluator(dns).EvaluateAsync([from], NoSpf, [Dkim(dkimDomain)], ct);
        var psl = await new DmarcEvaluator(dns, DmarcDiscoveryMode.PublicSuffixList, KawasakiPsl).EvaluateAsync([from], NoSpf, [Dkim(dkimDomain)], ct);
        Assert.Equal((byWalk, byPsl), (walk.Result.Word(), psl.Result.Word()));
        Assert.Equal(DmarcDiscoveryMode.PublicSuffixList, psl.DiscoveryMode);
    }

    [Fact]
    public async Task TreeWalkJumpsToSevenLabelsAndStopsAtEight()
    {
        var dns = new FakeDnsResolver();
        await new DmarcEvaluator(dns).EvaluateAsync(["x@a.b.c.d.e.f.g.h.example.com"], NoSpf, [], CancellationToken.None);
        Assert.Equal(
        [
            "TXT _dmarc.a.b.c.d.e.f.g.h.example.com", "TXT _dmarc.d.e.f.g.h.example.com", "TXT _dmarc.e.f.g.h.example.com",
            "TXT _dmarc.f.g.h.example.com", "TXT _dmarc.g.h.example.com", "TXT _dmarc.h.example.com",
            "TXT _dmarc.example.com", "TXT _dmarc.com",
        ], dns.Queries);
    }

    [Fact]
    public async Task OrganizationalDomainByTreeWalk()
    {
        var discovery = new DmarcDiscovery(new FakeDnsResolver()
            .Txt("_dmarc.example.com", "v=DMARC1; p=none")
            .Txt("_dmarc.sub.example.com", "v=DMARC1; p=reject")
            .Txt("_dmarc.own.example.com", "v=DMARC1; p=reject; psd=n")
            .Txt("_dmarc.com", "v=DMARC1; p=none; psd=y")
            .Txt("_dmarc.org", "v=DMARC1; p=none; psd=y"), DmarcDiscoveryMode.TreeWalk);
        var ct = CancellationToken.None;
        Assert.Equal("example.com", await discovery.OrganizationalDomainAsync("a.sub.example.com", ct));
        Assert.Equal("own.example.com", await discovery.OrganizationalDomainAsync("x.own.example.com", ct));
        Assert.Equal("example.org", await discovery.OrganizationalDomainAsync("a.b.example.org", ct));
        Assert.Equal("nothing.example", await discovery.OrganizationalDomainAsync("nothing.example", ct));
    }
}
