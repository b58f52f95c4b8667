using System.Buffers.Binary;
using System.Text;
using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Tests.Milter;

public sealed class MilterProtocolTests
{
    private const uint AllActions = 0x1FF;
    private const uint NoReplyFlags = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Version6TakesOnlyTheOfferedActionsAndFlagsAndAsksForMacros()
    {
        await using var fixture = new MilterServerFixture();
        await using var client = await fixture.ConnectAsync(Ct);
        var offered = NoReplyFlags | 0x100 | 0x200 | 0x100000 | 0x1FF;
        var (version, actions, protocol, rest) = await client.NegotiateAsync(6, AllActions, offered, Ct);
        Assert.Equal(6u, version);
        Assert.Equal((uint)MilterSession.WantedActions, actions);
        Assert.Equal((uint)MilterSession.WantedProtocol, protocol);
        Assert.Equal(0u, protocol & ~offered);
        var macros = Encoding.ASCII.GetString(rest);
        Assert.Contains("{auth_authen}", macros);
        Assert.Contains("{daemon_name}", macros);
        Assert.Contains("{client_resolve}", macros);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(rest));
    }

    [Fact]
    public async Task OldMTAWithoutNoReplyFlagsGetsAReplyToEveryStage()
    {
        await using var fixture = new MilterServerFixture();
        await using var client = await fixture.ConnectAsync(Ct);
        var (version, actions, protocol, rest) = await client.NegotiateAsync(2, 0x1F, 0x7F, Ct);
        Assert.Equal(2u, version);
        Assert.Equal(0x1Fu & (uint)MilterSession.WantedActions, actions);
        Assert.Equal(0u, protocol);
        Assert.Empty(rest);

        await client.SendAsync('C', MilterTestClient.ConnectData("mx.example.org", "192.0.2.1", 25), Ct);
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendStringsAsync('H', Ct, "mx.example.org");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendStringsAsync('M', Ct, "<a@example.org>", "SIZE=100");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendStringsAsync('R', Ct, "<b@example.net>");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendAsync('T', [], Ct);
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendStringsAsync('U', Ct, "XYZZY");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendStringsAsync('L', Ct, "Subject", "hello");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendAsync('N', [], Ct);
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendAsync('B', "line\r\n"u8.ToArray(), Ct);
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        await client.SendAsync('E', [], Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));

        var message = Assert.Single(fixture.Handler.Messages);
        Assert.Equal("Subject: hello\r\n\r\nline\r\n", Encoding.ASCII.GetString(message.Message));
        Assert.Equal("mx.example.org", message.Envelope.Helo);
        Assert.Equal("192.0.2.1", message.Envelope.ClientAddress);
        Assert.Equal(["<b@example.net>"], message.Envelope.Recipients);
    }

    [Fact]
    public async Task WithNoReplyFlagsOnlyEndOfMessageIsAnsweredAndMacrosReachTheHandler()
    {
        await using var fixture = new MilterServerFixture();
        fixture.Handler.Decide = _ => new MilterDecision(MilterReply.WithCode(550, "5.7.1 100% no"), []);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags | 0x100000, Ct);
        await SendMessageAsync(client, leadingSpace: true);
        var reply = await client.ReadAsync(Ct);
        Assert.Equal('y', reply!.Value.Command);
        Assert.Equal("550 5.7.1 100%% no\0", Encoding.ASCII.GetString(reply.Value.Data));

        var message = Assert.Single(fixture.Handler.Messages);
        Assert.Equal("Q1", message.Envelope.QueueId);
        Assert.Equal("smtpd", message.Envelope.Macro("daemon_name"));
        Assert.Equal("alice", message.Envelope.Macro("auth_authen"));
        Assert.StartsWith("From: <a@example.org>\r\nSubject: hi\r\n\r\nbody\r\n", Encoding.ASCII.GetString(message.Message));
    }

    [Fact]
    public async Task ModificationsComeBeforeTheFinalReplyAndTheBodyIsSplitInto65535BytePackets()
    {
        await using var fixture = new MilterServerFixture();
        var body = new byte[150_000];
        Array.Fill(body, (byte)'x');
        fixture.Handler.Decide = _ => new MilterDecision(MilterReply.Continue,
        [
            new MilterModification.AddHeader("X-Added", "1"),
            new MilterModification.InsertHeader(0, "X-Top", "2"),
            new MilterModification.ChangeHeader(1, "Subject", null),
            new MilterModification.Quarantine("why"),
            new MilterModification.ReplaceBody(body),
        ]);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, leadingSpace: false);
        var seen = new List<(char, byte[])>();
        while (true)
        {
            var packet = (await client.ReadAsync(Ct))!.Value;
            seen.Add(packet);
            if (packet.Command == 'c')
                break;
        }
        Assert.Equal("himqbbbc", new string(seen.Select(p => p.Item1).ToArray()));
        Assert.Equal(new byte[] { 0, 0, 0, 1 }.Concat("Subject\0\0"u8.ToArray()), seen[2].Item2);
        Assert.All(seen.Where(p => p.Item1 == 'b'), p => Assert.True(p.Item2.Length <= 65_535));
        Assert.Equal(body.Length, seen.Where(p => p.Item1 == 'b').Sum(p => p.Item2.Length));
    }

    [Fact]
    public async Task LineBreaksAndNULsInHeaderValuesAndTextsBecomeSpacesButOurFoldsStay()
    {
        await using var fixture = new MilterServerFixture();
        fixture.Handler.Decide = _ => new MilterDecision(MilterReply.Accept,
        [
            new MilterModification.AddHeader("X-Tag", "ZIP; a.zip\r\nBcc: victim@example.net\0x\ry"),
            new MilterModification.InsertHeader(0, "Authentication-Results", "mx.example.net;\n\tspf=pass\r\n dkim=none\nX-Evil: 1"),
            new MilterModification.ChangeHeader(1, "Subject", new string('s', 2000)),
            new MilterModification.Quarantine("encrypted attachment: a.zip\r\nX-Evil: 1"),
        ]);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, leadingSpace: false);
        var packets = new List<(char Command, byte[] Data)>();
        for (var i = 0; i < 5; i++)
            packets.Add((await client.ReadAsync(Ct))!.Value);
        Assert.Equal("hi" + "mqa", new string(packets.Select(p => p.Command).ToArray()));
        Assert.Equal("X-Tag\0ZIP; a.zip  Bcc: victim@example.net x y\0", Encoding.UTF8.GetString(packets[0].Data));
        Assert.Equal("Authentication-Results\0mx.example.net;\n\tspf=pass\n dkim=none X-Evil: 1\0", Encoding.UTF8.GetString(packets[1].Data[4..]));
        Assert.Equal("Subject\0" + new string('s', MilterText.MaxLineBytes) + "\0", Encoding.UTF8.GetString(packets[2].Data[4..]));
        Assert.Equal("encrypted attachment: a.zip  X-Evil: 1\0", Encoding.UTF8.GetString(packets[3].Data));
    }

    [Fact]
    public async Task AReplyTextIsOneLineOfAtMost500Octets()
    {
        await using var fixture = new MilterServerFixture();
        fixture.Handler.Decide = _ => new MilterDecision(MilterReply.WithCode(550, "5.7.1 bad\r\n250 ok\0" + new string('x', 1000)), []);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, leadingSpace: false);
        var reply = (await client.ReadAsync(Ct))!.Value;
        Assert.Equal('y', reply.Command);
        var text = Encoding.ASCII.GetString(reply.Data);
        Assert.StartsWith("550 5.7.1 bad  250 ok xxx", text);
        Assert.Equal(4 + MilterText.MaxReplyBytes + 1, text.Length);
        Assert.Equal(1, text.Count(c => c == '\0'));
    }

    [Fact]
    public async Task AReplyTextFullOfPercentSignsStaysWithin500OctetsOnceTheyAreDoubled()
    {
        await using var fixture = new MilterServerFixture();
        fixture.Handler.Decide = _ => new MilterDecision(MilterReply.WithCode(550, "5.7.1 " + new string('%', 1000)), []);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, leadingSpace: false);
        var text = Encoding.ASCII.GetString((await client.ReadAsync(Ct))!.Value.Data);
        Assert.InRange(text.Length, 4, 4 + MilterText.MaxReplyBytes + 1);
        Assert.StartsWith("550 5.7.1 %%", text);
    }

    [Fact]
    public async Task ModificationsTheMTADidNotGrantAreNotSent()
    {
        await using var fixture = new MilterServerFixture();
        fixture.Handler.Decide = _ => new MilterDecision(MilterReply.Accept,
            [new MilterModification.ReplaceBody("x"u8.ToArray()), new MilterModification.AddHeader("X-A", "1")]);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, 0x01, NoReplyFlags, Ct);
        await SendMessageAsync(client, leadingSpace: false);
        Assert.Equal('h', await client.ReadCommandAsync(Ct));
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
    }

    [Fact]
    public async Task AbortMidMessageStartsTheNextMessageClean()
    {
        await using var fixture = new MilterServerFixture();
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags | 0x100000, Ct);
        await client.SendAsync('D', MilterTestClient.MacroData('M', "i", "FIRST"), Ct);
        await client.SendStringsAsync('M', Ct, "<first@example.org>");
        await client.SendStringsAsync('R', Ct, "<x@example.net>");
        await client.SendStringsAsync('L', Ct, "Subject", " first");
        await client.SendAsync('A', [], Ct);
        await client.SendStringsAsync('M', Ct, "<second@example.org>");
        await client.SendStringsAsync('R', Ct, "<y@example.net>");
        await client.SendStringsAsync('L', Ct, "Subject", " second");
        await client.SendAsync('N', [], Ct);
        await client.SendAsync('E', "tail\r\n"u8.ToArray(), Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));

        var message = Assert.Single(fixture.Handler.Messages);
        Assert.Equal("<second@example.org>", message.Envelope.Sender);
        Assert.Equal(["<y@example.net>"], message.Envelope.Recipients);
        Assert.Null(message.Envelope.QueueId);
        Assert.Equal("Subject: second\r\n\r\ntail\r\n", Encoding.ASCII.GetString(message.Message));
    }

    [Fact]
    public async Task QuitNewConnectionForgetsTheClientAndQuitCloses()
    {
        await using var fixture = new MilterServerFixture();
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await client.SendAsync('D', MilterTestClient.MacroData('C', "{daemon_name}", "first"), Ct);
        await client.SendAsync('C', MilterTestClient.ConnectData("one.example", "192.0.2.1", 1), Ct);
        await client.SendAsync('K', [], Ct);
        await client.SendAsync('C', [.. MilterTestClient.Strings("two.example"), (byte)'U'], Ct);
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        await client.SendAsync('E', [], Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
        var message = Assert.Single(fixture.Handler.Messages);
        Assert.Equal("two.example", message.Envelope.ClientName);
        Assert.Null(message.Envelope.ClientAddress);
        Assert.Null(message.Envelope.Macro("daemon_name"));

        await client.SendAsync('Q', [], Ct);
        Assert.True(await client.IsClosedAsync(Ct));
    }

    [Theory]
    [InlineData("command before negotiation")]
    [InlineData("unknown command")]
    [InlineData("zero length")]
    [InlineData("oversized")]
    [InlineData("unterminated string")]
    [InlineData("short negotiation")]
    [InlineData("negotiation below version 2")]
    [InlineData("repeated negotiation")]
    [InlineData("macros with an odd count")]
    [InlineData("macros for an unknown stage")]
    [InlineData("macros without a stage")]
    [InlineData("connect with an unknown family")]
    [InlineData("connect cut short")]
    [InlineData("header without a value")]
    [InlineData("recipient outside a message")]
    [InlineData("header outside a message")]
    [InlineData("end of message outside a message")]
    [InlineData("header after the body")]
    [InlineData("helo inside a message")]
    public async Task AMalformedPacketClosesOnlyItsOwnConnection(string kind)
    {
        await using var fixture = new MilterServerFixture(new MilterOptions { MaxPacketSize = 1024 });
        await using var good = await fixture.ConnectAsync(Ct);
        await good.NegotiateAsync(6, AllActions, 0, Ct);
        await using var bad = await fixture.ConnectAsync(Ct);
        if (kind != "command before negotiation")
            await bad.NegotiateAsync(6, AllActions, 0, Ct);
        switch (kind)
        {
            case "command before negotiation":
                await bad.SendStringsAsync('H', Ct, "x");
                break;
            case "unknown command":
                await bad.SendAsync('Z', [], Ct);
                break;
            case "zero length":
                await bad.SendRawAsync([0, 0, 0, 0], Ct);
                break;
            case "oversized":
                await bad.SendRawAsync([0, 0x10, 0, 0, (byte)'B'], Ct);
                break;
            case "unterminated string":
                await bad.SendAsync('H', "no-nul"u8.ToArray(), Ct);
                break;
            case "short negotiation":
            case "negotiation below version 2":
                await using (var fresh = await fixture.ConnectAsync(Ct))
                {
                    await fresh.SendAsync('O', kind == "short negotiation" ? [0, 0, 0, 6] : new byte[12], Ct);
                    Assert.True(await fresh.IsClosedAsync(Ct));
                }
                await bad.SendAsync('Z', [], Ct);
                break;
            case "repeated negotiation":
                await bad.SendAsync('O', [0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0], Ct);
                break;
            case "macros with an odd count":
                await bad.SendAsync('D', MilterTestClient.MacroData('C', "j", "mx.example.net", "{daemon_name}"), Ct);
                break;
            case "macros for an unknown stage":
                await bad.SendAsync('D', MilterTestClient.MacroData('Z', "j", "mx.example.net"), Ct);
                break;
            case "macros without a stage":
                await bad.SendAsync('D', [], Ct);
                break;
            case "connect with an unknown family":
                await bad.SendAsync('C', [.. MilterTestClient.Strings("client.example"), (byte)'X', 0, 25, .. MilterTestClient.Strings("192.0.2.1")], Ct);
                break;
            case "connect cut short":
                await bad.SendAsync('C', [.. MilterTestClient.Strings("client.example"), (byte)'4', 0], Ct);
                break;
            case "header without a value":
                await bad.SendStringsAsync('M', Ct, "<a@example.org>");
                Assert.Equal('c', await bad.ReadCommandAsync(Ct));
                await bad.SendStringsAsync('L', Ct, "Subject");
                break;
            case "recipient outside a message":
                await bad.SendStringsAsync('R', Ct, "<b@example.net>");
                break;
            case "header outside a message":
                await bad.SendStringsAsync('L', Ct, "Subject", "x");
                break;
            case "end of message outside a message":
                await bad.SendAsync('E', [], Ct);
                break;
            case "header after the body":
                await bad.SendStringsAsync('M', Ct, "<a@example.org>");
                Assert.Equal('c', await bad.ReadCommandAsync(Ct));
                await bad.SendAsync('B', "body\r\n"u8.ToArray(), Ct);
                Assert.Equal('c', await bad.ReadCommandAsync(Ct));
                await bad.SendStringsAsync('L', Ct, "Bcc", "x@example.net");
                break;
            case "helo inside a message":
                await bad.SendStringsAsync('M', Ct, "<a@example.org>");
                Assert.Equal('c', await bad.ReadCommandAsync(Ct));
                await bad.SendStringsAsync('H', Ct, "again.example");
                break;
        }
        Assert.True(await bad.IsClosedAsync(Ct));
        Assert.Contains(fixture.Log.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && e.Message.Contains("closing the connection", StringComparison.Ordinal));

        await good.SendStringsAsync('H', Ct, "still.here");
        Assert.Equal('c', await good.ReadCommandAsync(Ct));
    }

    [Fact]
    public async Task AbsurdNegotiationValuesGetOurVersionAndOnlyWhatWeKnow()
    {
        await using var fixture = new MilterServerFixture();
        await using var client = await fixture.ConnectAsync(Ct);
        var (version, actions, protocol, _) = await client.NegotiateAsync(uint.MaxValue, uint.MaxValue, uint.MaxValue, Ct);
        Assert.Equal(MilterSession.Version, version);
        Assert.Equal((uint)MilterSession.WantedActions, actions);
        Assert.Equal((uint)MilterSession.WantedProtocol, protocol);
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        await client.SendAsync('E', [], Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
    }

    [Fact]
    public async Task APacketSplitAcrossManyWritesIsReadWhole()
    {
        await using var fixture = new MilterServerFixture();
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, 0, Ct);
        var helo = Encoding.ASCII.GetBytes("split.example\0");
        var packet = new byte[5 + helo.Length];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)helo.Length + 1);
        packet[4] = (byte)'H';
        helo.CopyTo(packet, 5);
        foreach (var b in packet)
            await client.SendRawAsync([b], Ct);
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
    }

    [Fact]
    public async Task TwoHundredConcurrentConnectionsEachGetTheirOwnVerdict()
    {
        await using var fixture = new MilterServerFixture();
        fixture.Handler.Decide = envelope => envelope.Sender.StartsWith("<bad", StringComparison.Ordinal)
            ? new MilterDecision(MilterReply.Reject, [])
            : MilterDecision.Accept;
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            await using var client = await fixture.ConnectAsync(Ct);
            await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
            for (var m = 0; m < 3; m++)
            {
                await client.SendStringsAsync('M', Ct, i % 2 == 0 ? $"<bad{i}@example.org>" : $"<good{i}@example.org>");
                await client.SendStringsAsync('L', Ct, "Subject", $"{i}.{m}");
                await client.SendAsync('N', [], Ct);
                await client.SendAsync('B', Encoding.ASCII.GetBytes($"message {i}.{m}\r\n"), Ct);
                await client.SendAsync('E', [], Ct);
                var reply = await client.ReadCommandAsync(Ct);
                if (reply != (i % 2 == 0 ? 'r' : 'a'))
                    return false;
            }
            await client.SendAsync('Q', [], Ct);
            return true;
        }));
        Assert.All(results, Assert.True);
        Assert.Equal(600, fixture.Handler.Messages.Count);
        Assert.All(fixture.Handler.Messages, m =>
            Assert.EndsWith($"message {m.Headers[0].Item2}\r\n", Encoding.ASCII.GetString(m.Message)));
    }

    [Fact]
    public async Task ALargeMessageSpillsToATemporaryFileAndArrivesWhole()
    {
        await using var fixture = new MilterServerFixture(new MilterOptions { SpoolMemoryBytes = 10_000 });
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        await client.SendAsync('N', [], Ct);
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789abcdef\r\n", 3000)));
        for (var i = 0; i < 4; i++)
            await client.SendAsync('B', chunk, Ct);
        await client.SendAsync('E', [], Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
        Assert.Equal(2 + 4 * chunk.Length, Assert.Single(fixture.Handler.Messages).Message.Length);
    }

    [Fact]
    public async Task AnIdlePeerIsDisconnectedAndShutdownClosesIdleConnections()
    {
        await using var fixture = new MilterServerFixture(new MilterOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) });
        await using var idle = await fixture.ConnectAsync(Ct);
        Assert.True(await idle.IsClosedAsync(Ct));

        await using var fixture2 = new MilterServerFixture();
        await using var client = await fixture2.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, 0, Ct);
        await fixture2.StopAsync();
        Assert.True(await client.IsClosedAsync(Ct));
    }

    [Fact]
    public async Task ShutdownLetsAMessageInProgressFinishThenCloses()
    {
        await using var fixture = new MilterServerFixture();
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags & ~0x80u, Ct);
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        await client.SendStringsAsync('L', Ct, "Subject", "in flight");
        Assert.Equal('c', await client.ReadCommandAsync(Ct));
        var stopping = fixture.StopAsync();
        await client.SendAsync('N', [], Ct);
        await client.SendAsync('E', "body\r\n"u8.ToArray(), Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
        Assert.True(await client.IsClosedAsync(Ct));
        await stopping;
        Assert.Single(fixture.Handler.Messages);
    }

    [Fact]
    public async Task AUnixSocketListenerServesLikeTcp()
    {
        var path = Path.Combine(Path.GetTempPath(), $"milter-{Guid.NewGuid():N}.sock");
        var server = new MilterServer(new MilterServerFixture.RecordingHandler(), new MilterOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger<MilterServer>.Instance);
        server.Start(MilterEndpoint.Parse("unix:" + path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal("660", Convert.ToString((int)File.GetUnixFileMode(path), 8));
        using var stop = new CancellationTokenSource();
        var run = server.RunAsync(stop.Token);
        await using (var client = await MilterTestClient.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path), Ct))
        {
            await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
            await client.SendStringsAsync('M', Ct, "<a@example.org>");
            await client.SendAsync('E', [], Ct);
            Assert.Equal('a', await client.ReadCommandAsync(Ct));
        }
        await stop.CancelAsync();
        await run;
        await server.DisposeAsync();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task AFailingHandlerAcceptsTheMessageAndKeepsTheConnection()
    {
        await using var fixture = new MilterServerFixture();
        fixture.Handler.Decide = _ => throw new InvalidOperationException("boom");
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        await client.SendAsync('E', [], Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        await client.SendAsync('E', [], Ct);
        Assert.Equal('a', await client.ReadCommandAsync(Ct));
    }

    [Theory]
    [InlineData("inet:127.0.0.1:8891", "127.0.0.1:8891")]
    [InlineData("inet:8891@127.0.0.1", "127.0.0.1:8891")]
    [InlineData("inet6:[::1]:8891", "[::1]:8891")]
    [InlineData("unix:/run/dmarc/milter.sock", "/run/dmarc/milter.sock")]
    public void ListenAddressesInPostfixAndSendmailNotation(string text, string endpoint) =>
        Assert.Equal(endpoint, MilterEndpoint.Parse(text).EndPoint.ToString());

    [Theory]
    [InlineData("127.0.0.1:8891")]
    [InlineData("inet:127.0.0.1")]
    [InlineData("inet:host.example:25")]
    [InlineData("tcp:1.2.3.4:5")]
    public void BadListenAddressesAreRefused(string text) =>
        Assert.Throws<FormatException>(() => MilterEndpoint.Parse(text));

    private static async Task SendMessageAsync(MilterTestClient client, bool leadingSpace)
    {
        await client.SendAsync('D', MilterTestClient.MacroData('C', "j", "mx.example.net", "{daemon_name}", "smtpd"), Ct);
        await client.SendAsync('C', MilterTestClient.ConnectData("client.example.org", "192.0.2.7", 4321), Ct);
        await client.SendStringsAsync('H', Ct, "client.example.org");
        await client.SendAsync('D', MilterTestClient.MacroData('M', "i", "Q1", "{auth_authen}", "alice"), Ct);
        await client.SendStringsAsync('M', Ct, "<a@example.org>");
        await client.SendStringsAsync('R', Ct, "<b@example.net>");
        var space = leadingSpace ? " " : "";
        await client.SendStringsAsync('L', Ct, "From", space + "<a@example.org>");
        await client.SendStringsAsync('L', Ct, "Subject", space + "hi");
        await client.SendAsync('N', [], Ct);
        await client.SendAsync('B', "body\r\n"u8.ToArray(), Ct);
        await client.SendAsync('D', MilterTestClient.MacroData('E', "i", "Q1"), Ct);
        await client.SendAsync('E', [], Ct);
    }
}
