using System.Text;
using DmarcAnalyzer.Ingest;

namespace DmarcAnalyzer.Tests.Ingest;

public class MboxReaderTests
{
    private static async Task<List<string>> SplitAsync(string mbox, long max = 1 << 20)
    {
        var messages = new List<string>();
        await foreach (var m in MboxReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(mbox)), max, TestContext.Current.CancellationToken))
        {
            Assert.Equal(messages.Count + 1, m.Number);
            messages.Add(Encoding.UTF8.GetString(m.Bytes));
        }
        return messages;
    }

    [Fact]
    public async Task SplitsAtFromLinesAndUnescapesTheMboxrdWay()
    {
        var messages = await SplitAsync(
            "From reports@example.net Sat Nov 21 10:00:00 2026\n" +
            "Subject: one\n\n>From the start\n>>From deeper\n> From not escaped\n\n\n" +
            "From other@example.net Sat Nov 21 11:00:00 2026\n" +
            "Subject: two\n\nlast line without newline");
        Assert.Equal(
        [
            "Subject: one\n\nFrom the start\n>From deeper\n> From not escaped\n\n",
            "Subject: two\n\nlast line without newline",
        ], messages);
    }

    [Fact]
    public async Task KeepsCrlfLineEndings()
    {
        var messages = await SplitAsync("From a@b Sat Nov 21 10:00:00 2026\r\nSubject: x\r\n\r\nbody\r\n\r\nFrom c@d Sat Nov 21 10:00:00 2026\r\nSubject: y\r\n");
        Assert.Equal(["Subject: x\r\n\r\nbody\r\n", "Subject: y\r\n"], messages);
    }

    [Fact]
    public async Task AnEmptyFileHasNoMessages() => Assert.Empty(await SplitAsync(""));

    [Fact]
    public async Task RefusesAFileThatIsNotAnMbox()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => SplitAsync("Subject: plain message\n\nhello\n"));
        Assert.Contains("not an mbox", e.Message);
    }

    [Fact]
    public async Task PassesAnOversizedMessageOnMarkedAndGoesOn()
    {
        var mbox = "From a@b Sat Nov 21 10:00:00 2026\n" + string.Concat(Enumerable.Repeat("0123456789\n", 200))
            + "\nFrom c@d Sat Nov 21 10:00:01 2026\nSubject: next\n\nbody\n";
        var messages = new List<MboxMessage>();
        await foreach (var m in MboxReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(mbox)), 1000, TestContext.Current.CancellationToken))
            messages.Add(m);
        Assert.Equal(2, messages.Count);
        Assert.True(messages[0].Oversized);
        Assert.InRange(messages[0].Bytes.Length, 1, 1000);
        Assert.False(messages[1].Oversized);
        Assert.Equal("Subject: next\n\nbody\n", Encoding.UTF8.GetString(messages[1].Bytes));
    }

    [Fact]
    public async Task RefusesALineThatNeverEnds()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            SplitAsync("From a@b Sat Nov 21 10:00:00 2026\n" + new string('x', 50_000), max: 1000));
        Assert.Contains("a line over 1000 bytes", e.Message);
    }

    // Why MboxReader is ours: when MimeKit's mbox mode starts to unescape, this fails and MboxReader can go.
    [Fact]
    public void MimeKitsMboxModeLeavesEscapedFromLinesEscaped()
    {
        var mbox = "From a@b Sat Nov 21 10:00:00 2026\nSubject: one\n\n>From the start\n";
        var parser = new MimeKit.MimeParser(new MemoryStream(Encoding.UTF8.GetBytes(mbox)), MimeKit.MimeFormat.Mbox);
        var body = Assert.IsType<MimeKit.TextPart>(parser.ParseMessage(TestContext.Current.CancellationToken).Body);
        Assert.Equal(">From the start\n", body.Text);
    }
}
