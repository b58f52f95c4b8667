using System.Text;
using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

public class MalformedMimeTests
{
    [Fact]
    public async Task UnterminatedMultipartEndsTheLastPartAtTheEnd()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/mixed; boundary=x\n\n--x\n\none\n--x\nContent-Type: text/html\n\ntwo\nstill two");
        Assert.Equal(2, message.Children.Count);
        Assert.Equal("two\r\nstill two", MimeText.DecodedAscii(message.Children[1]));
    }

    [Fact]
    public async Task BoundaryThatNeverAppearsGivesNoParts()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/mixed; boundary=nothere\n\n--other\n\nbody\n--other--\n");
        Assert.True(message.IsMultipart);
        Assert.Empty(message.Children);
    }

    [Fact]
    public async Task MultipartWithoutBoundaryParameterHasNoPartsAndKeepsItsText()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/mixed\n\n--x\n\nbody\n");
        Assert.Empty(message.Children);
        Assert.Contains("body", ((MimeKit.Multipart)message.Entity).Preamble);
    }

    [Fact]
    public async Task DelimiterFollowedByTextIsNotADelimiter()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/mixed; boundary=x\n\n--x\n\n--xylophone\n--x trailing text\n--x--\n");
        var part = Assert.Single(message.Children);
        Assert.Equal("--xylophone\r\n--x trailing text", MimeText.DecodedAscii(part));
    }

    [Fact]
    public async Task OverlongBoundaryIsRejected()
    {
        var boundary = new string('b', 300);
        var error = await Assert.ThrowsAsync<MimeFormatException>(() =>
            MimeText.ParseAsync($"Content-Type: multipart/mixed; boundary={boundary}\n\n--{boundary}\n\nx\n"));
        Assert.Contains("boundary", error.Message);
    }

    [Fact]
    public async Task DepthBombOf10000NestedMultipartsIsRejected()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
            text.Append($"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n");
        var error = await Assert.ThrowsAsync<MimeFormatException>(() =>
            MimeText.ParseAsync(Encoding.ASCII.GetBytes(text.ToString())));
        Assert.Contains("MaxDepth", error.Message);
    }

    [Fact]
    public async Task NestedMessageRfc822AlsoCountsTowardsDepth()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 100; i++)
            text.Append("Content-Type: message/rfc822\r\n\r\n");
        var error = await Assert.ThrowsAsync<MimeFormatException>(() =>
            MimeText.ParseAsync(Encoding.ASCII.GetBytes(text.ToString())));
        Assert.Contains("MaxDepth", error.Message);
    }

    [Fact]
    public async Task PartCountBombIsRejected()
    {
        var text = new StringBuilder("Content-Type: multipart/mixed; boundary=x\r\n\r\n");
        for (var i = 0; i < 100_000; i++)
            text.Append("--x\r\n\r\n");
        var error = await Assert.ThrowsAsync<MimeFormatException>(() =>
            MimeText.ParseAsync(Encoding.ASCII.GetBytes(text.ToString())));
        Assert.Contains("MaxParts", error.Message);
    }

    [Fact]
    public async Task HugeHeaderLineIsRejected()
    {
        var text = "Subject: " + new string('a', 2 << 20) + "\r\n\r\nbody";
        var error = await Assert.ThrowsAsync<MimeFormatException>(() => MimeText.ParseAsync(Encoding.ASCII.GetBytes(text)));
        Assert.Contains("MaxLineBytes", error.Message);
    }

    [Fact]
    public async Task TooManyHeaderBytesAreRejected()
    {
        var text = string.Concat(Enumerable.Repeat("X-Filler: 0123456789abcdef\r\n", 1000)) + "\r\n";
        var error = await Assert.ThrowsAsync<MimeFormatException>(() =>
            MimeText.ParseAsync(Encoding.ASCII.GetBytes(text), new MimeLimits(MaxHeaderBytes: 10_000)));
        Assert.Contains("MaxHeaderBytes", error.Message);
    }

    [Fact]
    public async Task OversizedMessageIsRejectedWhileReading()
    {
        var error = await Assert.ThrowsAsync<MimeFormatException>(() =>
            BoundedMimeParser.ParseAsync(new UnseekableStream(new byte[200_000]), new MimeLimits(MaxMessageBytes: 100_000),
                TestContext.Current.CancellationToken));
        Assert.Contains("MaxMessageBytes", error.Message);
    }

    [Fact]
    public async Task OversizedSeekableMessageIsRejectedBeforeReading()
    {
        var error = await Assert.ThrowsAsync<MimeFormatException>(() =>
            MimeText.ParseAsync(new byte[200_000], new MimeLimits(MaxMessageBytes: 100_000)));
        Assert.Contains("MaxMessageBytes", error.Message);
    }

    [Fact]
    public async Task MessageOfExactlyTheLimitIsAccepted()
    {
        var bytes = MimeText.Bytes("Subject: x\n\n" + new string('a', 1000));
        var message = await MimeText.ParseAsync(bytes, new MimeLimits(MaxMessageBytes: bytes.Length));
        Assert.Equal(1000, message.DecodedLength);
    }

    [Fact]
    public async Task InvalidBase64DecodesWhatItCan()
    {
        var message = await MimeText.ParseAsync("Content-Type: application/gzip\nContent-Transfer-Encoding: base64\n\n!!!@@@ H4sI ===== A\n\u00e9\u00e9\n");
        Assert.Equal(new byte[] { 0x1F, 0x8B, 0x08 }, MimeText.Decoded(message));
    }

    [Fact]
    public async Task EmptyInputIsAnEmptyMessage()
    {
        var message = await MimeText.ParseAsync([]);
        Assert.Empty(message.Headers);
        Assert.Equal(0, message.DecodedLength);
    }

    [Fact]
    public async Task BinaryGarbageIsReadAsATextBody()
    {
        var bytes = new byte[100_000];
        new Random(42).NextBytes(bytes);
        var message = await MimeText.ParseAsync(bytes);
        Assert.Empty(message.Headers);
        Assert.Equal(bytes, message.DecodedContent);
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
