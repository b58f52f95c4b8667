using System.Net;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth.Spf;

public sealed class SpfMacroTests
{
    private static SpfMacroContext Context(string ip) =>
        new("strong-bad", "email.example.com", "email.example.com", IPAddress.Parse(ip), "mx.example.org", null, "receiver.example", 1_700_000_000);

    /// <summary>The examples of RFC 7208 §7.4, verbatim.</summary>
    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    public void ExpandsTheRfcExamples(string macro, string expected)
    {
        SpfMacro.Validate(macro, SpfMacroUse.DomainSpec);

        Assert.Equal(expected, SpfMacro.Expand(macro, Context("192.0.2.3")));
    }

    [Fact]
    public void ExpandsIpv6AsNibbles()
    {
        Assert.Equal("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
            SpfMacro.Expand("%{ir}.%{v}._spf.%{d2}", Context("2001:db8::cb01")));
    }

    [Fact]
    public void ExplanationLettersEscapesAndUrlEncoding()
    {
        const string text = "%{c} %{r} %{t} %{h} %% %_%-%{L}";
        SpfMacro.Validate(text, SpfMacroUse.Explanation);

        Assert.Equal("192.0.2.3 receiver.example 1700000000 mx.example.org %  %20strong-bad",
            SpfMacro.Expand(text, Context("192.0.2.3")));
        Assert.Equal("x%40a%40b", SpfMacro.Expand("%{S}", Context("192.0.2.3") with { LocalPart = "x", SenderDomain = "a@b" }));
    }

    [Theory]
    [InlineData("%{c}.example.com")] // c, r, t are for explanations only (§7.2)
    [InlineData("%{x}.example.com")]
    [InlineData("%{d0}.example.com")]
    [InlineData("%{d2|}.example.com")]
    [InlineData("%a.example.com")]
    [InlineData("%{d.example.com")]
    [InlineData("trailing%")]
    public void RefusesBadMacros(string text)
    {
        Assert.Throws<SpfSyntaxException>(() => SpfMacro.Validate(text, SpfMacroUse.DomainSpec));
    }

    [Fact]
    public void LongExpansionsAreCutFromTheLeftTo253Characters()
    {
        var name = string.Join('.', Enumerable.Repeat("abcdefghij", 30)) + ".example.com.";

        var domain = SpfMacro.ToDomain(name);

        Assert.True(domain.Length <= 253);
        Assert.EndsWith("abcdefghij.example.com", domain);
        Assert.StartsWith("abcdefghij.", domain);
    }
}
