using System.Text;
using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Tests.Milter;

public class MessageSpoolTests
{
    [Fact]
    public async Task KeepsUtf8HeaderBytesExactlyAndOnlyNormalisesLineEnds()
    {
        await using var spool = new MessageSpool(1 << 20, 1 << 20);
        // "Å" and "х" in UTF-8 end in byte 0x85 (NEL when read as Latin-1); a folded value uses a bare LF from the MTA.
        var subject = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("Åpen дух"));
        await spool.AddHeaderAsync("Subject", subject, leadingSpaceKept: false, TestContext.Current.CancellationToken);
        await spool.AddHeaderAsync("To", "a@example.com,\n\tb@example.com", leadingSpaceKept: false, TestContext.Current.CancellationToken);
        await spool.EndHeadersAsync(TestContext.Current.CancellationToken);

        using var read = new MemoryStream();
        await using (var content = spool.OpenRead())
            await content.CopyToAsync(read, TestContext.Current.CancellationToken);
        var expected = Encoding.UTF8.GetBytes("Subject: Åpen дух\r\nTo: a@example.com,\r\n\tb@example.com\r\n\r\n");
        Assert.Equal(expected, read.ToArray());
    }
}
