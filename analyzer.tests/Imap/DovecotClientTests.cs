using System.Text;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Imap.Exported;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>The client against a real Dovecot.</summary>
public class DovecotClientTests(DovecotServer dovecot) : IClassFixture<DovecotServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Message(string subject) => Encoding.ASCII.GetBytes(
        $"From: reports@example.net\r\nTo: dmarc@example.org\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid()}@example.net>\r\n\r\nbody of {subject}\r\n");

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task LogsInOverTlsTrustingOurCa(bool implicitTls, bool loginCommand)
    {
        var user = dovecot.NewUser();
        await using var client = await dovecot.LoginAsync(user, implicitTls ? ImapTls.Implicit : ImapTls.StartTls,
            loginCommand ? ImapLoginMethod.Login : ImapLoginMethod.Plain);
        Assert.True(client.IsSecure);
        Assert.True(client.IsAuthenticated);
        Assert.True(client.Has("MOVE"));
        await client.LogoutAsync(Ct);
    }

    [Fact]
    public async Task LogsInWithoutTlsOnLoopback()
    {
        var user = dovecot.NewUser();
        await using var client = await ImapClient.ConnectAsync(dovecot.Endpoint(ImapTls.None), ImapLimits.Default, NullLogger.Instance, Ct);
        await client.LoginAsync(user, dovecot.Password, ImapLoginMethod.Auto, Ct);
        Assert.False(client.IsSecure);
    }

    [Fact]
    public async Task RefusesACertificateNotSignedByATrustedCa()
    {
        var e = await Assert.ThrowsAsync<ImapConnectionException>(() =>
            ImapClient.ConnectAsync(dovecot.Endpoint(ImapTls.Implicit) with { TrustedCertificates = null }, ImapLimits.Default, NullLogger.Instance, Ct));
        Assert.Contains("TLS", e.Message);
    }

    [Fact]
    public async Task RefusesACertificateForAnotherName()
    {
        // The certificate names localhost and 127.0.0.1, not 127.0.0.2 (which still reaches Linux's loopback).
        var wrongName = dovecot.Endpoint(ImapTls.Implicit) with { Host = "127.0.0.2" };
        await Assert.ThrowsAsync<ImapConnectionException>(() =>
            ImapClient.ConnectAsync(wrongName, ImapLimits.Default, NullLogger.Instance, Ct));
    }

    [Fact]
    public async Task WrongPasswordIsAnAuthenticationFailure()
    {
        var user = dovecot.NewUser();
        await using var client = await ImapClient.ConnectAsync(dovecot.Endpoint(ImapTls.Implicit), ImapLimits.Default, NullLogger.Instance, Ct);
        await Assert.ThrowsAsync<ImapAuthenticationException>(() => client.LoginAsync(user, "wrong", ImapLoginMethod.Auto, Ct));
    }

    [Fact]
    public async Task AppendsSearchesFetchesAndMovesByUid()
    {
        var user = dovecot.NewUser();
        await using var client = await dovecot.LoginAsync(user);
        var first = Message("first");
        var second = Message("second");
        var uid1 = await client.AppendAsync("INBOX", new MemoryStream(first), first.Length, Ct);
        var uid2 = await client.AppendAsync("INBOX", new MemoryStream(second), second.Length, Ct);
        Assert.NotNull(uid1);
        Assert.True(await client.CreateAsync("Geprüfte Berichte", Ct));
        Assert.False(await client.CreateAsync("Geprüfte Berichte", Ct));
        Assert.Contains(await client.ListAsync("", "*", Ct), m => m.Name == "Geprüfte Berichte");

        var inbox = await client.SelectAsync("INBOX", Ct);
        Assert.Equal(2, inbox.Exists);
        Assert.Equal([uid1!.Value, uid2!.Value], await client.UidSearchAsync("ALL", Ct));
        using (var fetched = await client.UidFetchMessageAsync(uid2.Value, Ct))
            Assert.Equal(second, fetched!.Content.ToArray());
        Assert.Null(await client.UidFetchMessageAsync(uid2.Value + 100, Ct));

        await client.UidMoveAsync([uid1.Value], "Geprüfte Berichte", Ct);
        Assert.Equal([uid2.Value], await client.UidSearchAsync("ALL", Ct));
        var archive = await client.SelectAsync("Geprüfte Berichte", Ct);
        Assert.Equal(1, archive.Exists);
        var moved = Assert.Single(await client.UidSearchAsync("ALL", Ct));
        using (var fetched = await client.UidFetchMessageAsync(moved, Ct))
            Assert.Equal(first, fetched!.Content.ToArray());
    }

    [Fact]
    public async Task TheMaildirReaderFindsWhatDovecotStored()
    {
        var user = dovecot.NewUser();
        await using (var client = await dovecot.LoginAsync(user))
        {
            foreach (var subject in new[] { "a", "b" })
            {
                var bytes = Message(subject);
                await client.AppendAsync("INBOX", new MemoryStream(bytes), bytes.Length, Ct);
            }
            await client.CreateAsync("Archive", Ct);
            var archived = Message("c");
            await client.AppendAsync("Archive", new MemoryStream(archived), archived.Length, Ct);
        }
        var files = MaildirReader.MessageFiles(dovecot.MaildirOf(user));
        // Dovecot stores LF line endings.
        var subjects = files.Select(f => File.ReadAllText(f).Split('\n').Single(l => l.StartsWith("Subject: ", StringComparison.Ordinal)));
        Assert.Equal(["Subject: a", "Subject: b", "Subject: c"], subjects.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FetchesALargeMessageThroughATemporaryFile()
    {
        var user = dovecot.NewUser();
        await using var client = await dovecot.LoginAsync(user);
        var body = new StringBuilder("From: a@example.net\r\nSubject: big\r\n\r\n");
        var line = new string('x', 76) + "\r\n";
        while (body.Length < 3 * LiteralBuffer.InMemoryBytes)
            body.Append(line);
        var bytes = Encoding.ASCII.GetBytes(body.ToString());
        var uid = await client.AppendAsync("INBOX", new MemoryStream(bytes), bytes.Length, Ct);
        await client.SelectAsync("INBOX", Ct);
        using var fetched = await client.UidFetchMessageAsync(uid!.Value, Ct);
        Assert.Equal(bytes.Length, fetched!.Content.Length);
        Assert.Equal(bytes, fetched.Content.ToArray());
    }

    [Fact]
    public async Task IdleWakesUpWhenMailArrives()
    {
        var user = dovecot.NewUser();
        await using var watcher = await dovecot.LoginAsync(user);
        await watcher.SelectAsync("INBOX", Ct);
        var idle = watcher.IdleAsync(TimeSpan.FromMinutes(2), Ct);
        await using (var sender = await dovecot.LoginAsync(user))
        {
            var message = Message("wake up");
            // Dovecot notices new mail on its own schedule; keep appending until the idler hears of it.
            while (!idle.IsCompleted)
            {
                await sender.AppendAsync("INBOX", new MemoryStream(message), message.Length, Ct);
                await Task.WhenAny(idle, Task.Delay(1000, Ct));
            }
        }
        Assert.True(await idle);
        await watcher.NoopAsync(Ct);
    }
}

/// <summary>The move fallback against a Dovecot that does not announce MOVE.</summary>
public class DovecotWithoutMoveTests(DovecotWithoutMove dovecot) : IClassFixture<DovecotWithoutMove>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MovesWithCopyStoreAndUidExpungeOfThatUidAlone()
    {
        var user = dovecot.NewUser();
        await using var client = await dovecot.LoginAsync(user);
        Assert.False(client.Has("MOVE"));
        Assert.False(client.Has("LITERAL+"));
        var uids = new List<uint>();
        foreach (var subject in new[] { "one", "two", "three" })
        {
            var bytes = Encoding.ASCII.GetBytes($"Subject: {subject}\r\n\r\n{subject}\r\n");
            uids.Add((await client.AppendAsync("INBOX", new MemoryStream(bytes), bytes.Length, Ct))!.Value);
        }
        await client.CreateAsync("Archive", Ct);
        await client.SelectAsync("INBOX", Ct);
        await client.UidMoveAsync([uids[0]], "Archive", Ct);
        Assert.Equal([uids[1], uids[2]], await client.UidSearchAsync("ALL", Ct));
        Assert.Empty(await client.UidSearchAsync("DELETED", Ct));
        Assert.Equal(1, (await client.SelectAsync("Archive", Ct)).Exists);
    }
}
