using System.Buffers.Binary;
using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>
/// Overall deadlines, not per read: a packet from its first byte, a message from MAIL FROM, idleness from the end of
/// the last message. The clock moves only by hand, and the heartbeat runs when it does.
/// </summary>
public sealed class MilterDeadlineTests
{
    private const uint AllActions = 0x1FF;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APacketTrickledAByteAtATimeIsCutAtItsDeadlineFromTheFirstByte()
    {
        var clock = new MilterClock();
        await using var fixture = new MilterServerFixture(new MilterOptions { CommandTimeout = TimeSpan.FromSeconds(10) }, clock);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, 0, Ct);
        var connection = Assert.Single(fixture.Server.Connections);
        var packet = Packet('H', "slow.example\0"u8);

        await client.SendRawAsync(packet[..3], Ct);
        await MilterServerFixture.WaitUntilAsync(() => connection.BufferedBytes == 3, Ct);
        clock.Advance(TimeSpan.FromSeconds(6));
        await client.SendRawAsync(packet[3..5], Ct);
        await MilterServerFixture.WaitUntilAsync(() => connection.BufferedBytes == 5, Ct);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(MilterCloseReason.None, connection.ClosedBecause);

        // The second read came 6 s after the first byte: a per-read timeout would now run to 16 s.
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(MilterCloseReason.Deadline, connection.ClosedBecause);
        Assert.True(await client.IsClosedAsync(Ct));
    }

    [Fact]
    public async Task CommandsBetweenMessagesDoNotExtendTheIdleDeadline()
    {
        var clock = new MilterClock();
        await using var fixture = new MilterServerFixture(new MilterOptions { IdleTimeout = TimeSpan.FromSeconds(60) }, clock);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, 0, Ct);
        await client.SendAsync('C', MilterTestClient.ConnectData("client.example.org", "192.0.2.7", 4321), Ct);
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        clock.Advance(TimeSpan.FromSeconds(40));
        await client.SendStringsAsync('H', Ct, "client.example.org");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        var connection = Assert.Single(fixture.Server.Connections);
        Assert.Equal(MilterCloseReason.None, connection.ClosedBecause);

        clock.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(MilterCloseReason.Deadline, connection.ClosedBecause);
        Assert.True(await client.IsClosedAsync(Ct));
    }

    [Fact]
    public async Task AMessageWhosePacketsKeepComingIsCutAtItsOverallDeadlineAndAFinishedOneRestartsTheIdleClock()
    {
        var clock = new MilterClock();
        await using var fixture = new MilterServerFixture(new MilterOptions
        {
            MessageTimeout = TimeSpan.FromMinutes(5),
            IdleTimeout = TimeSpan.FromMinutes(3),
        }, clock);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, 0, Ct);
        var connection = Assert.Single(fixture.Server.Connections);

        // A whole message within its time: the idle clock starts again at its end.
        clock.Advance(TimeSpan.FromMinutes(2));
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        clock.Advance(TimeSpan.FromMinutes(2));
        await client.SendAsync('E', [], Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(MilterCloseReason.None, connection.ClosedBecause);

        await client.SendStringsAsync('M', Ct, "<b@example.org>");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        for (var minute = 1; minute <= 4; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await client.SendAsync('B', "more\r\n"u8.ToArray(), Ct);
            Assert.Equal('c', await client.ReadCommandAsync(Ct));
            Assert.Equal(MilterCloseReason.None, connection.ClosedBecause);
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(MilterCloseReason.Deadline, connection.ClosedBecause);
        Assert.True(await client.IsClosedAsync(Ct));
    }

    [Fact]
    public async Task NearTheLimitANewConnectionClosesTheOneIdleLongestNeverOneInsideAMessage()
    {
        var clock = new MilterClock();
        // Nine tenths of 10: from the ninth connection on, each new one makes room.
        await using var fixture = new MilterServerFixture(new MilterOptions { MaxConnections = 10 }, clock);
        var clients = new List<MilterTestClient>();
        try
        {
            for (var i = 0; i < 9; i++)
            {
                var client = await fixture.ConnectAsync(Ct);
                clients.Add(client);
                await client.NegotiateAsync(6, AllActions, 0, Ct);
                clock.Advance(TimeSpan.FromSeconds(1));
            }
            await clients[0].SendStringsAsync('M', Ct, "<busy@example.org>");
            Assert.Equal('c', await clients[0].ReadCommandAsync(Ct));

            var newcomer = await fixture.ConnectAsync(Ct);
            clients.Add(newcomer);
            await newcomer.NegotiateAsync(6, AllActions, 0, Ct);

            Assert.True(await clients[1].IsClosedAsync(Ct));
            await clients[2].SendStringsAsync('H', Ct, "still.here");
            Assert.Equal('c', await clients[2].ReadCommandAsync(Ct));
            await clients[0].SendAsync('E', [], Ct);
            Assert.Equal('a', await clients[0].ReadCommandAsync(Ct));
            await newcomer.SendStringsAsync('H', Ct, "new.example");
            Assert.Equal('c', await newcomer.ReadCommandAsync(Ct));
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task RefusedConnectionsAreLoggedOnceAMinuteWithTheirCount()
    {
        var clock = new MilterClock();
        await using var fixture = new MilterServerFixture(new MilterOptions { MaxConnections = 2 }, clock);
        await using var first = await fixture.ConnectAsync(Ct);
        await using var second = await fixture.ConnectAsync(Ct);
        foreach (var busy in new[] { first, second })
        {
            await busy.NegotiateAsync(6, AllActions, 0, Ct);
            await busy.SendStringsAsync('M', Ct, "<busy@example.org>");
            Assert.Equal('c', await busy.ReadCommandAsync(Ct));
        }

        await RefuseAsync(20);
        clock.Advance(TimeSpan.FromSeconds(1));
        await RefuseAsync(5);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(Reports());
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(["20 refused at the limit of 2", "5 refused at the limit of 2"],
            Reports().Select(line => line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..line.IndexOf(',')]));

        async Task RefuseAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await using var refused = await fixture.ConnectAsync(Ct);
                Assert.True(await refused.IsClosedAsync(Ct));
            }
        }

        List<string> Reports() => fixture.Log.Entries.Where(e => e.Message.Contains("refused", StringComparison.Ordinal)).Select(e => e.Message).ToList();
    }

    internal static byte[] Packet(char command, ReadOnlySpan<byte> data)
    {
        var packet = new byte[5 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)data.Length + 1);
        packet[4] = (byte)command;
        data.CopyTo(packet.AsSpan(5));
        return packet;
    }
}
