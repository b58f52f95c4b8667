using System.Text;
using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Tests.Milter;

public class MessageSpoolTests
{
    [Fact]
    public async Task KeepsUtf8HeaderBytesExactlyAndOnlyNormalisesLineEnds()
    {
        await using var spool = new MessageSpool(new MilterOptions(), keepContent: true);
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

    [Fact]
    public async Task HeaderBytesPastTheCapMakeTheMessageTruncatedAndWhatIsKeptStaysBounded()
    {
        var limits = new MilterOptions { MaxHeaderBytes = 10_000 };
        await using var spool = new MessageSpool(limits, keepContent: true);
        var value = new string('v', 1000);
        for (var i = 0; i < 100; i++)
            await spool.AddHeaderAsync(i % 2 == 0 ? "X-Padding" : "Authentication-Results", value, leadingSpaceKept: false, TestContext.Current.CancellationToken);
        Assert.True(spool.Truncated);
        Assert.True(spool.FieldsLost);
        Assert.Equal(100, spool.FieldCount);
        // Within the cap: nine fields of 1,003 bytes; past it, Authentication-Results up to the cap again.
        Assert.InRange(spool.Headers.Sum(h => h.Name.Length + h.Value.Length), 1, 2 * limits.MaxHeaderBytes);
        Assert.InRange(spool.HeldBytes, 1, 4 * limits.MaxHeaderBytes + 2 * limits.SpoolMemoryBytes);
    }
}
