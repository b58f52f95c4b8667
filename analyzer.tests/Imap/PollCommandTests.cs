using DmarcAnalyzer.Cli;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>Option handling of <c>dmarc poll</c> that needs no server: all of it ends in exit code 2.</summary>
public sealed class PollCommandTests : IDisposable
{
    private readonly string passwordFile = Path.GetTempFileName();

    public void Dispose() => File.Delete(passwordFile);

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 900)]
    [InlineData("1.5h", 5400)]
    [InlineData("00:02:00", 120)]
    public void ParsesIntervals(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), PollCommand.ParseInterval(text));

    [Theory]
    [InlineData("5x")]
    [InlineData("-1m")]
    [InlineData("0s")]
    [InlineData("soon")]
    public void RefusesBadIntervals(string text) => Assert.Throws<UsageException>(() => PollCommand.ParseInterval(text));

    [Theory]
    [InlineData("--tls", "none", "--host", "mail.example.org")]
    [InlineData("--tls", "none", "--host", "192.0.2.1")]
    [InlineData("--tls", "sometimes", "--host", "127.0.0.1")]
    [InlineData("--once", "--idle", "--host", "127.0.0.1")]
    [InlineData("--ca-file", "/nonexistent/ca.pem", "--host", "127.0.0.1")]
    public async Task RefusesUnsafeOrConflictingOptions(params string[] options)
    {
        string[] args = ["poll", "--user", "u", "--password-file", passwordFile, .. options];
        Assert.Equal(ExitCodes.Usage, await CommandLine.RunAsync(args));
    }

    [Theory]
    [InlineData("--mailbox", "reports")]
    [InlineData("--auth", "password", "--token-file", "TOKEN")]
    [InlineData("--auth", "oauth2")]
    [InlineData("--auth", "kerberos")]
    [InlineData("--token-file", "TOKEN", "--token-command", "echo x")]
    [InlineData("--token-file", "/nonexistent/token")]
    [InlineData("--token-command", "helper 'unterminated")]
    public async Task RefusesIncompleteOrConflictingCredentials(params string[] options)
    {
        string[] args = ["poll", "--host", "127.0.0.1", "--user", "u", .. options.Select(o => o == "TOKEN" ? passwordFile : o)];
        Assert.Equal(ExitCodes.Usage, await CommandLine.RunAsync(args));
    }

    [Theory]
    [InlineData("--host", "127.0.0.1")]
    [InlineData("--mailbox", "nonexistent")]
    public async Task WithSeveralMailboxesConfiguredTheCommandLineChangesOnlyTheOnePicked(params string[] options)
    {
        var config = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(config, $$"""
                { "Imap": { "Host": "127.0.0.1", "Mailboxes": [
                  { "Name": "a", "User": "a", "PasswordFile": "{{passwordFile}}" },
                  { "Name": "b", "User": "b", "PasswordFile": "{{passwordFile}}" } ] } }
                """, TestContext.Current.CancellationToken);
            Assert.Equal(ExitCodes.Usage, await CommandLine.RunAsync(["poll", "--config", config, .. options]));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task WantsAPasswordFromAFileOrTheEnvironmentOnly()
    {
        Assert.Null(Environment.GetEnvironmentVariable("DMARC_IMAP_PASSWORD"));
        Assert.Equal(ExitCodes.Usage, await CommandLine.RunAsync(["poll", "--host", "127.0.0.1", "--user", "u"]));
        Assert.Equal(ExitCodes.Usage, await CommandLine.RunAsync(["poll", "--host", "127.0.0.1", "--user", "u", "--password", "secret"]));
    }
}
