using System.Text;
using DmarcAnalyzer.Imap;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>The client against scripted servers: the exact commands it sends, and what it does with bad replies.</summary>
public class ImapClientProtocolTests
{
    private const string Greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] ready\r\n";
    private static readonly ImapLimits Quick = new() { ResponseTimeout = TimeSpan.FromSeconds(2), MaxLineBytes = 64 * 1024, MaxLiteralBytes = 1024 * 1024 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<ImapClient> ConnectAsync(ScriptedImapServer server, ImapLimits? limits = null) =>
        ImapClient.ConnectAsync(server.Endpoint, limits ?? Quick, NullLogger.Instance, Ct);

    [Fact]
    public async Task LogsInWithAuthenticatePlainAsAnInitialResponse()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync(Greeting);
            var tag = await s.ExpectAsync("AUTHENTICATE PLAIN " + Convert.ToBase64String("\0alice\0pässword"u8.ToArray()));
            await s.SendAsync($"{tag} OK [CAPABILITY IMAP4rev1 MOVE UIDPLUS] Logged in\r\n");
        });
        await using var client = await ConnectAsync(server);
        await client.LoginAsync("alice", "pässword", ImapLoginMethod.Auto, Ct);
        await server.Completion;
        Assert.True(client.Has("MOVE"));
    }

    [Fact]
    public async Task AnswersThePlainChallengeWithoutSaslIr()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
            var tag = await s.ExpectAsync("AUTHENTICATE PLAIN");
            await s.SendAsync("+ \r\n");
            Assert.Equal(Convert.ToBase64String("\0bob\0pw"u8.ToArray()), await s.ReadLineAsync());
            await s.SendAsync($"{tag} OK done\r\n");
            tag = await s.ExpectAsync("CAPABILITY");
            await s.SendAsync($"* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK\r\n");
        });
        await using var client = await ConnectAsync(server);
        await client.LoginAsync("bob", "pw", ImapLoginMethod.Auto, Ct);
        await server.Completion;
        Assert.True(client.Has("IDLE"));
    }

    [Fact]
    public async Task FallsBackToLoginWhenPlainIsRefusedAsUnknown()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync(Greeting);
            var tag = await s.ExpectAsync("AUTHENTICATE PLAIN");
            await s.SendAsync($"{tag} BAD Unsupported mechanism\r\n");
            tag = await s.ExpectAsync("LOGIN \"alice\" \"a \\\"quoted\\\" \\\\ pw\"");
            await s.SendAsync($"{tag} OK [CAPABILITY IMAP4rev1] in\r\n");
        });
        await using var client = await ConnectAsync(server);
        await client.LoginAsync("alice", "a \"quoted\" \\ pw", ImapLoginMethod.Auto, Ct);
        await server.Completion;
    }

    [Fact]
    public async Task SendsANonAsciiPasswordAsALiteralAfterTheContinuation()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* OK [CAPABILITY IMAP4rev1] ready\r\n");
            var line = await s.ReadLineAsync();
            Assert.EndsWith("LOGIN \"alice\" {6}", line);
            await s.SendAsync("+ go\r\n");
            Assert.Equal("pässw"u8.ToArray(), await s.ReadBytesAsync(6));
            Assert.Equal("", await s.ReadLineAsync());
            await s.SendAsync($"{line.Split(' ')[0]} OK [CAPABILITY IMAP4rev1] in\r\n");
        });
        await using var client = await ConnectAsync(server);
        await client.LoginAsync("alice", "pässw", ImapLoginMethod.Auto, Ct);
        await server.Completion;
    }

    [Fact]
    public async Task WrongCredentialsAreAnAuthenticationFailureWithoutASecondTry()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync(Greeting);
            var tag = await s.ExpectAsync("AUTHENTICATE PLAIN");
            await s.SendAsync($"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
            await s.ExpectCloseAsync();
        });
        var client = await ConnectAsync(server);
        await Assert.ThrowsAsync<ImapAuthenticationException>(() => client.LoginAsync("alice", "wrong", ImapLoginMethod.Auto, Ct));
        await client.DisposeAsync();
        await server.Completion;
    }

    [Fact]
    public async Task AnUnavailableAuthenticationBackendIsTransient()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync(Greeting);
            var tag = await s.ExpectAsync("AUTHENTICATE PLAIN");
            await s.SendAsync($"{tag} NO [UNAVAILABLE] Temporary authentication failure.\r\n");
        });
        await using var client = await ConnectAsync(server);
        await Assert.ThrowsAsync<ImapConnectionException>(() => client.LoginAsync("alice", "pw", ImapLoginMethod.Auto, Ct));
    }

    [Fact]
    public async Task SelectsSearchesFetchesAndMoves()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1 MOVE] hi\r\n");
            var tag = await s.ExpectAsync("SELECT \"Entw&APw-rfe\"");
            await s.SendAsync($"* 2 EXISTS\r\n* OK [UIDVALIDITY 77] v\r\n* OK [UIDNEXT 12] n\r\n{tag} OK [READ-WRITE] done\r\n");
            tag = await s.ExpectAsync("UID SEARCH UID 1:* UNDELETED");
            await s.SendAsync($"* SEARCH 11 5\r\n{tag} OK\r\n");
            tag = await s.ExpectAsync("UID FETCH 5 (UID BODY.PEEK[])");
            await s.SendAsync($"* 1 FETCH (FLAGS (\\Seen))\r\n* 1 FETCH (UID 5 BODY[] {{9}}\r\nSubject:x)\r\n{tag} OK\r\n");
            tag = await s.ExpectAsync("UID MOVE 5 \"DMARC.Processed\"");
            await s.SendAsync($"* OK [COPYUID 1 5 1]\r\n* 1 EXPUNGE\r\n{tag} OK moved\r\n");
        });
        await using var client = await ConnectAsync(server);
        var selected = await client.SelectAsync("Entwürfe", Ct);
        Assert.Equal(new SelectedMailbox("Entwürfe", 2, 77, 12, false), selected);
        Assert.Equal([5u, 11u], await client.UidSearchAsync("UID 1:* UNDELETED", Ct));
        using (var message = await client.UidFetchMessageAsync(5, Ct))
            Assert.Equal("Subject:x", Encoding.ASCII.GetString(message!.Content.ToArray()));
        await client.UidMoveAsync([5], "DMARC.Processed", Ct);
        await server.Completion;
    }

    [Fact]
    public async Task MovesWithCopyStoreAndUidExpungeOfThatUidOnlyWithoutMove()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] hi\r\n");
            var tag = await s.ExpectAsync("UID COPY 7 \"Archive\"");
            await s.SendAsync($"{tag} OK [COPYUID 1 7 3] copied\r\n");
            tag = await s.ExpectAsync("UID STORE 7 +FLAGS.SILENT (\\Deleted)");
            await s.SendAsync($"{tag} OK\r\n");
            tag = await s.ExpectAsync("UID EXPUNGE 7");
            await s.SendAsync($"* 3 EXPUNGE\r\n{tag} OK\r\n");
        });
        await using var client = await ConnectAsync(server);
        await client.UidMoveAsync([7], "Archive", Ct);
        await server.Completion;
    }

    [Fact]
    public async Task ListDecodesNamesAndCreateAcceptsAnExistingMailbox()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n");
            var tag = await s.ExpectAsync("LIST \"\" \"*\"");
            await s.SendAsync($"* LIST (\\HasNoChildren) \".\" INBOX\r\n* LIST (\\Noselect) \".\" {{12}}\r\nEntw&APw-rfe\r\n* LIST () NIL \"flat\"\r\n{tag} OK\r\n");
            tag = await s.ExpectAsync("CREATE \"DMARC\"");
            await s.SendAsync($"{tag} NO [ALREADYEXISTS] exists\r\n");
        });
        await using var client = await ConnectAsync(server);
        var list = await client.ListAsync("", "*", Ct);
        Assert.Equal(["INBOX", "Entwürfe", "flat"], list.Select(m => m.Name));
        Assert.Equal(['.', '.', null], list.Select(m => m.Delimiter));
        Assert.False(list[1].CanSelect);
        Assert.False(await client.CreateAsync("DMARC", Ct));
        await server.Completion;
    }

    [Fact]
    public async Task AppendsWithASynchronizingLiteral()
    {
        var message = "From: a@example.org\r\n\r\nbody\r\n"u8.ToArray();
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] hi\r\n");
            var line = await s.ReadLineAsync();
            Assert.EndsWith($"APPEND \"INBOX\" {{{message.Length}}}", line);
            await s.SendAsync("+ Ready\r\n");
            Assert.Equal(message, await s.ReadBytesAsync(message.Length));
            Assert.Equal("", await s.ReadLineAsync());
            await s.SendAsync($"{line.Split(' ')[0]} OK [APPENDUID 9 41] appended\r\n");
        });
        await using var client = await ConnectAsync(server);
        Assert.Equal(41u, await client.AppendAsync("INBOX", new MemoryStream(message), message.Length, Ct));
        await server.Completion;
    }

    [Fact]
    public async Task IdleReturnsOnNewMailAndEndsWithDone()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n");
            var tag = await s.ExpectAsync("IDLE");
            await s.SendAsync("+ idling\r\n* OK Still here\r\n* 4 EXISTS\r\n");
            Assert.Equal("DONE", await s.ReadLineAsync());
            await s.SendAsync($"{tag} OK Idle completed\r\n");
        });
        await using var client = await ConnectAsync(server);
        Assert.True(await client.IdleAsync(TimeSpan.FromMinutes(5), Ct));
        await server.Completion;
    }

    [Fact]
    public async Task IdleEndsCleanlyWhenStopped()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n");
            var tag = await s.ExpectAsync("IDLE");
            await s.SendAsync("+ idling\r\n");
            await stop.CancelAsync();
            Assert.Equal("DONE", await s.ReadLineAsync());
            await s.SendAsync($"{tag} OK Idle completed\r\n");
            tag = await s.ExpectAsync("NOOP");
            await s.SendAsync($"{tag} OK\r\n");
        });
        await using var client = await ConnectAsync(server);
        Assert.False(await client.IdleAsync(TimeSpan.FromMinutes(5), stop.Token));
        await client.NoopAsync(Ct);
        await server.Completion;
    }

    [Fact]
    public async Task ByeInTheMiddleOfACommandBreaksTheConnection()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n");
            await s.ExpectAsync("UID SEARCH ALL");
            await s.SendAsync("* SEARCH 1\r\n* BYE Server shutting down\r\n");
        });
        await using var client = await ConnectAsync(server);
        var e = await Assert.ThrowsAsync<ImapConnectionException>(() => client.UidSearchAsync("ALL", Ct));
        Assert.Contains("BYE Server shutting down", e.Message);
    }

    [Fact]
    public async Task AHugeAnnouncedLiteralIsRefusedWithoutWaitingForIt()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n");
            var tag = await s.ExpectAsync("UID FETCH 1");
            await s.SendAsync("* 1 FETCH (UID 1 BODY[] {4294967296}\r\nxxxx");
            await s.ExpectCloseAsync();
        });
        await using var client = await ConnectAsync(server);
        await Assert.ThrowsAsync<ImapProtocolException>(() => client.UidFetchMessageAsync(1, Ct));
        Assert.False(client.IsUsable);
    }

    [Fact]
    public async Task AnEndlessLineIsCutOffAtTheLimit()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n");
            await s.ExpectAsync("NOOP");
            var chunk = Encoding.ASCII.GetBytes("* OK " + new string('x', 16 * 1024));
            for (var i = 0; i < 64; i++)
                await s.SendAsync(chunk);
        });
        await using var client = await ConnectAsync(server);
        var e = await Assert.ThrowsAsync<ImapProtocolException>(() => client.NoopAsync(Ct));
        Assert.Contains("longer than", e.Message);
    }

    [Fact]
    public async Task GarbageIsAProtocolError()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n");
            await s.ExpectAsync("NOOP");
            await s.SendAsync("\x01\x02HTTP/1.1 400 Bad Request\r\n");
        });
        await using var client = await ConnectAsync(server);
        await Assert.ThrowsAsync<ImapProtocolException>(() => client.NoopAsync(Ct));
    }

    [Fact]
    public async Task ASilentServerTimesOut()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n");
            await s.ExpectAsync("NOOP");
            await s.ExpectCloseAsync();
        });
        await using var client = await ConnectAsync(server, Quick with { ResponseTimeout = TimeSpan.FromMilliseconds(300) });
        var e = await Assert.ThrowsAsync<ImapConnectionException>(() => client.NoopAsync(Ct));
        Assert.Contains("sent nothing", e.Message);
    }

    [Fact]
    public async Task ARefusingGreetingIsAConnectionError()
    {
        await using var server = new ScriptedImapServer(s => s.SendAsync("* BYE Too many connections\r\n"));
        var e = await Assert.ThrowsAsync<ImapConnectionException>(() => ConnectAsync(server));
        Assert.Contains("Too many connections", e.Message);
    }

    [Fact]
    public async Task StartTlsIsRequiredWhenAsked()
    {
        await using var server = new ScriptedImapServer(s => s.SendAsync("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no tls here\r\n"));
        var e = await Assert.ThrowsAsync<ImapConnectionException>(() =>
            ImapClient.ConnectAsync(server.Endpoint with { Tls = ImapTls.StartTls }, Quick, NullLogger.Instance, Ct));
        Assert.Contains("does not offer STARTTLS", e.Message);
    }

    [Fact]
    public async Task DataInjectedAfterTheStartTlsReplyIsRefused()
    {
        await using var server = new ScriptedImapServer(async s =>
        {
            await s.SendAsync("* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n");
            var tag = await s.ExpectAsync("STARTTLS");
            await s.SendAsync($"{tag} OK Begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n");
            await s.ExpectCloseAsync();
        });
        var e = await Assert.ThrowsAsync<ImapProtocolException>(() =>
            ImapClient.ConnectAsync(server.Endpoint with { Tls = ImapTls.StartTls }, Quick, NullLogger.Instance, Ct));
        Assert.Contains("before TLS began", e.Message);
    }
}
