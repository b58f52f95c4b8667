using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

/// <summary>What we add to MimeKit's parser: encoded embedded messages, the attachment rule, file names.</summary>
public class BoundedMimeParserTests
{
    [Fact]
    public async Task Base64EncodedMessageRfc822IsDecodedAndParsed()
    {
        var inner = Convert.ToBase64String(MimeText.Bytes("Subject: inner\nContent-Type: application/zip; name=x.zip\n\nPK\n"),
            Base64FormattingOptions.InsertLineBreaks);
        var message = await MimeText.ParseAsync($"Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{inner}\n--m--\n");
        var part = Assert.Single(message.Children);
        Assert.Equal("inner", part.EmbeddedMessage?.Headers["Subject"]);
        Assert.Contains(message.Descendants(), d => d.FileName == "x.zip" && d.IsAttachment);
    }

    [Fact]
    public async Task EncodedMessagesCountTowardsTheCaps()
    {
        var inner = Convert.ToBase64String(MimeText.Bytes("Content-Type: multipart/mixed; boundary=i\n\n--i\n\na\n--i\n\nb\n--i--\n"));
        var error = await Assert.ThrowsAsync<MimeFormatException>(() => MimeText.ParseAsync(
            $"Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{inner}\n--m--\n",
            limits: new MimeLimits(MaxParts: 4)));
        Assert.Contains("MaxParts", error.Message);
    }

    [Fact]
    public async Task DigestPartsDefaultToMessageRfc822()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d--\n");
        var part = Assert.Single(message.Children);
        Assert.Equal("message/rfc822", part.MimeType);
        Assert.Equal("one", part.EmbeddedMessage?.Headers["Subject"]);
    }

    [Theory]
    [InlineData("Content-Type: text/plain\nContent-Disposition: attachment\n", true)]
    [InlineData("Content-Type: text/plain; name=a.txt\n", true)]
    [InlineData("Content-Type: image/png\n", true)]
    [InlineData("Content-Type: image/png\nContent-Disposition: inline\n", false)]
    [InlineData("Content-Type: text/html\nContent-Disposition: inline\n", false)]
    [InlineData("Content-Type: text/plain\n", false)]
    [InlineData("Content-Type: message/rfc822\n", true)]
    [InlineData("Content-Type: multipart/mixed; boundary=x\n", false)]
    public async Task IsAttachmentFollowsDispositionNameAndType(string headers, bool expected)
    {
        var message = await MimeText.ParseAsync(headers + "\nx\n");
        Assert.Equal(expected, message.IsAttachment);
    }

    [Fact]
    public async Task FileNamesAreDecodedFromRfc2231AndRfc2047()
    {
        var message = await MimeText.ParseAsync("""
            Content-Type: multipart/mixed; boundary=m

            --m
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename*0*=shift_jis''%95%F1; filename*1*=%8D%90%8F%91.xls

            z
            --m
            Content-Type: application/zip; name="=?ISO-2022-JP?B?GyRCRTpJVSVVJSElJCVrGyhCLnppcA==?="

            y
            --m--
            """);
        Assert.Equal(["報告書.xls", "添付ファイル.zip"], message.Children.Select(c => c.FileName));
    }

    [Fact]
    public async Task AnUnseekableInputIsReadWithinTheCap()
    {
        var bytes = MimeText.Bytes("Subject: x\n\nbody\n");
        var parsed = await BoundedMimeParser.ParseAsync(new UnseekableStream(bytes), MimeLimits.Default, TestContext.Current.CancellationToken);
        Assert.Equal("x", parsed.Message.Subject);
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
