using System.Text;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Tests.Auth.Arc;
using DmarcAnalyzer.Tests.Milter;
using A = DmarcAnalyzer.Tests.Filter.ArcPostfixFixture;
using F = DmarcAnalyzer.Tests.Filter.AuthenticatingPostfixFixture;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// End to end behind a real Postfix with DMARC enforced: a p=reject domain's message that a forwarder ARC-sealed after
/// seeing DMARC pass, then sent on from an address that breaks SPF (and no DKIM), so DMARC fails here.
/// </summary>
public sealed class PostfixArcTests(ArcPostfixFixture postfix) : IClassFixture<ArcPostfixFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Pdf = TestMessages.Pdf("/Forwarded true");

    /// <summary>The victim domain's message with a PDF, as <paramref name="sealer"/> forwarded it: sealed, cv=none.</summary>
    private byte[] Forwarded(string marker, string sealer)
    {
        // With a Date: Postfix adds one to a message without, after the seal signed its absence.
        var original = $"Message-ID: <{marker}@{F.Victim}>\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700\r\nX-Marker: {marker}\r\n"
            + Encoding.UTF8.GetString(TestMessages.Multipart($"CEO <ceo@{F.Victim}>", TestMessages.Attachment("report.pdf", Pdf, "application/pdf")));
        var results = $"mx.{sealer}; spf=pass smtp.mailfrom=ceo@{F.Victim}; dmarc=pass header.from={F.Victim}; arc=none";
        return Encoding.Latin1.GetBytes(ArcTestChains.Seal(original, ArcTestChains.Private(postfix.SealerKey), sealer, A.Selector, results));
    }

    [Fact]
    public async Task ATrustedForwardersSealLiftsTheRejectAndTheAttachmentArrives()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"list+{marker}@{A.Forwarder}";
        var reply = await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", Forwarded(marker, A.Forwarder), Ct);
        Assert.True(reply.StartsWith("250", StringComparison.Ordinal), $"{reply}; verdict: {(await postfix.WaitForVerdictAsync(sender, Ct))["reason"]}");

        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        var field = PostfixAuthenticationTests.OurField(delivered);
        // dis=none: the policy asked for reject and was not applied; the comment says why.
        Assert.Contains($"dmarc=fail (p=reject dis=none) (arc override: forwarded, ARC chain sealed by trusted {A.Forwarder}) header.from={F.Victim}", field);
        Assert.Contains($"arc=pass (i=1 sealed by {A.Forwarder}) header.oldest-pass=1 smtp.remote-ip=127.0.0.1", field);
        Assert.Contains("name=\"report.pdf\"", delivered);
        Assert.Contains(Convert.ToBase64String(Pdf, Base64FormattingOptions.InsertLineBreaks).ReplaceLineEndings("\n"), delivered.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("X-Dmarc-Attachments-Removed", delivered);
        var verdict = await postfix.WaitForVerdictAsync(sender, Ct);
        Assert.Equal(("fail", "accept"), (verdict["dmarc"], verdict["action"]));
        Assert.Contains(TrustedSealers.Overridden(A.Forwarder), verdict["reason"]);
    }

    [Fact]
    public async Task TheSameFromAnUntrustedSealerIsRejectedAsThePolicyAsks()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"list+{marker}@{A.Stranger}";
        var reply = await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", Forwarded(marker, A.Stranger), Ct);
        Assert.StartsWith("550 5.7.1 ", reply);

        var verdict = await postfix.WaitForVerdictAsync(sender, Ct);
        Assert.Equal(("fail", "reject"), (verdict["dmarc"], verdict["action"]));
        Assert.StartsWith($"DMARC fail for {F.Victim}, policy reject", verdict["reason"]);
        Assert.DoesNotContain("overridden", verdict["reason"]);
    }
}
