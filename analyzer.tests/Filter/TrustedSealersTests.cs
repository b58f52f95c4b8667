using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Filter;

namespace DmarcAnalyzer.Tests.Filter;

public sealed class TrustedSealersTests
{
    private static readonly DmarcResult Failed = new(DmarcResultCode.Fail, "example.com", "example.com", DmarcPolicy.Reject, "example.com", DmarcPolicy.Reject);

    private static MessageAuthentication Authentication(ArcChainState state, string sealer, params ArcHopResult[] hop) =>
        new(new SpfOutcome(SpfResultCode.Fail, "lists.example.org"), [], Failed)
        {
            Arc = new ArcResult(state, 2, Sealer: sealer, NewestHop: new ArcHopResults("mx." + sealer, hop)),
        };

    private static ArcHopResult Result(string method, string result, params (string, string)[] properties) =>
        new(method, result, properties.ToDictionary(p => p.Item1, p => p.Item2));

    [Fact]
    public void ATrustedSealerWhoseHopSawDmarcPassMakesTheMessageForwarded()
    {
        var a = TrustedSealers.Apply(Authentication(ArcChainState.Pass, "lists.example.org", Result("dmarc", "pass", ("header.from", "example.com"))), ["lists.example.org"]);
        Assert.Equal("lists.example.org", a.ForwardedBy);
        Assert.Contains("arc override: forwarded, ARC chain sealed by trusted lists.example.org", a.AuthenticationResults("mx.us.example"));
    }

    [Theory]
    [InlineData("spf", "smtp.mailfrom", "joe@mail.example.com", true)]
    [InlineData("dkim", "header.d", "example.com", true)]
    [InlineData("dkim", "header.i", "@bounces.example.com", true)]
    [InlineData("dkim", "header.d", "other.example", false)]
    [InlineData("spf", "smtp.mailfrom", "joe@other.example", false)]
    public void AlignedSpfOrDkimAtTheHopCountsToo(string method, string property, string value, bool forwarded)
    {
        var a = TrustedSealers.Apply(Authentication(ArcChainState.Pass, "lists.example.org", Result(method, "pass", (property, value))), [".example.org"]);
        Assert.Equal(forwarded ? "lists.example.org" : null, a.ForwardedBy);
    }

    [Fact]
    public void NoOverrideForAnUntrustedSealerAFailedChainAHopThatSawAFailOrAnotherFromDomain()
    {
        var pass = Result("dmarc", "pass", ("header.from", "example.com"));
        Assert.Null(TrustedSealers.Apply(Authentication(ArcChainState.Pass, "evil.example", pass), ["lists.example.org"]).ForwardedBy);
        Assert.Null(TrustedSealers.Apply(Authentication(ArcChainState.Fail, "lists.example.org", pass), ["lists.example.org"]).ForwardedBy);
        Assert.Null(TrustedSealers.Apply(Authentication(ArcChainState.TempError, "lists.example.org", pass), ["lists.example.org"]).ForwardedBy);
        Assert.Null(TrustedSealers.Apply(Authentication(ArcChainState.Pass, "lists.example.org", Result("dmarc", "fail")), ["lists.example.org"]).ForwardedBy);
        Assert.Null(TrustedSealers.Apply(Authentication(ArcChainState.Pass, "lists.example.org", Result("dmarc", "pass", ("header.from", "evil.example"))), ["lists.example.org"]).ForwardedBy);
    }

    [Fact]
    public void TheArcResultGoesIntoAuthenticationResults()
    {
        var value = AuthenticationResultsWriter.Write("mx.us.example", null, [], null,
            new ArcResult(ArcChainState.Pass, 2, Sealer: "lists.example.org", OldestPass: 1), "192.0.2.7");
        Assert.Contains("arc=pass (i=2 sealed by lists.example.org) header.oldest-pass=1 smtp.remote-ip=192.0.2.7", value);
        var failed = AuthenticationResultsWriter.Write("mx.us.example", null, [], null, new ArcResult(ArcChainState.Fail, 1, "ARC-Seal i=1 does not verify"));
        Assert.Contains("arc=fail (i=1) (ARC-Seal i=1 does not verify)", failed);
        Assert.Contains("arc=none", AuthenticationResultsWriter.Write("mx.us.example", null, [], null, ArcResult.None));
    }
}

public sealed class ForwardedInboundTests
{
    [Fact]
    public void TheInboundReportCountsAnOverrideAsForwarded()
    {
        var reason = "no rule applied; " + TrustedSealers.Overridden("lists.example.org");
        Assert.True(DmarcAnalyzer.Analysis.InboundAnalyzer.IsForwarded(reason));
        Assert.Equal("delivered: forwarded (trusted ARC sealer)", DmarcAnalyzer.Analysis.InboundAnalyzer.ActionName("accept", reason));
        Assert.Equal("delivered", DmarcAnalyzer.Analysis.InboundAnalyzer.ActionName("accept", "no rule applied"));
    }
}
