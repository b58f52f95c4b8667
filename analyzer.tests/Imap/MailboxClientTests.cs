using System.Text;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Ingest;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>How the poller connects and logs in (MailKit with our trust and credentials), against a real Dovecot.</summary>
public class MailboxClientTests(DovecotServer dovecot) : IClassFixture<DovecotServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static MimeMessage Message(string subject) => MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
        $"From: reports@example.net\r\nTo: dmarc@example.org\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid()}@example.net>\r\n\r\nbody of {subject}\r\n")));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LogsInOverTlsTrustingOurCa(bool implicitTls)
    {
        var tls = implicitTls ? ImapTls.Implicit : ImapTls.StartTls;
        using var client = await MailboxClient.ConnectAsync(dovecot.Mailbox(dovecot.NewUser(), tls), ImapLimits.Default, NullLogger.Instance, Ct);
        Assert.True(client.IsSecure);
        Assert.True(client.IsAuthenticated);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Move));
        await client.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task LogsInWithoutTlsOnLoopback()
    {
        using var client = await MailboxClient.ConnectAsync(dovecot.Mailbox(dovecot.NewUser(), ImapTls.None), ImapLimits.Default, NullLogger.Instance, Ct);
        Assert.False(client.IsSecure);
        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public async Task RefusesACertificateNotSignedByATrustedCa()
    {
        var mailbox = dovecot.Mailbox(dovecot.NewUser());
        await Assert.ThrowsAsync<SslHandshakeException>(() => MailboxClient.ConnectAsync(
            mailbox with { Server = mailbox.Server with { TrustedCertificates = null } }, ImapLimits.Default, NullLogger.Instance, Ct));
    }

    [Fact]
    public async Task RefusesACertificateForAnotherName()
    {
        // The certificate names 127.0.0.1 only; localhost reaches the same server.
        var mailbox = dovecot.Mailbox(dovecot.NewUser());
        var e = await Assert.ThrowsAsync<SslHandshakeException>(() => MailboxClient.ConnectAsync(
            mailbox with { Server = mailbox.Server with { Host = "localhost" } }, ImapLimits.Default, NullLogger.Instance, Ct));
        Assert.Contains("name", e.Message + e.InnerException?.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WrongPasswordIsAnAuthenticationFailure()
    {
        var mailbox = dovecot.Mailbox(dovecot.NewUser()) with { Credentials = new PasswordCredentials("wrong") };
        await Assert.ThrowsAsync<AuthenticationException>(() => MailboxClient.ConnectAsync(mailbox, ImapLimits.Default, NullLogger.Instance, Ct));
    }

    [Fact]
    public async Task TheMaildirReaderFindsWhatDovecotStored()
    {
        var user = dovecot.NewUser();
        using (var client = await dovecot.LoginAsync(user))
        {
            foreach (var subject in new[] { "a", "b" })
                await client.Inbox!.AppendAsync(Message(subject), cancellationToken: Ct);
            var archive = await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Archive", true, Ct);
            await archive!.AppendAsync(Message("c"), cancellationToken: Ct);
        }
        var files = MaildirReader.MessageFiles(dovecot.MaildirOf(user));
        // Dovecot stores LF line endings.
        var subjects = files.Select(f => File.ReadAllText(f).Split('\n').Single(l => l.StartsWith("Subject: ", StringComparison.Ordinal)));
        Assert.Equal(["Subject: a", "Subject: b", "Subject: c"], subjects.Order(StringComparer.Ordinal));
    }
}

/// <summary>The move fallback against a Dovecot that does not announce MOVE.</summary>
public class DovecotWithoutMoveTests(DovecotWithoutMove dovecot) : IClassFixture<DovecotWithoutMove>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MovesWithCopyStoreAndUidExpungeOfThoseUidsAlone()
    {
        var user = dovecot.NewUser();
        using var client = await dovecot.LoginAsync(user);
        Assert.False(client.Capabilities.HasFlag(ImapCapabilities.Move));
        var inbox = client.Inbox!;
        foreach (var subject in new[] { "one", "two", "three" })
            await inbox.AppendAsync(MailboxClientTests.Message(subject), cancellationToken: Ct);
        var archive = await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Archive", true, Ct);
        await inbox.OpenAsync(FolderAccess.ReadWrite, Ct);
        var uids = await inbox.SearchAsync(SearchQuery.All, Ct);
        // Someone else flagged the third \Deleted without expunging: it must stay.
        await inbox.AddFlagsAsync(uids[2], MessageFlags.Deleted, true, Ct);

        await FolderMove.MoveAsync(client, inbox, [uids[0]], archive!, NullLogger.Instance, Ct);

        Assert.Equal([uids[1], uids[2]], await inbox.SearchAsync(SearchQuery.All, Ct));
        Assert.Equal([uids[2]], await inbox.SearchAsync(SearchQuery.Deleted, Ct));
        await archive!.StatusAsync(StatusItems.Count, Ct);
        Assert.Equal(1, archive.Count);
    }
}
