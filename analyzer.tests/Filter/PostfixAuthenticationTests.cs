using System.Text;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Tests.Auth.Dkim;
using DmarcAnalyzer.Tests.Milter;
using F = DmarcAnalyzer.Tests.Filter.AuthenticatingPostfixFixture;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>End to end: SPF, DKIM and DMARC in our milter behind a real Postfix, messages signed here.</summary>
public sealed class PostfixAuthenticationTests(AuthenticatingPostfixFixture postfix) : IClassFixture<AuthenticatingPostfixFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Message(string marker, string from, string extraHeaders = "", params TestMessages.Part[] parts) =>
        $"Message-ID: <{marker}@test.example>\r\nX-Marker: {marker}\r\n{extraHeaders}" + Encoding.UTF8.GetString(TestMessages.Multipart(from, parts));

    private static async Task<byte[]> SignedAsync(string message) =>
        Encoding.Latin1.GetBytes(await DkimTestMessages.SignAsync(message, DkimSignature.Ed25519Sha256, domain: F.Signer));

    private static TestMessages.Part Pdf => TestMessages.Attachment("report.pdf", TestMessages.Pdf(""), "application/pdf");

    /// <summary>The header block of a delivered message, continuation lines joined to their field.</summary>
    internal static List<string> Fields(string delivered)
    {
        var text = delivered.ReplaceLineEndings("\n");
        var fields = new List<string>();
        foreach (var line in text[..text.IndexOf("\n\n", StringComparison.Ordinal)].Split('\n'))
        {
            if (line.StartsWith(' ') || line.StartsWith('\t'))
                fields[^1] += " " + line.Trim();
            else
                fields.Add(line);
        }
        return fields;
    }

    internal static string OurField(string delivered) =>
        Assert.Single(Fields(delivered), f => f.StartsWith($"Authentication-Results: {F.AuthservId};", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task ASignedMessagePassesDmarcAndArrivesWithOurField()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"joe+{marker}@{F.Signer}";
        var message = await SignedAsync(Message(marker, $"Joe <joe@{F.Signer}>", "", Pdf));
        Assert.StartsWith("250", await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", message, Ct));

        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        var field = OurField(delivered);
        Assert.Contains("spf=pass", field);
        Assert.Contains($"dkim=pass header.d={F.Signer} header.s=sel", field);
        Assert.Contains($"dmarc=pass (p=reject dis=none) header.from={F.Signer}", field);
        Assert.Contains("report.pdf", delivered);
        var verdict = await postfix.WaitForVerdictAsync(sender, Ct);
        Assert.Equal(("pass", "pass", "pass", "accept"), (verdict["spf"], verdict["dkim"], verdict["dmarc"], verdict["action"]));
    }

    [Fact]
    public async Task ADmarcFailureArrivesWithItsAttachmentsReplacedByTheList()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"ceo+{marker}@{F.Victim}";
        var message = Encoding.UTF8.GetBytes(Message(marker, $"CEO <ceo@{F.Victim}>", "", Pdf,
            TestMessages.Attachment("photo.jpg", new byte[3000], "image/jpeg")));
        Assert.StartsWith("250", await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", message, Ct));

        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        Assert.Contains("dmarc=fail", OurField(delivered));
        Assert.Contains("X-Dmarc-Attachments-Removed:", delivered);
        Assert.Contains("removed-attachments.txt", delivered);
        Assert.DoesNotContain("name=\"report.pdf\"", delivered);
        var verdict = await postfix.WaitForVerdictAsync(sender, Ct);
        Assert.Equal(("fail", "none", "fail", "removeattachments"), (verdict["spf"], verdict["dkim"], verdict["dmarc"], verdict["action"]));
    }

    [Fact]
    public async Task APartnerWithoutSpfPassesThroughTheLocalZoneEntry()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"alice+{marker}@{F.NoSpfPartner}";
        var message = Encoding.UTF8.GetBytes(Message(marker, $"Alice <alice@{F.NoSpfPartner}>", "", Pdf));
        Assert.StartsWith("250", await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", message, Ct));

        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        Assert.Contains($"dmarc=pass (p=quarantine dis=none) header.from={F.NoSpfPartner}", OurField(delivered));
        Assert.Contains("name=\"report.pdf\"", delivered);
        var verdict = await postfix.WaitForVerdictAsync(sender, Ct);
        Assert.Equal(("pass", "pass"), (verdict["spf"], verdict["dmarc"]));
    }

    [Fact]
    public async Task AForgedFieldClaimingOurAuthservIdIsRemovedAndOthersKept()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"joe+{marker}@{F.Signer}";
        var forged = $"Authentication-Results: {F.AuthservId}; dmarc=pass header.from={F.Victim}\r\n"
            + "Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=x@elsewhere.example\r\n";
        var message = await SignedAsync(Message(marker, $"Joe <joe@{F.Signer}>", forged));
        Assert.StartsWith("250", await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", message, Ct));

        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        Assert.Contains("dmarc=pass (p=reject dis=none)", OurField(delivered));
        Assert.DoesNotContain($"header.from={F.Victim}", delivered);
        Assert.Contains(Fields(delivered), f => f.StartsWith("Authentication-Results: mx.elsewhere.example;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADnsTimeoutTempfailsAsConfigured()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"bob+{marker}@{F.SlowDomain}";
        var message = Encoding.UTF8.GetBytes(Message(marker, $"Bob <bob@{F.SlowDomain}>"));
        var reply = await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", message, Ct);
        Assert.StartsWith("451 4.4.3 ", reply);
        var verdict = await postfix.WaitForVerdictAsync(sender, Ct);
        Assert.Equal(("tempfail", "temperror"), (verdict["action"], verdict["dmarc"]));
    }
}
