using System.Diagnostics;
using System.Text;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Reports;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

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

    private async Task FillInboxAsync(string user, IEnumerable<string> mails)
    {
        await using var client = await dovecot.LoginAsync(user);
        foreach (var bytes in mails.Select(File.ReadAllBytes).Concat(Junk))
            await client.AppendAsync("INBOX", new MemoryStream(bytes), bytes.Length, Ct);
    }

    private async Task<(long Inbox, long Archive, long Failed)> CountMessagesAsync(string user)
    {
        await using var client = await dovecot.LoginAsync(user);
        return ((await client.SelectAsync("INBOX", Ct)).Exists,
                (await client.SelectAsync("DMARC.Processed", Ct)).Exists,
                (await client.SelectAsync("DMARC.Failed", Ct)).Exists);
    }

    private RuaMailboxPoller Poller(string user, IngestMessage ingest, RecordFailure? recordFailure = null, ImapLimits? limits = null) =>
        new(dovecot.Endpoint(ImapTls.StartTls), new RuaMailbox(user, dovecot.Password, BatchSize: 4), ingest,
            recordFailure ?? ((_, _, _, _) => Task.FromResult(new IngestOutcome(0, 0, 1, 0))), limits ?? ImapLimits.Default, NullLogger.Instance);

    [Fact]
    public async Task AMessageTooLargeToFetchGoesToTheFailedFolderAndTheFailuresTable()
    {
        var user = dovecot.NewUser();
        var big = Encoding.ASCII.GetBytes("From: x@example.net\r\nSubject: huge\r\n\r\n" + new string('x', 20_000) + "\r\n");
        await using (var client = await dovecot.LoginAsync(user))
            await client.AppendAsync("INBOX", new MemoryStream(big), big.Length, Ct);
        var db = Path.Combine(work.FullName, "big.db");
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            var outcome = await Poller(user, pipeline.IngestAsync, pipeline.RecordFailureAsync, ImapLimits.Default with { MaxLiteralBytes = 10_000 })
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
        await using (var client = await dovecot.LoginAsync(user))
            foreach (var bytes in mails.Select(File.ReadAllBytes))
                await client.AppendAsync("INBOX", new MemoryStream(bytes), bytes.Length, Ct);
        var db = Path.Combine(work.FullName, "poison.db");
        await using (var pipeline = await IngestPipeline.OpenAsync(db, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            var attempts = 0;
            var outcome = await Poller(user, (message, source, ct) =>
            {
                // The first message stands for one whose fetch always breaks the connection.
                if (source.EndsWith(";UID=1", StringComparison.Ordinal))
                {
                    attempts++;
                    throw new IOException("connection reset while reading the message");
                }
                return pipeline.IngestAsync(message, source, ct);
            }, pipeline.RecordFailureAsync).RunAsync(PollSchedule.Once, Ct);

            Assert.Equal(2, attempts);
            Assert.Equal(new IngestOutcome(1, 0, 1, outcome.Records), outcome);
        }
        Assert.Equal((0L, 1L, 1L), await CountMessagesAsync(user));
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
        await using (var client = await dovecot.LoginAsync(user))
        {
            while ((await client.ListAsync("", "DMARC.Failed", Ct)).Count == 0)
                await Task.Delay(50, Ct);
            var bytes = await File.ReadAllBytesAsync(mail, Ct);
            await client.AppendAsync("INBOX", new MemoryStream(bytes), bytes.Length, Ct);
        }
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await stop.CancelAsync();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal(1, outcome.New);
        Assert.Equal((0L, 1L, 0L), await CountMessagesAsync(user));
    }

    private static IEnumerable<string> StoringMails((List<(string Path, bool Stores)> Mails, long Reports) reference) =>
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
            await using var client = await dovecot.LoginAsync(user);
            while ((await client.ListAsync("", "DMARC.Failed", Ct)).Count == 0)
                await Task.Delay(50, Ct);
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
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = work.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])
                 [
                     Path.Combine(AppContext.BaseDirectory, "dmarc.dll"), "poll", .. mode, "--host", dovecot.Host,
                     "--port", dovecot.Endpoint(ImapTls.Implicit).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--tls", "implicit", "--ca-file", dovecot.CaPath, "--user", user, "--password-file", passwordFile,
                     "--db", Path.Combine(work.FullName, "cli.db"),
                 ])
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
