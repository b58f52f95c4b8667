using System.Diagnostics;
using System.Text;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Ingest;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>The rua poller against a real Dovecot and the real ingest pipeline and store.</summary>
public sealed class PollerDovecotTests(DovecotServer dovecot) : IClassFixture<DovecotServer>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("dmarc-poll-");

    public void Dispose() => work.Delete(recursive: true);

    private static readonly byte[][] Junk =
    [
        "From: friend@example.net\r\nTo: dmarc@example.org\r\nSubject: lunch?\r\n\r\nNot a report.\r\n"u8.ToArray(),
        Encoding.ASCII.GetBytes("From: noreply@example.net\r\nTo: dmarc@example.org\r\nSubject: Report domain: example.org\r\n" +
            "MIME-Version: 1.0\r\nContent-Type: application/gzip; name=\"report.xml.gz\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            Convert.ToBase64String([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) + "\r\n"),
    ];

    /// <summary>Report mails from samples/ and the shared corpus, each with whether ingesting it as a file stores it.</summary>
    private async Task<(List<(string Path, bool Stores)> Mails, long Reports)> ReferenceAsync()
    {
        var paths = Directory.EnumerateFiles(Path.Combine(Corpus.RepoRoot, "samples", "rua"), "*.eml", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Corpus.Require("aggregate"), "*.eml"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(paths);
        var db = Path.Combine(work.FullName, "reference.db");
        var mails = new List<(string, bool)>();
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            foreach (var path in paths)
            {
                await using var file = File.OpenRead(path);
                var outcome = await pipeline.IngestAsync(file, path, Ct);
                mails.Add((path, outcome.Failed == 0 && outcome.New + outcome.Duplicate > 0));
            }
        }
        return (mails, await CountReportsAsync(db));
    }

    private static async Task<long> CountReportsAsync(string db)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM reports";
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    internal static async Task AppendAsync(ImapClient client, byte[] bytes) =>
        await client.Inbox!.AppendAsync(MimeMessage.Load(new MemoryStream(bytes)), cancellationToken: Ct);

    private async Task FillInboxAsync(string user, IEnumerable<string> mails, bool junk = true)
    {
        using var client = await dovecot.LoginAsync(user);
        foreach (var bytes in mails.Select(File.ReadAllBytes).Concat(junk ? Junk : []))
            await AppendAsync(client, bytes);
    }

    internal static async Task<(long Inbox, long Archive, long Failed)> CountMessagesAsync(DovecotServer dovecot, string user)
    {
        using var client = await dovecot.LoginAsync(user);
        async Task<long> CountAsync(string name)
        {
            var folder = await client.GetFolderAsync(name, Ct);
            await folder.StatusAsync(StatusItems.Count, Ct);
            return folder.Count;
        }
        return (await CountAsync("INBOX"), await CountAsync("DMARC.Processed"), await CountAsync("DMARC.Failed"));
    }

    private Task<(long Inbox, long Archive, long Failed)> CountMessagesAsync(string user) => CountMessagesAsync(dovecot, user);

    /// <summary>Waits until the poller has made its folders: then it is idling or sleeping.</summary>
    internal static async Task WaitForFoldersAsync(DovecotServer dovecot, string user)
    {
        using var client = await dovecot.LoginAsync(user);
        while (true)
        {
            try
            {
                await client.GetFolderAsync("DMARC.Failed", Ct);
                return;
            }
            catch (FolderNotFoundException)
            {
                await Task.Delay(50, Ct);
            }
        }
    }

    private static readonly ReconnectPolicy Quick = new(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), 6);

    private RuaMailboxPoller Poller(string user, IngestMessage ingest, RecordFailure? recordFailure = null, ImapLimits? limits = null) =>
        new(dovecot.Mailbox(user, ImapTls.StartTls) with { BatchSize = 4 }, ingest,
            recordFailure ?? ((_, _, _, _) => Task.FromResult(new IngestOutcome(0, 0, 1, 0))), limits ?? ImapLimits.Default, Quick, NullLogger.Instance);

    private static async Task<List<(string Source, string Reason, long Size)>> FailuresAsync(string db)
    {
        await using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT source, reason, size FROM failures ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(string, string, long)>();
        while (await reader.ReadAsync(Ct))
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }

    [Fact]
    public async Task AMessageTooLargeToFetchGoesToTheFailedFolderAndTheFailuresTable()
    {
        var user = dovecot.NewUser();
        var big = Encoding.ASCII.GetBytes("From: x@example.net\r\nSubject: huge\r\n\r\n" + new string('x', 20_000) + "\r\n");
        using (var client = await dovecot.LoginAsync(user))
            await AppendAsync(client, big);
        var db = Path.Combine(work.FullName, "big.db");
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            var outcome = await Poller(user, pipeline.IngestAsync, pipeline.RecordFailureAsync, ImapLimits.Default with { MaxMessageBytes = 10_000 })
                .RunAsync(PollSchedule.Once, Ct);
            Assert.Equal(new IngestOutcome(0, 0, 1, 0), outcome);
        }
        Assert.Equal((0L, 0L, 1L), await CountMessagesAsync(user));
        await using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT reason FROM failures";
        Assert.Contains("over the 10,000 fetched; moved to", (string)(await command.ExecuteScalarAsync(Ct))!);
    }

    /// <summary>Issue 17: an aggregate report, an SMTP TLS report and a failure report, each in its mail, all reach the store.</summary>
    [Fact]
    public async Task CarriesOneMailOfEachKindIntoTheStore()
    {
        var samples = Path.Combine(Corpus.RepoRoot, "samples");
        var mails = new[] { "rua", "tls", "failure" }
            .Select(kind => Directory.EnumerateFiles(Path.Combine(samples, kind), "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First())
            .ToList();
        var user = dovecot.NewUser();
        await FillInboxAsync(user, mails, junk: false);
        var db = Path.Combine(work.FullName, "kinds.db");
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            var outcome = await Poller(user, pipeline.IngestAsync).RunAsync(PollSchedule.Once, Ct);
            Assert.Equal(new IngestOutcome(1, 0, 0, outcome.Records, TlsNew: 1, FailureReportsNew: 1), outcome);
        }
        Assert.Equal((0L, 3L, 0L), await CountMessagesAsync(user));
        await using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM tls_failure_details) || ' ' || (SELECT auth_failure FROM failure_reports)";
        Assert.Equal("1 dkim", (string)(await command.ExecuteScalarAsync(Ct))!);
    }

    /// <summary>
    /// Red-team F9 through real IMAP: a report mail signed by its reporter is verified and archived; under
    /// Analysis:RequireVerifiedReports an unsigned one is a failure with its reason and goes to the failed folder.
    /// </summary>
    [Fact]
    public async Task VerifiesTheReportMailsDkimAndSetsUnverifiedOnesAsideWhenRequired()
    {
        var user = dovecot.NewUser();
        using (var client = await dovecot.LoginAsync(user))
        {
            var signed = await Tests.Ingest.ReportMailAuthTests.SignAsync(Tests.Ingest.ReportMailAuthTests.AggregateMail(reportId: "signed"));
            await AppendAsync(client, Encoding.Latin1.GetBytes(signed));
            await AppendAsync(client, Encoding.Latin1.GetBytes(Tests.Ingest.ReportMailAuthTests.AggregateMail(reportId: "unsigned")));
        }
        var db = Path.Combine(work.FullName, "auth.db");
        var acceptance = new ReportAcceptance(true, ["example.com"], Tests.Ingest.ReportMailAuthTests.Keys("reporter.example"));
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, acceptance, NullLogger.Instance, Ct))
        {
            var outcome = await Poller(user, pipeline.IngestAsync, pipeline.RecordFailureAsync).RunAsync(PollSchedule.Once, Ct);
            Assert.Equal(new IngestOutcome(1, 0, 1, 1), outcome);
        }
        Assert.Equal((0L, 1L, 1L), await CountMessagesAsync(user));
        await using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT report_id || ' ' || auth FROM reports) || ' | ' || (SELECT reason FROM failures)";
        Assert.Equal("signed verified | report mail not DKIM-signed by reporter.example (Analysis:RequireVerifiedReports)",
            (string)(await command.ExecuteScalarAsync(Ct))!);
    }

    [Fact]
    public async Task StoresEveryReportOnceArchivesReportsAndSetsJunkAside()
    {
        var (mails, reports) = await ReferenceAsync();
        var user = dovecot.NewUser();
        await FillInboxAsync(user, mails.Select(m => m.Path));
        var db = Path.Combine(work.FullName, "poll.db");

        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            var first = await Poller(user, pipeline.IngestAsync).RunAsync(PollSchedule.Once, Ct);
            Assert.Equal(reports, first.New);
            Assert.True(first.Failed >= Junk.Length);
            var second = await Poller(user, pipeline.IngestAsync).RunAsync(PollSchedule.Once, Ct);
            Assert.Equal(IngestOutcome.None, second);
        }

        Assert.Equal(reports, await CountReportsAsync(db));
        var stored = mails.Count(m => m.Stores);
        Assert.Equal((0L, (long)stored, (long)(mails.Count - stored + Junk.Length)), await CountMessagesAsync(user));
    }

    [Fact]
    public async Task AMessageThatBreaksTheConnectionEveryTimeIsSetAsideNotRetriedForEver()
    {
        var user = dovecot.NewUser();
        var mails = Directory.EnumerateFiles(Path.Combine(Corpus.RepoRoot, "samples", "rua"), "*.eml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Take(2).ToList();
        await FillInboxAsync(user, mails, junk: false);
        var db = Path.Combine(work.FullName, "poison.db");
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            var attempts = 0;
            var poller = new RuaMailboxPoller(dovecot.Mailbox(user, ImapTls.StartTls), pipeline.IngestAsync, pipeline.RecordFailureAsync,
                ImapLimits.Default, Quick, NullLogger.Instance)
            {
                // The first message stands for one whose fetch always breaks the connection: the server goes away.
                BeforeFetch = async uid =>
                {
                    if (uid != 1)
                        return;
                    attempts++;
                    await dovecot.StopAsync();
                    await dovecot.StartAsync();
                },
            };
            var outcome = await poller.RunAsync(PollSchedule.Once, Ct);

            Assert.Equal(2, attempts);
            Assert.Equal(new IngestOutcome(1, 0, 1, outcome.Records), outcome);
        }
        Assert.Equal((0L, 1L, 1L), await CountMessagesAsync(user));
        Assert.Contains("broke the connection 2 times", Assert.Single(await FailuresAsync(db)).Reason);
    }

    /// <summary>Issue 14: whatever the ingest throws for one message, that message is a failure and the pass goes on.</summary>
    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(System.Xml.XmlException))]
    [InlineData(typeof(OperationCanceledException))]
    [InlineData(typeof(IOException))]
    public async Task AMessageWhoseIngestThrowsIsAFailureWithItsBytesAndThePassGoesOn(Type thrown)
    {
        var (mails, _) = await ReferenceAsync();
        var user = dovecot.NewUser();
        await FillInboxAsync(user, StoringMails((mails, 0)).Take(3), junk: false);
        var db = Path.Combine(work.FullName, "throws.db");
        IngestOutcome outcome;
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            outcome = await Poller(user, async (message, source, ct) =>
            {
                if (source.EndsWith(";UID=2", StringComparison.Ordinal))
                {
                    // Part of the message is read before the ingest gives way, as a real defect would.
                    await message.ReadExactlyAsync(new byte[100], ct);
                    throw (Exception)Activator.CreateInstance(thrown, "unexpected")!;
                }
                return await pipeline.IngestAsync(message, source, ct);
            }, pipeline.RecordFailureAsync).RunAsync(PollSchedule.Once, Ct);
        }
        Assert.Equal((2, 1), (outcome.New, outcome.Failed));
        Assert.Equal((0L, 2L, 1L), await CountMessagesAsync(user));
        var failure = Assert.Single(await FailuresAsync(db));
        Assert.EndsWith(";UID=2", failure.Source);
        Assert.Contains($"unexpected error ({thrown.Name})", failure.Reason);
        // The whole message is kept, also the part the ingest had read when it gave way.
        using var client = await dovecot.LoginAsync(user);
        var failed = await client.GetFolderAsync("DMARC.Failed", Ct);
        await failed.OpenAsync(FolderAccess.ReadOnly, Ct);
        Assert.Equal((long?)failure.Size, (await failed.FetchAsync(0, -1, MessageSummaryItems.Size, Ct)).Single().Size);
    }

    [Fact]
    public async Task AFailingStoreEndsASinglePassWithoutMovingAndTheLoopModesTryAgain()
    {
        var (mails, _) = await ReferenceAsync();
        var user = dovecot.NewUser();
        await FillInboxAsync(user, StoringMails((mails, 0)).Take(1), junk: false);
        await using var pipeline = await IngestPipeline.OpenAsync(Path.Combine(work.FullName, "store.db"), IngestLimits.Default, NullLogger.Instance, Ct);
        var calls = 0;
        IngestMessage failingOnce = async (message, source, ct) =>
        {
            if (++calls == 1)
                throw new SqliteException("disk I/O error", 10);
            return await pipeline.IngestAsync(message, source, ct);
        };

        await Assert.ThrowsAsync<SqliteException>(() => Poller(user, failingOnce).RunAsync(PollSchedule.Once, Ct));
        Assert.Equal((1L, 0L, 0L), await CountMessagesAsync(user));

        calls = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var outcome = await Poller(user, async (message, source, ct) =>
        {
            var result = await failingOnce(message, source, ct);
            await stop.CancelAsync();
            return result;
        }).RunAsync(new PollSchedule(PollMode.Every, TimeSpan.FromMinutes(10)), stop.Token);
        Assert.Equal((2, 1, 0), (calls, outcome.New, outcome.Failed));
        Assert.Equal((0L, 1L, 0L), await CountMessagesAsync(user));
    }

    [Fact]
    public async Task RecoversFromADovecotRestartBetweenCommitAndMove()
    {
        var (mails, reports) = await ReferenceAsync();
        var user = dovecot.NewUser();
        await FillInboxAsync(user, mails.Select(m => m.Path));
        var db = Path.Combine(work.FullName, "poll.db");

        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            var ingested = 0;
            var outcome = await Poller(user, async (message, source, ct) =>
            {
                var result = await pipeline.IngestAsync(message, source, ct);
                // The third message is committed; the server goes away before it is moved.
                if (++ingested == 3)
                {
                    await dovecot.StopAsync();
                    await dovecot.StartAsync();
                }
                return result;
            }).RunAsync(PollSchedule.Once, Ct);
            Assert.Equal(reports, outcome.New);
            Assert.True(ingested > mails.Count + Junk.Length, "the interrupted message was fetched again");
        }

        Assert.Equal(reports, await CountReportsAsync(db));
        var stored = mails.Count(m => m.Stores);
        Assert.Equal((0L, (long)stored, (long)(mails.Count - stored + Junk.Length)), await CountMessagesAsync(user));
    }

    [Fact]
    public async Task AStopRequestFinishesTheCurrentMessageAndGoesNoFurther()
    {
        var (mails, _) = await ReferenceAsync();
        var user = dovecot.NewUser();
        await FillInboxAsync(user, mails.Where(m => m.Stores).Select(m => m.Path).Take(4));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var pipeline = await IngestPipeline.OpenAsync(Path.Combine(work.FullName, "stop.db"), IngestLimits.Default, NullLogger.Instance, Ct);
        var ingested = 0;
        var outcome = await Poller(user, async (message, source, ct) =>
        {
            if (++ingested == 2)
                await stop.CancelAsync();
            return await pipeline.IngestAsync(message, source, ct);
        }).RunAsync(new PollSchedule(PollMode.Every, TimeSpan.FromMinutes(1)), stop.Token);

        Assert.Equal(2, ingested);
        Assert.Equal(0, outcome.Failed);
        var (inbox, archive, _) = await CountMessagesAsync(user);
        Assert.Equal((4L + Junk.Length - 2, 2L), (inbox, archive));
    }

    [Fact]
    public async Task IdleModePicksUpMailAsItArrives()
    {
        var mail = StoringMails(await ReferenceAsync()).First();
        var user = dovecot.NewUser();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var pipeline = await IngestPipeline.OpenAsync(Path.Combine(work.FullName, "idle.db"), IngestLimits.Default, NullLogger.Instance, Ct);
        var arrived = new TaskCompletionSource();
        var run = Poller(user, async (message, source, ct) =>
        {
            var result = await pipeline.IngestAsync(message, source, ct);
            arrived.TrySetResult();
            return result;
        }).RunAsync(new PollSchedule(PollMode.Idle, TimeSpan.FromMinutes(10)), stop.Token);

        // The poller creates its folders once connected; then the mail arrives while it idles.
        await WaitForFoldersAsync(dovecot, user);
        using (var client = await dovecot.LoginAsync(user))
            await AppendAsync(client, await File.ReadAllBytesAsync(mail, Ct));
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await stop.CancelAsync();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal(1, outcome.New);
        Assert.Equal((0L, 1L, 0L), await CountMessagesAsync(user));
    }

    internal static IEnumerable<string> StoringMails((List<(string Path, bool Stores)> Mails, long Reports) reference) =>
        reference.Mails.Where(m => m.Stores).Select(m => m.Path);

    [Fact]
    public async Task PollCommandPrintsTheSummaryLineLast()
    {
        var user = dovecot.NewUser();
        var mail = Directory.EnumerateFiles(Path.Combine(Corpus.RepoRoot, "samples", "rua"), "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        await FillInboxAsync(user, [mail]);

        var (exit, stdout, stderr) = await RunPollAsync(user, ["--once"], null);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(exit == 3, $"exit {exit}: {stderr}");
        Assert.Matches(@"^reports: 1 new, 0 duplicate, 2 failed; records: \d+$", lines[^1]);
    }

    [Fact]
    public async Task PollCommandStopsCleanlyOnSigterm()
    {
        var user = dovecot.NewUser();
        var (exit, stdout, stderr) = await RunPollAsync(user, ["--idle"], async process =>
        {
            // Once the poller has made its folders it is idling: then systemd stops it.
            await WaitForFoldersAsync(dovecot, user);
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(Ct);
        });
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Equal("reports: 0 new, 0 duplicate, 0 failed; records: 0", stdout.Trim());
    }

    /// <summary>Runs the real <c>dmarc poll</c> against the fixture over implicit TLS with its CA.</summary>
    private async Task<(int Exit, string Stdout, string Stderr)> RunPollAsync(string user, string[] mode, Func<Process, Task>? whileRunning)
    {
        var passwordFile = Path.Combine(work.FullName, "password");
        await File.WriteAllTextAsync(passwordFile, dovecot.Password + "\n", Ct);
        return await RunDmarcAsync(work.FullName, [
            "poll", .. mode, "--host", dovecot.Host,
            "--port", dovecot.Endpoint(ImapTls.Implicit).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls", "implicit", "--ca-file", dovecot.CaPath, "--user", user, "--password-file", passwordFile,
            "--db", Path.Combine(work.FullName, "cli.db"),
        ], whileRunning);
    }

    /// <summary>Runs the real <c>dmarc</c> with <paramref name="arguments"/> in <paramref name="folder"/>.</summary>
    internal static async Task<(int Exit, string Stdout, string Stderr)> RunDmarcAsync(string folder, string[] arguments, Func<Process, Task>? whileRunning = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dmarc.dll"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        if (whileRunning is not null)
            await whileRunning(process);
        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        return (process.ExitCode, await stdout, await stderr);
    }
}
