using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth;

public sealed class AuthenticationResultsTests
{
    private static readonly DkimResult GoodDkim = new(DkimResultCode.Pass, "example.com", "sel", "abc/def=", null);
    private static readonly DmarcResult Dmarc = new(DmarcResultCode.Pass, "example.com", "example.com", DmarcPolicy.Reject, "p", DmarcPolicy.None);

    [Fact]
    public void WritesEveryMethodFolded()
    {
        var value = AuthenticationResultsWriter.Write("mx.example.net", new SpfOutcome(SpfResultCode.Pass, "example.com", Identity: "joe@example.com"),
            [GoodDkim], Dmarc);
        Assert.Equal(
            "mx.example.net;\r\n" +
            "\tspf=pass smtp.mailfrom=\"joe@example.com\";\r\n" +
            "\tdkim=pass header.d=example.com header.s=sel header.b=\"abc/def=\";\r\n" +
            "\tdmarc=pass (p=reject dis=none) header.from=example.com policy.dmarc=reject", value);
    }

    [Fact]
    public void NoSignaturesAndCommentsWithParentheses()
    {
        var value = AuthenticationResultsWriter.Write("mx.example.net",
            new SpfOutcome(SpfResultCode.None, "", Comment: "no client IP (--ip) given"), [], null);
        Assert.Equal("mx.example.net;\r\n\tspf=none (no client IP \\(--ip\\) given);\r\n\tdkim=none", value);
    }

    [Fact]
    public void ReportsLengthLimitAndTesting()
    {
        var dkim = new DkimResult(DkimResultCode.Pass, "example.com", "sel", "abcdefgh", null, 100, 42, KeyTesting: true);
        var value = AuthenticationResultsWriter.Write("mx", null, [dkim], null);
        Assert.Contains("dkim=pass (l= leaves 42 body bytes unsigned) (key in testing mode) header.d=example.com", value);
    }

    [Fact]
    public void WhatWeWriteParsesBack()
    {
        var dkimFail = new DkimResult(DkimResultCode.Fail, "example.org", "s2", "zz==", "body hash did not verify");
        var value = AuthenticationResultsWriter.Write("mx.example.net", new SpfOutcome(SpfResultCode.Fail, "example.com", SpfIdentity.Helo, "mail.example.com"),
            [GoodDkim, dkimFail], Dmarc with { Result = DmarcResultCode.Fail, Disposition = DmarcPolicy.Reject });
        var parsed = AuthenticationResultsParser.Parse(value)!;
        Assert.Equal("mx.example.net", parsed.AuthservId);
        Assert.Equal(["spf", "dkim", "dkim", "dmarc"], parsed.Results.Select(r => r.Method));
        Assert.Equal(["fail", "pass", "fail", "fail"], parsed.Results.Select(r => r.Result));
        Assert.Contains(("smtp.helo", "mail.example.com"), parsed.Results[0].Properties);
        Assert.Contains(("header.b", "abc/def="), parsed.Results[1].Properties);
        Assert.Contains(("header.b", "zz=="), parsed.Results[2].Properties);
        Assert.Contains(("policy.dmarc", "reject"), parsed.Results[3].Properties);
    }

    [Theory]
    [InlineData("mx.example.net; none", "mx.example.net", 1)]
    [InlineData("  (leading comment) MX.Example.Net 1; spf=pass smtp.mailfrom=a@b", "MX.Example.Net", 1)]
    [InlineData("\"quoted.id\"; dkim/1=pass (good (nested)) header.d=x reason=\"all fine\"", "quoted.id", 1)]
    [InlineData("mx.example.net", "mx.example.net", 0)]
    public void ParsesRfc8601Forms(string value, string authservId, int results)
    {
        var parsed = AuthenticationResultsParser.Parse(value)!;
        Assert.Equal(authservId, parsed.AuthservId);
        Assert.Equal(results, parsed.Results.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("(unterminated comment")]
    [InlineData("; spf=pass")]
    public void UnreadableValuesGiveNull(string value) => Assert.Null(AuthenticationResultsParser.Parse(value));

    [Theory]
    [InlineData("mx.example.net; dmarc=pass header.from=bank.example (unclosed")]
    [InlineData("MX.Example.NET; dkim=pass header.d=\"bank.example")]
    [InlineData("(a comment (nested)) mx.example.net;spf=pass")]
    [InlineData("\"mx.example.net\"; none")]
    public void RecognisesAForgedFieldEvenWhenTheRestOfItIsMalformed(string value) =>
        Assert.True(AuthenticationResultsParser.Claims(value, "mx.example.net"));

    [Theory]
    [InlineData("mx.example.net.evil; dmarc=pass")]
    [InlineData("other.example; dmarc=pass (mx.example.net)")]
    [InlineData("")]
    public void DoesNotClaimOtherServersFields(string value) =>
        Assert.False(AuthenticationResultsParser.Claims(value, "mx.example.net"));

    [Fact]
    public void FindsForgedInstancesByAuthservId()
    {
        var values = new[] { "other.example; spf=pass", "MX.example.net; dkim=pass", "mx.example.net.evil; none", "mx.example.net (forged); spf=pass" };
        Assert.Equal([2, 4], AuthenticationResultsParser.ForgedInstances(values, "mx.example.net"));
    }

    [Fact]
    public async Task AuthenticationMilterOutputParses()
    {
        var folder = Corpus.Require("dkim", "authentication_milter", "expected");
        var count = 0;
        foreach (var file in Directory.GetFiles(folder, "*.eml"))
        {
            await using var stream = File.OpenRead(file);
            var reader = await RawMessageReader.ReadHeaderAsync(stream, CancellationToken.None);
            foreach (var field in reader.Fields.Where(f => f.Name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)))
            {
                var parsed = AuthenticationResultsParser.Parse(field.Value);
                Assert.True(parsed is not null, $"{Path.GetFileName(file)}: {field.Raw}");
                Assert.NotEmpty(parsed.Results);
                count++;
            }
        }
        Assert.True(count > 30);
    }

    [Fact]
    public async Task SanitisingMatchesAuthenticationMilterForOurId()
    {
        // authentication_milter removed its own id (test.module) and hosts_to_remove=example.com, and also names below
        // or above those (sub.example.com, module); RFC 8601 §5 asks for exact matches of our id, which is what we do.
        var folder = Corpus.Require("dkim", "authentication_milter");
        var source = await ArValuesAsync(Path.Combine(folder, "source", "google_apps_good_sanitize.eml"));
        var expected = await ArValuesAsync(Path.Combine(folder, "expected", "google_apps_good_sanitize.eml"));
        var forged = AuthenticationResultsParser.ForgedInstances(source, "example.com")
            .Concat(AuthenticationResultsParser.ForgedInstances(source, "test.module")).ToList();
        var kept = source.Where((_, n) => !forged.Contains(n + 1)).Select(v => AuthenticationResultsParser.Parse(v)!.AuthservId).ToList();
        var theirs = expected.Select(v => AuthenticationResultsParser.Parse(v)!.AuthservId).Where(id => id != "test.module").ToList();
        Assert.Equal(["notexample.com", "mx.example.net", "sub.example.com", "notmodule", "server.example.net", "module"], kept);
        Assert.Equal(kept.Where(id => id is not ("sub.example.com" or "module")), theirs);
    }

    private static async Task<List<string>> ArValuesAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        var reader = await RawMessageReader.ReadHeaderAsync(stream, CancellationToken.None);
        return reader.Fields.Where(f => f.Name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).ToList();
    }
}
