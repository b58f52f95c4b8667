using System.Text;
using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

public class MimeParserTests
{
    private const string Nested = """
        From: a@example.com
        Subject: nested
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer"

        This preamble is ignored.
        --outer
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain; charset=utf-8

        plain text
        --inner
        Content-Type: text/html

        <p>html</p>
        --inner--
        --outer
        Content-Type: application/gzip; name=report.xml.gz
        Content-Transfer-Encoding: base64

        H4sIAAAAAAAA
        --outer--
        This epilogue is ignored.
        """;

    [Fact]
    public async Task HeadersAreUnfoldedAndKeptRaw()
    {
        var message = await MimeText.ParseAsync("""
            Subject: a long
             folded	subject
            X-Empty:
            From: a@example.com

            body
            """);

        Assert.Equal(3, message.Headers.Count);
        Assert.Equal("a long folded\tsubject", message.Headers["subject"]);
        Assert.Equal("", message.Headers["X-Empty"]);
        Assert.Equal(" a long\r\n folded\tsubject", message.Headers[0].RawValue);
        Assert.Equal("Subject: a long\r\n folded\tsubject\r\n", Encoding.ASCII.GetString(message.Headers[0].Raw.Span));
        Assert.Equal("Subject: a long\r\n folded\tsubject\r\nX-Empty:\r\nFrom: a@example.com\r\n",
            Encoding.ASCII.GetString(message.RawHeaderBlock.Span));
        Assert.Equal("body\r\n", Encoding.ASCII.GetString(message.RawBody.Span) + "\r\n");
        Assert.Null(message.Headers["Missing"]);
    }

    [Fact]
    public async Task RepeatedHeadersAreAllKeptInOrder()
    {
        var message = await MimeText.ParseAsync("Received: one\nReceived: two\nSubject: x\n\n");
        Assert.Equal(["one", "two"], message.Headers.All("RECEIVED").Select(h => h.Value));
        Assert.Equal("one", message.Headers["received"]);
    }

    [Fact]
    public async Task MissingContentTypeMeansTextPlain()
    {
        var message = await MimeText.ParseAsync("Subject: x\n\nhello");
        Assert.Equal("text/plain", message.ContentType.MimeType);
        Assert.False(message.IsMultipart);
        Assert.False(message.IsAttachment);
        Assert.Equal("hello", await message.ReadTextAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NestedMultipartsSplitOnTheirOwnBoundaries(bool crlf)
    {
        var message = await MimeText.ParseAsync(Nested, crlf);
        Assert.True(message.IsMultipart);
        Assert.Equal("outer", message.ContentType.Boundary);
        Assert.Equal(2, message.Children.Count);
        var alternative = message.Children[0];
        Assert.Equal("multipart/alternative", alternative.ContentType.MimeType);
        Assert.Equal(["text/plain", "text/html"], alternative.Children.Select(c => c.ContentType.MimeType));
        // RFC 2046 §5.1.1: the line break before a delimiter belongs to the delimiter.
        Assert.Equal("plain text", MimeText.DecodedAscii(alternative.Children[0]));
        Assert.Equal("<p>html</p>", MimeText.DecodedAscii(alternative.Children[1]));
        var gzip = message.Children[1];
        Assert.Equal("report.xml.gz", gzip.FileName);
        Assert.True(gzip.IsAttachment);
        Assert.Equal(new byte[] { 0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0 }, MimeText.Decoded(gzip));
        Assert.Equal(9, gzip.DecodedLength);
        Assert.Equal(
            ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/gzip"],
            message.Descendants().Select(d => d.ContentType.MimeType));
    }

    [Fact]
    public async Task BoundaryThatPrefixesAnotherIsNotConfused()
    {
        var message = await MimeText.ParseAsync("""
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: multipart/mixed; boundary=b2

            --b2
            
            inner
            --b2--
            --b   
            
            second
            --b--
            """);
        Assert.Equal(2, message.Children.Count);
        Assert.Single(message.Children[0].Children);
        Assert.Equal("inner", MimeText.DecodedAscii(message.Children[0].Children[0]));
        Assert.Equal("second", MimeText.DecodedAscii(message.Children[1]));
    }

    [Fact]
    public async Task MessageRfc822IsParsedAsAnEmbeddedMessage()
    {
        var message = await MimeText.ParseAsync("""
            Content-Type: multipart/report; report-type=feedback-report; boundary=r

            --r
            Content-Type: text/plain

            see attached
            --r
            Content-Type: message/rfc822

            From: original@example.com
            Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=
            Content-Type: multipart/mixed; boundary=o

            --o

            original body
            --o
            Content-Type: application/pdf; name=x.pdf
            Content-Transfer-Encoding: base64

            JVBERg==
            --o--
            --r--
            """);
        var part = message.Children[1];
        var embedded = Assert.IsType<MimeEntity>(part.EmbeddedMessage);
        Assert.Equal("Grüße", embedded.Headers["Subject"]);
        Assert.Equal(2, embedded.Children.Count);
        Assert.Equal("original body", MimeText.DecodedAscii(embedded.Children[0]));
        Assert.Contains(message.Descendants(), d => d.FileName == "x.pdf" && MimeText.DecodedAscii(d) == "%PDF");
    }

    [Fact]
    public async Task Base64EncodedMessageRfc822IsDecodedBeforeParsing()
    {
        var inner = Convert.ToBase64String(MimeText.Bytes("Subject: inner\n\nhello\n"), Base64FormattingOptions.InsertLineBreaks);
        var message = await MimeText.ParseAsync($"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{inner}\n");
        Assert.Equal("inner", message.EmbeddedMessage?.Headers["Subject"]);
    }

    [Fact]
    public async Task DigestPartsDefaultToMessageRfc822()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d--\n");
        var part = Assert.Single(message.Children);
        Assert.Equal("message/rfc822", part.ContentType.MimeType);
        Assert.Equal("one", part.EmbeddedMessage?.Headers["Subject"]);
    }

    [Fact]
    public async Task Base64ToleratesWhitespaceGarbageAndMissingPadding()
    {
        var message = await MimeText.ParseAsync("Content-Transfer-Encoding: BASE64\n\n SGVs bG8g\n\td29y*bGQ\n");
        Assert.Equal("base64", message.TransferEncoding);
        Assert.Equal("Hello world", MimeText.DecodedAscii(message));
    }

    [Fact]
    public async Task QuotedPrintableDecodesSoftBreaksAndHexAndDropsTrailingSpace()
    {
        var message = await MimeText.ParseAsync(
            "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9 au =\nlait=3d=3D  \nnext=line=ZZ\n");
        Assert.Equal("café au lait==\r\nnext=line=ZZ\r\n", await message.ReadTextAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task EightBitAndBinaryBodiesAreLeftAsTheyAre()
    {
        var bytes = MimeText.Bytes("Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n").Concat(new byte[] { 0, 0xFF, 0x0A, 0x80 }).ToArray();
        var message = await MimeText.ParseAsync(bytes);
        Assert.Equal(new byte[] { 0, 0xFF, 0x0A, 0x80 }, MimeText.Decoded(message));
        using var stream = message.OpenDecodedContent();
        Assert.Equal(4, stream.Length);
    }

    [Fact]
    public async Task EightBitHeadersReadAsUtf8ElseLatin1()
    {
        var utf8 = await MimeText.ParseAsync("Subject: Grüße\n\n");
        Assert.Equal("Grüße", utf8.Headers["Subject"]);
        var latin1 = await MimeText.ParseAsync(Encoding.Latin1.GetBytes("Subject: Gr\u00fc\u00dfe\r\n\r\n"));
        Assert.Equal("Grüße", latin1.Headers["Subject"]);
    }

    [Fact]
    public async Task MboxFromLineAndMissingBlankLineAreTolerated()
    {
        var message = await MimeText.ParseAsync("From sender@example.com Mon Jan  1 00:00:00 2024\nSubject: x\nthis line is body\n");
        Assert.Equal("x", message.Headers["Subject"]);
        Assert.Single(message.Headers);
        Assert.Equal("this line is body", MimeText.DecodedAscii(message).TrimEnd());
    }

    [Fact]
    public async Task PartWithoutHeadersIsTextPlain()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/mixed; boundary=x\n\n--x\n\nno headers\n--x--\n");
        var part = Assert.Single(message.Children);
        Assert.Empty(part.Headers);
        Assert.Equal(0, part.RawHeaderBlock.Length);
        Assert.Equal("text/plain", part.ContentType.MimeType);
        Assert.Equal("no headers", MimeText.DecodedAscii(part));
    }

    [Fact]
    public async Task ContentTypeAndDispositionParametersAreParsed()
    {
        var message = await MimeText.ParseAsync("""
            Content-Type: Application/Octet-Stream (comment) ; NAME = "a \"quoted\" name.bin" ; x=unquoted value
            Content-Disposition: ATTACHMENT; filename=report.zip; size=10

            x
            """);
        Assert.Equal("application", message.ContentType.MediaType);
        Assert.Equal("octet-stream", message.ContentType.SubType);
        Assert.Equal("a \"quoted\" name.bin", message.ContentType.Name);
        Assert.Equal("unquoted value", message.ContentType.Parameters["X"]);
        Assert.Equal("attachment", message.Disposition);
        Assert.Equal("report.zip", message.FileName);
    }

    [Fact]
    public async Task ForgottenSemicolonStillGivesTheType()
    {
        var message = await MimeText.ParseAsync("Content-Type: text/html charset=utf-8\n\nx");
        Assert.Equal("text/html", message.ContentType.MimeType);
    }

    [Theory]
    [InlineData("Content-Type: text/plain\nContent-Disposition: attachment\n", true)]
    [InlineData("Content-Type: text/plain; name=a.txt\n", true)]
    [InlineData("Content-Type: image/png\n", true)]
    [InlineData("Content-Type: image/png\nContent-Disposition: inline\n", false)]
    [InlineData("Content-Type: text/html\nContent-Disposition: inline\n", false)]
    [InlineData("Content-Type: text/plain\n", false)]
    public async Task IsAttachmentFollowsDispositionNameAndType(string headers, bool expected)
    {
        var message = await MimeText.ParseAsync(headers + "\nx\n");
        Assert.Equal(expected, message.IsAttachment);
    }
}
