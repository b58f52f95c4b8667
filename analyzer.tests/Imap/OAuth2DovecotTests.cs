using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Ingest;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>
/// <c>--auth oauth2</c> against a real Dovecot whose <c>oauth2</c> passdb asks the fixture's introspection endpoint.
/// </summary>
public sealed class OAuth2DovecotTests(DovecotWithOAuth2 dovecot) : IClassFixture<DovecotWithOAuth2>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("dmarc-oauth2-");

    public void Dispose() => work.Delete(recursive: true);

    private RuaMailbox Mailbox(string user, AccessTokenSource token) =>
        dovecot.Mailbox(user, ImapTls.StartTls) with { Credentials = new OAuth2Credentials(token) };

    [Fact]
    public async Task LogsInWithOAuthBearerWhenTheServerOffersIt()
    {
        var user = dovecot.NewUser();
        var tokenFile = Path.Combine(work.FullName, "token");
        await File.WriteAllTextAsync(tokenFile, "bearer-" + user + "\n", Ct);
        dovecot.Grant("bearer-" + user, user);
        using (var client = await MailboxClient.ConnectAsync(Mailbox(user, new AccessTokenFile(tokenFile)), ImapLimits.Default, NullLogger.Instance, Ct))
            Assert.True(client.IsAuthenticated);
        Assert.Contains($"user=<{user}>, method=OAUTHBEARER", await File.ReadAllTextAsync(dovecot.LogPath, Ct));
    }

    [Fact]
    public async Task TheTokenFileIsReadAgainAtEveryConnection()
    {
        var user = dovecot.NewUser();
        var mail = Directory.EnumerateFiles(Path.Combine(Corpus.RepoRoot, "samples", "rua"), "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var tokenFile = Path.Combine(work.FullName, "rotating");
        await using var pipeline = await IngestPipeline.OpenAsync(Path.Combine(work.FullName, "oauth.db"), IngestLimits.Default, NullLogger.Instance, Ct);
        var poller = () => new RuaMailboxPoller(Mailbox(user, new AccessTokenFile(tokenFile)), pipeline.IngestAsync, pipeline.RecordFailureAsync,
            ImapLimits.Default, ReconnectPolicy.Default, NullLogger.Instance);

        foreach (var token in new[] { "first-" + user, "second-" + user })
        {
            // An outside refresher rotates the token; the old one stops working.
            await File.WriteAllTextAsync(tokenFile, token, Ct);
            dovecot.Grant(token, user);
            using (var client = await dovecot.LoginAsync(user))
                await PollerDovecotTests.AppendAsync(client, await File.ReadAllBytesAsync(mail, Ct));
            var outcome = await poller().RunAsync(PollSchedule.Once, Ct);
            Assert.Equal(1, outcome.New + outcome.Duplicate);
            dovecot.Revoke(token);
        }
        Assert.Equal((0L, 2L, 0L), await PollerDovecotTests.CountMessagesAsync(dovecot, user));

        // A revoked token is refused: a single pass ends at once.
        await Assert.ThrowsAsync<AuthenticationException>(() => poller().RunAsync(PollSchedule.Once, Ct));
    }

    [Fact]
    public async Task TheTokenCommandRunsWithoutAShellAndItsOutputIsTheToken()
    {
        var user = dovecot.NewUser();
        var token = "from a command " + user;
        dovecot.Grant(token, user);
        // printf is a program here; no shell expands the quotes or the trailing newline away.
        var command = new AccessTokenCommand($"printf '%s\\n' '{token}'", AccessTokenCommand.DefaultTimeout);
        Assert.Equal(token, await command.GetAsync(Ct));
        using var client = await MailboxClient.ConnectAsync(Mailbox(user, command), ImapLimits.Default, NullLogger.Instance, Ct);
        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public async Task ATokenCommandThatFailsOrHangsIsACredentialFailureThatNeverShowsTheToken()
    {
        var failing = await Assert.ThrowsAsync<MailboxCredentialException>(() =>
            new AccessTokenCommand("sh -c 'echo secret-token; echo refresh failed >&2; exit 3'", AccessTokenCommand.DefaultTimeout).GetAsync(Ct));
        Assert.Contains("exit code 3: refresh failed", failing.Message);
        Assert.DoesNotContain("secret-token", failing.Message);

        var hanging = await Assert.ThrowsAsync<MailboxCredentialException>(() =>
            new AccessTokenCommand("sleep 30", TimeSpan.FromMilliseconds(200)).GetAsync(Ct));
        Assert.Contains("did not finish", hanging.Message);

        await Assert.ThrowsAsync<MailboxCredentialException>(() =>
            new AccessTokenCommand("/nonexistent/token-helper", AccessTokenCommand.DefaultTimeout).GetAsync(Ct));
        await Assert.ThrowsAsync<MailboxCredentialException>(() =>
            new AccessTokenCommand("true", AccessTokenCommand.DefaultTimeout).GetAsync(Ct));
    }

    [Theory]
    [InlineData("helper", new[] { "helper" })]
    [InlineData("  oauth2l  fetch --scope 'https://mail.google.com/' ", new[] { "oauth2l", "fetch", "--scope", "https://mail.google.com/" })]
    [InlineData("a\\ b \"c \\\"d\\\" $e\" 'f\"g'", new[] { "a b", "c \"d\" $e", "f\"g" })]
    [InlineData("x '' y", new[] { "x", "", "y" })]
    public void SplitsACommandLineAsAShellDoesWithoutExpandingAnything(string line, string[] words) =>
        Assert.Equal(words, AccessTokenCommand.Split(line));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a 'b")]
    [InlineData("a \"b")]
    public void RefusesAnUnterminatedOrEmptyCommandLine(string line) =>
        Assert.Throws<FormatException>(() => AccessTokenCommand.Split(line));
}

/// <summary>A server that offers XOAUTH2 only gets XOAUTH2.</summary>
public sealed class Xoauth2DovecotTests(DovecotWithXoauth2Only dovecot) : IClassFixture<DovecotWithXoauth2Only>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LogsInWithXoauth2WhenThatIsAllTheServerOffers()
    {
        var user = dovecot.NewUser();
        var token = "x-" + user;
        dovecot.Grant(token, user);
        var mailbox = dovecot.Mailbox(user) with { Credentials = new OAuth2Credentials(new AccessTokenCommand($"echo {token}", AccessTokenCommand.DefaultTimeout)) };
        using (var client = await MailboxClient.ConnectAsync(mailbox, ImapLimits.Default, NullLogger.Instance, Ct))
            Assert.True(client.IsAuthenticated);
        Assert.Contains($"user=<{user}>, method=XOAUTH2", await File.ReadAllTextAsync(dovecot.LogPath, Ct));
        Assert.True(dovecot.Introspections > 0);
    }
}
