using System.Text.RegularExpressions;
using DmarcAnalyzer.Auth.Arc;
using MimeKit.Cryptography;
using static DmarcAnalyzer.Tests.Auth.Arc.ArcTestChains;

namespace DmarcAnalyzer.Tests.Auth.Arc;

/// <summary>
/// The RFC 8617 and RFC 8301 limits, each on a crafted chain, to show MimeKit's verifier (with our key locator)
/// enforces them: where one of these fails, our code must add the check.
/// </summary>
public sealed class ArcVerifierRulesTests
{
    private const string First = "mx.example.org; spf=pass smtp.mailfrom=joe@example.com; dmarc=pass header.from=example.com; arc=none";
    private const string Later = "mx.lists.example.org; arc=pass";

    private static (string Message, FakeDnsResolver Dns) Chain(int hops, DkimSignatureAlgorithm algorithm = DkimSignatureAlgorithm.RsaSha256)
    {
        var (pem, record) = RsaKey();
        var dns = new FakeDnsResolver().Txt("arc._domainkey.example.org", record);
        var message = Message;
        for (var i = 1; i <= hops; i++)
            message = Seal(message, Private(pem), "example.org", "arc", i == 1 ? First : Later, algorithm);
        return (message, dns);
    }

    [Fact]
    public async Task ValidChainsPassWithTheirSealerAndOldestPass()
    {
        var (message, dns) = Chain(3);
        var result = await VerifyAsync(message, dns);
        Assert.Equal(ArcChainState.Pass, result.State);
        Assert.Equal(3, result.Sets);
        Assert.Equal("example.org", result.Sealer);
        Assert.Equal(1, result.OldestPass);
        Assert.Equal("mx.lists.example.org", result.NewestHop?.AuthservId);
    }

    [Fact]
    public async Task NoArcFieldsIsNone() =>
        Assert.Equal(ArcChainState.None, (await VerifyAsync(Message, new FakeDnsResolver())).State);

    [Fact]
    public async Task RsaSha1IsRefused()
    {
        var (message, dns) = Chain(1, DkimSignatureAlgorithm.RsaSha1);
        Assert.Contains("a=rsa-sha1", message);
        Assert.Equal(ArcChainState.Fail, (await VerifyAsync(message, dns)).State);
    }

    [Fact]
    public async Task RsaKeysUnder1024BitsAreRefused()
    {
        var (key, record) = WeakRsaKey(512);
        var message = Seal(Message, key, "example.org", "weak", First);
        var result = await VerifyAsync(message, new FakeDnsResolver().Txt("weak._domainkey.example.org", record));
        Assert.Equal(ArcChainState.Fail, result.State);
    }

    [Fact]
    public async Task InstanceAbove50IsRefused()
    {
        var (message, dns) = Chain(1);
        var renumbered = Regex.Replace(message, @"\bi=1;", "i=51;");
        Assert.Equal(ArcChainState.Fail, (await VerifyAsync(renumbered, dns)).State);
    }

    [Fact]
    public async Task AGapInTheInstancesFails()
    {
        var (message, dns) = Chain(3);
        var withoutSecond = string.Join("\r\n", Unfolded(message).Where(l => !(l.StartsWith("ARC-", StringComparison.Ordinal) && Regex.IsMatch(l, @"\bi=2;"))));
        var result = await VerifyAsync(withoutSecond, dns);
        Assert.Equal(ArcChainState.Fail, result.State);
        Assert.Contains("missing", result.Reason);
    }

    [Fact]
    public async Task SwappedInstanceNumbersFail()
    {
        var (message, dns) = Chain(3);
        var swapped = Regex.Replace(message, @"\bi=([23]);", m => m.Groups[1].Value == "2" ? "i=3;" : "i=2;");
        Assert.Equal(ArcChainState.Fail, (await VerifyAsync(swapped, dns)).State);
    }

    [Fact]
    public async Task AChangedBodyFails()
    {
        var (message, dns) = Chain(2);
        var result = await VerifyAsync(message.Replace("Joe.", "Jim."), dns);
        Assert.Equal(ArcChainState.Fail, result.State);
        Assert.Contains("ARC-Message-Signature", result.Reason);
    }

    [Fact]
    public async Task ANewestSealSayingFailFails()
    {
        var (pem, record) = RsaKey();
        var dns = new FakeDnsResolver().Txt("arc._domainkey.example.org", record);
        var message = Seal(Message, Private(pem), "example.org", "arc", First);
        message = Seal(message, Private(pem), "example.org", "arc", "mx.lists.example.org; arc=fail");
        Assert.Contains("cv=fail", message);
        Assert.Equal(ArcChainState.Fail, (await VerifyAsync(message, dns)).State);
    }

    [Fact]
    public async Task DnsTroubleIsTempErrorAndAMissingOrRevokedKeyIsFail()
    {
        var (message, _) = Chain(1);
        var temporary = await VerifyAsync(message, new FakeDnsResolver().Failing("arc._domainkey.example.org"));
        Assert.Equal(ArcChainState.TempError, temporary.State);
        Assert.Contains("arc._domainkey.example.org", temporary.Reason);
        Assert.Equal(ArcChainState.Fail, (await VerifyAsync(message, new FakeDnsResolver())).State);
        Assert.Equal(ArcChainState.Fail, (await VerifyAsync(message, new FakeDnsResolver().Txt("arc._domainkey.example.org", "v=DKIM1; k=rsa; p="))).State);
    }

    [Theory]
    [InlineData("v=DKIM1; k=rsa; p=AAAA", "k=rsa; p=AAAA")]
    [InlineData("k=rsa; v=DKIM1; p=AAAA", null)]
    [InlineData("v=DKIM1; h=sha1; p=AAAA", null)]
    [InlineData("v=DKIM1; s=other; p=AAAA", null)]
    [InlineData("v=DKIM1; k=ed25519; p=AA AA", "k=ed25519; p=AAAA")]
    [InlineData("v=DKIM1; p=", null)]
    public void KeyRecordsAreCheckedBeforeUse(string record, string? expected) =>
        Assert.Equal(expected, ArcKeyRecord.Parse(record, out _));

    /// <summary>The message's lines with folded fields joined, so that a whole field can be dropped.</summary>
    private static IEnumerable<string> Unfolded(string message) => Regex.Replace(message, "\r\n[ \t]", " ").Split("\r\n");
}
