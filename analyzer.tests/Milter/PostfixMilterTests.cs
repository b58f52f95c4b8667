using System.Text;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Tests.Filter;
using MimeKit;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>End to end: our milter behind a real Postfix, mail sent over SMTP.</summary>
public sealed class PostfixMilterTests(PostfixFixture postfix) : IClassFixture<PostfixFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Message(string marker, string from, bool forged, params TestMessages.Part[] parts)
    {
        var message = Encoding.UTF8.GetString(TestMessages.Multipart(from, parts));
        var extra = $"Message-ID: <{marker}@test.example>\r\nX-Marker: {marker}\r\n" + (forged ? $"{PostfixFixture.ForgedMarker}: yes\r\n" : "");
        return Encoding.UTF8.GetBytes(extra + message);
    }

    [Fact]
    public async Task AnEncryptedZipIsRefusedWith550571()
    {
        var sender = $"alice+{Guid.NewGuid():N}@partner.example";
        var message = Message(Guid.NewGuid().ToString("N"), sender, forged: false,
            TestMessages.Attachment("invoice.zip", TestMessages.EncryptedZip("invoice.doc"), "application/zip"));
        var reply = await SmtpTestClient.SendAsync(postfix.SmtpPort, sender, "bob@example.net", message, Ct);
        Assert.StartsWith("550 5.7.1 Encrypted attachments are not accepted", reply);

        var verdict = await postfix.WaitForVerdictAsync(sender, Ct);
        Assert.Equal("reject", verdict["action"]);
        Assert.Equal("127.0.0.1", verdict["client_ip"]);
        Assert.Equal("client.test.example", verdict["helo"]);
        Assert.Equal("[\"bob@example.net\"]", verdict["recipients"]);
        Assert.Equal(sender, verdict["header_from"]);
        Assert.NotNull(verdict["queue_id"]);
        Assert.Contains("invoice.zip/invoice.doc", verdict["reason"]);
    }

    [Fact]
    public async Task AForgedSendersMailArrivesWithTheListInPlaceOfItsAttachments()
    {
        var marker = Guid.NewGuid().ToString("N");
        var message = Message(marker, "ceo@example.net", forged: true,
            TestMessages.Attachment("report.pdf", TestMessages.Pdf(""), "application/pdf"),
            TestMessages.Attachment("photo.jpg", new byte[3000], "image/jpeg"),
            TestMessages.Attachment("data.zip", TestMessages.PlainZip(("a.txt", "x"u8.ToArray())), "application/zip"));
        var reply = await SmtpTestClient.SendAsync(postfix.SmtpPort, "ceo@example.net", "bob@example.net", message, Ct);
        Assert.StartsWith("250", reply);

        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        var parsed = await BoundedMimeParser.ParseAsync(new MemoryStream(Encoding.Latin1.GetBytes(delivered)), MimeLimits.Default, Ct);
        Assert.NotNull(parsed.Message.Headers["X-Dmarc-Attachments-Removed"]);
        var list = Assert.IsType<TextPart>(Assert.Single(parsed.Descendants(), MimeEntityFacts.CountsAsAttachment));
        Assert.Equal("removed-attachments.txt", list.FileName);
        var text = list.Text;
        Assert.Contains("report.pdf", text);
        Assert.Contains("photo.jpg", text);
        Assert.Contains("data.zip", text);
        Assert.Contains("Hello.", delivered);
    }

    [Fact]
    public async Task AnAuthenticatedSubmissionArrivesUntouchedEvenWithAnEncryptedZip()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"alice+{marker}@example.org";
        var message = Message(marker, sender, forged: true,
            TestMessages.Attachment("secret.zip", TestMessages.EncryptedZip("secret.doc"), "application/zip"));
        Assert.StartsWith("554", await SmtpTestClient.SendAsync(postfix.SubmissionPort, sender, "bob@example.net", message, Ct));

        var reply = await SmtpTestClient.SendAsync(postfix.SubmissionPort, sender, "bob@example.net", message, Ct,
            (PostfixFixture.User, PostfixFixture.Password));
        Assert.StartsWith("250", reply);
        AssertUntouched(message, await postfix.WaitForDeliveryAsync(marker, Ct));
        Assert.Equal($"submission (authenticated as {PostfixFixture.User})", (await postfix.WaitForVerdictAsync(sender, Ct))["reason"]);
    }

    [Fact]
    public async Task MailOnAConfiguredSubmissionListenerArrivesUntouched()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = $"alice+{marker}@example.org";
        var message = Message(marker, sender, forged: true,
            TestMessages.Attachment("secret.zip", TestMessages.EncryptedZip("secret.doc"), "application/zip"));
        Assert.StartsWith("250", await SmtpTestClient.SendAsync(postfix.SubmissionListenerPort, sender, "bob@example.net", message, Ct));
        AssertUntouched(message, await postfix.WaitForDeliveryAsync(marker, Ct));
        Assert.Equal("submission (listener submission)", (await postfix.WaitForVerdictAsync(sender, Ct))["reason"]);
    }

    private static void AssertUntouched(byte[] sent, string delivered)
    {
        var text = Encoding.UTF8.GetString(sent);
        Assert.Contains(text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..], delivered.ReplaceLineEndings("\r\n"));
        Assert.DoesNotContain("X-Dmarc", delivered);
    }

    [Fact]
    public async Task APlainMessageIsDelivered()
    {
        var marker = Guid.NewGuid().ToString("N");
        var message = Message(marker, "alice@partner.example", forged: false,
            TestMessages.Attachment("plain.zip", TestMessages.PlainZip(("a.txt", "x"u8.ToArray())), "application/zip"));
        Assert.StartsWith("250", await SmtpTestClient.SendAsync(postfix.SmtpPort, "alice@partner.example", "bob@example.net", message, Ct));
        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        Assert.Contains("plain.zip", delivered);
    }
}
