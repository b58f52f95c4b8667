using System.Text.Json;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Ingest;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>Several report mailboxes served in one run, one of them broken, against a real Dovecot.</summary>
public sealed class MailboxesDovecotTests(DovecotServer dovecot) : IClassFixture<DovecotServer>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("dmarc-mailboxes-");

    public void Dispose() => work.Delete(recursive: true);

    private static List<string> Reports(int count) =>
        Directory.EnumerateFiles(Path.Combine(Corpus.RepoRoot, "samples", "rua"), "*.eml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Take(count).ToList();

    private async Task FillAsync(string user, IEnumerable<string> mails)
    {
        using var client = await dovecot.LoginAsync(user);
        foreach (var mail in mails)
            await PollerDovecotTests.AppendAsync(client, await File.ReadAllBytesAsync(mail, Ct));
    }

    [Fact]
    public async Task EveryMailboxIsServedAndABrokenOneStopsNoOther()
    {
        var (first, second) = (dovecot.NewUser(), dovecot.NewUser());
        var mails = Reports(2);
        await FillAsync(first, mails.Take(1));
        await FillAsync(second, mails.Skip(1));
        RuaMailbox[] mailboxes =
        [
            dovecot.Mailbox(first),
            dovecot.Mailbox(dovecot.NewUser()) with { Name = "wrong password", Credentials = new PasswordCredentials("wrong") },
            dovecot.Mailbox(dovecot.NewUser()) with { Name = "down", Server = dovecot.Endpoint(ImapTls.Implicit) with { Port = DovecotServer.FreePort() } },
            dovecot.Mailbox(second),
        ];
        await using var pipeline = await IngestPipeline.OpenAsync(Path.Combine(work.FullName, "several.db"), IngestLimits.Default, NullLogger.Instance, Ct);

        var outcome = await new MailboxesPoller(mailboxes, pipeline.IngestAsync, pipeline.RecordFailureAsync, ImapLimits.Default,
            new ReconnectPolicy(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10), 2), NullLogger.Instance).RunAsync(PollSchedule.Once, Ct);

        Assert.Equal((2, 0), (outcome.Ingested.New, outcome.Ingested.Failed));
        Assert.Equal(["wrong password", "down"], outcome.FailedMailboxes);
        Assert.Equal((0L, 1L, 0L), await PollerDovecotTests.CountMessagesAsync(dovecot, first));
        Assert.Equal((0L, 1L, 0L), await PollerDovecotTests.CountMessagesAsync(dovecot, second));
    }

    /// <summary>A configuration listing a good mailbox and one whose password is wrong.</summary>
    private async Task<(string Config, string Good, string Broken)> ConfigurationAsync()
    {
        var (good, broken) = (dovecot.NewUser(), dovecot.NewUser());
        await FillAsync(good, Reports(1));
        await FillAsync(broken, Reports(1));
        var right = Path.Combine(work.FullName, "right.pw");
        var wrong = Path.Combine(work.FullName, "wrong.pw");
        await File.WriteAllTextAsync(right, dovecot.Password, Ct);
        await File.WriteAllTextAsync(wrong, "not the password", Ct);
        var config = Path.Combine(work.FullName, "dmarc.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Storage = new { Database = Path.Combine(work.FullName, "cli.db") },
            Imap = new
            {
                // Shared by both entries.
                Host = dovecot.Host,
                Port = dovecot.ImapsPort,
                CaFile = dovecot.CaPath,
                Mailboxes = new object[]
                {
                    new { Name = "reports", User = good, PasswordFile = right },
                    new { Name = "broken", User = broken, PasswordFile = wrong, Tls = "starttls", Port = dovecot.ImapPort },
                },
            },
        }), Ct);
        return (config, good, broken);
    }

    [Fact]
    public async Task PollServesEveryConfiguredMailboxAndSaysWhichOneFailed()
    {
        var (config, good, broken) = await ConfigurationAsync();
        var (exit, stdout, stderr) = await PollerDovecotTests.RunDmarcAsync(work.FullName, ["poll", "--once", "--config", config]);
        Assert.True(exit == 1, $"exit {exit}: {stderr}");
        Assert.Matches(@"^reports: 1 new, 0 duplicate, 0 failed; records: \d+$", stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Contains("broken", stderr);
        Assert.DoesNotContain("not the password", stdout + stderr);
        Assert.Equal((0L, 1L, 0L), await PollerDovecotTests.CountMessagesAsync(dovecot, good));
        using var client = await dovecot.LoginAsync(broken);
        await client.Inbox!.StatusAsync(MailKit.StatusItems.Count, Ct);
        Assert.Equal(1, client.Inbox.Count);
    }

    [Fact]
    public async Task MailboxPicksOneAndTheCommandLineChangesItsSettings()
    {
        var (config, good, _) = await ConfigurationAsync();
        var (exit, stdout, stderr) = await PollerDovecotTests.RunDmarcAsync(work.FullName,
            ["poll", "--once", "--config", config, "--mailbox", "reports", "--archive-folder", "Stored"]);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Matches(@"^reports: 1 new, 0 duplicate, 0 failed; records: \d+$", stdout.Trim());
        Assert.DoesNotContain("broken", stderr);
        using var client = await dovecot.LoginAsync(good);
        var stored = await client.GetFolderAsync("Stored", Ct);
        await stored.StatusAsync(MailKit.StatusItems.Count, Ct);
        Assert.Equal(1, stored.Count);
    }
}
