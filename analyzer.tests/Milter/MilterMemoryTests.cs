using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>What a connection holds is bounded, and goes back when it ends: pooled buffers returned, spool files deleted.</summary>
public sealed class MilterMemoryTests : IDisposable
{
    private const uint AllActions = 0x1FF;
    private const uint NoReplyFlags = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo _spool = Directory.CreateTempSubdirectory("milter-spool");

    [Theory]
    [InlineData("socket closed")]
    [InlineData("abort")]
    [InlineData("end of message")]
    public async Task ALargeMessageReturnsEveryBufferAndDeletesItsSpoolFile(string end)
    {
        var pool = new CountingPool();
        var options = new MilterOptions { SpoolMemoryBytes = 10_000, SpoolDirectory = _spool.FullName };
        await using var fixture = new MilterServerFixture(options, pool: pool);
        var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        var value = new string('v', 200_000);
        for (var i = 0; i < 20; i++)
            await client.SendStringsAsync('L', Ct, "X-Padding", value);
        await client.SendAsync('N', [], Ct);
        var chunk = new byte[60_000];
        Array.Fill(chunk, (byte)'x');
        for (var i = 0; i < 10; i++)
            await client.SendAsync('B', chunk, Ct);
        var connection = Assert.Single(fixture.Server.Connections);
        // A spool file exists once the body is past SpoolMemoryBytes; the server has read up to here when it shows.
        await MilterServerFixture.WaitUntilAsync(() => _spool.GetFiles().Length == 1 && connection.BufferedBytes == 0, Ct);

        switch (end)
        {
            case "abort":
                await client.SendAsync('A', [], Ct);
                await client.SendStringsAsync('H', Ct, "sync.example");
                await MilterServerFixture.WaitUntilAsync(() => _spool.GetFiles().Length == 0, Ct);
                break;
            case "end of message":
                await client.SendAsync('E', [], Ct);
                Assert.Equal('a', await client.ReadCommandAsync(Ct));
                Assert.Empty(_spool.GetFiles());
                break;
        }
        await client.DisposeAsync();
        await MilterServerFixture.WaitUntilAsync(() => fixture.Server.Connections.Count == 0, Ct);

        Assert.Empty(_spool.GetFiles());
        Assert.Equal(0, pool.Outstanding);
        // The pipe holds one packet at most (Kestrel-style framing: a frame is read in place, never gathered elsewhere).
        Assert.InRange(pool.Peak, 1, options.MaxPacketSize + 64 * 1024);
    }

    public void Dispose() => _spool.Delete(recursive: true);
}
