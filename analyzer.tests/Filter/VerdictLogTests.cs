using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Filter;

public sealed class VerdictLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("verdicts").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DatabasePath => Path.Combine(_folder, "dmarc.db");

    private static VerdictRecord Record(int i, VerdictAction action = VerdictAction.Accept) => new(
        DateTimeOffset.FromUnixTimeSeconds(1_800_000_000 + i),
        new MessageEnvelope($"Q{i}", "192.0.2.1", "mx.example.org", "helo.example.org", "a@example.org", ["b@example.net", "c@example.net"], null, "smtpd"),
        "A <a@example.org>",
        new Verdict(action, "why") { RemovedAttachments = action == VerdictAction.RemoveAttachments ? ["x.pdf", "y.doc"] : [], ExceptionUsed = i == 0 ? "exc" : null });

    [Fact]
    public async Task Verdicts_are_stored_in_batches_with_every_field()
    {
        var log = new VerdictLog(ct => Store.OpenAsync(DatabasePath, ct), 100, 7, NullLogger<VerdictLog>.Instance);
        for (var i = 0; i < 20; i++)
            log.Add(Record(i, i == 3 ? VerdictAction.RemoveAttachments : VerdictAction.Accept));
        using var stop = new CancellationTokenSource();
        var run = log.RunAsync(stop.Token);
        await stop.CancelAsync();
        await run;
        Assert.Equal(20, log.Written);

        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        await using var query = db.CreateCommand();
        query.CommandText = "SELECT queue_id, client_ip, client_name, helo, envelope_from, recipients, header_from, spf, action, reason, removed_attachments, exception_used FROM verdicts WHERE queue_id IN ('Q0', 'Q3') ORDER BY queue_id";
        await using var reader = await query.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal(["Q0", "192.0.2.1", "mx.example.org", "helo.example.org", "a@example.org", "[\"b@example.net\",\"c@example.net\"]", "A <a@example.org>"],
            Enumerable.Range(0, 7).Select(reader.GetString));
        Assert.True(reader.IsDBNull(7));
        Assert.Equal("accept", reader.GetString(8));
        Assert.Equal("exc", reader.GetString(11));
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal("removeattachments", reader.GetString(8));
        Assert.Equal("[\"x.pdf\",\"y.doc\"]", reader.GetString(10));
    }

    [Fact]
    public async Task While_the_store_is_down_verdicts_wait_and_overflow_is_counted()
    {
        var failures = 0;
        var log = new VerdictLog(ct =>
        {
            if (Interlocked.Increment(ref failures) <= 2)
                throw new SqliteException("store down", 14);
            return Store.OpenAsync(DatabasePath, ct);
        }, capacity: 10, batchSize: 4, NullLogger<VerdictLog>.Instance);
        for (var i = 0; i < 15; i++)
            log.Add(Record(i));
        Assert.Equal(5, log.Dropped);

        using var stop = new CancellationTokenSource();
        var run = log.RunAsync(stop.Token);
        while (log.Written < 10)
            await Task.Delay(50, Ct);
        await stop.CancelAsync();
        await run;
        Assert.Equal(10, log.Written);
        Assert.True(failures >= 3);
    }

    [Fact]
    public async Task An_unexpected_error_from_the_store_is_retried_not_the_end_of_the_writer()
    {
        var failures = 0;
        var log = new VerdictLog(ct =>
        {
            if (Interlocked.Increment(ref failures) == 1)
                throw new NotSupportedException("something nobody expected");
            return Store.OpenAsync(DatabasePath, ct);
        }, capacity: 10, batchSize: 4, NullLogger<VerdictLog>.Instance);
        using var stop = new CancellationTokenSource();
        var run = log.RunAsync(stop.Token);
        for (var i = 0; i < 3; i++)
            log.Add(Record(i));
        while (log.Written < 3 && !run.IsCompleted)
            await Task.Delay(50, Ct);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        await run;
        Assert.Equal(3, log.Written);
        Assert.Equal(2, failures);
    }

    /// <summary>A trigger in the store that refuses the verdict of queue id Q5.</summary>
    private async Task PoisonAsync()
    {
        await using var db = await Database.OpenAsync(DatabasePath, Ct);
        await using var trigger = db.CreateCommand();
        trigger.CommandText = """
            CREATE TRIGGER poison BEFORE INSERT ON verdicts WHEN NEW.queue_id = 'Q5'
            BEGIN SELECT RAISE(ABORT, 'verdict refused by a test trigger'); END
            """;
        await trigger.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task At_shutdown_a_refused_verdict_does_not_take_its_batch_with_it()
    {
        await PoisonAsync();
        var log = new VerdictLog(ct => Store.OpenAsync(DatabasePath, ct), capacity: 100, batchSize: 4, NullLogger<VerdictLog>.Instance);
        for (var i = 0; i < 8; i++)
            log.Add(Record(i));
        await log.RunAsync(new CancellationToken(canceled: true));
        Assert.Equal((7, 1), (log.Written, log.Refused));
    }

    [Fact]
    public async Task A_verdict_that_fails_for_a_bug_is_kept_for_a_retry_not_dropped_as_refused()
    {
        // A null list stands for a bug: writing it throws NullReferenceException, which is not the store refusing it.
        var log = new VerdictLog(ct => Store.OpenAsync(DatabasePath, ct), capacity: 100, batchSize: 4, NullLogger<VerdictLog>.Instance);
        for (var i = 0; i < 8; i++)
            log.Add(i == 5 ? Record(i) with { Verdict = new Verdict(VerdictAction.Accept, "why") { RemovedAttachments = null! } } : Record(i));
        await log.RunAsync(new CancellationToken(canceled: true));
        Assert.Equal((5, 0), (log.Written, log.Refused));
    }

    [Fact]
    public async Task A_verdict_the_store_refuses_is_dropped_and_logged_once_and_the_others_are_stored()
    {
        await PoisonAsync();
        var logger = new ListLogger<VerdictLog>();
        var log = new VerdictLog(ct => Store.OpenAsync(DatabasePath, ct), capacity: 100, batchSize: 4, logger);
        for (var i = 0; i < 12; i++)
            log.Add(Record(i));
        using var stop = new CancellationTokenSource();
        var run = log.RunAsync(stop.Token);
        while (log.Written + log.Refused < 12 && !run.IsCompleted)
            await Task.Delay(50, Ct);
        // More verdicts after the poison one are still stored.
        log.Add(Record(12));
        while (log.Written < 12 && !run.IsCompleted)
            await Task.Delay(50, Ct);
        await stop.CancelAsync();
        await run;

        Assert.Equal((12, 1), (log.Written, log.Refused));
        var refusals = logger.Entries.Where(e => e.Message.Contains("refused by the store")).ToList();
        var refusal = Assert.Single(refusals);
        Assert.Equal(LogLevel.Error, refusal.Level);
        Assert.Contains("Q5", refusal.Message);
        await using var check = await Database.OpenAsync(DatabasePath, Ct);
        await using var count = check.CreateCommand();
        count.CommandText = "SELECT COUNT(*), SUM(queue_id = 'Q5') FROM verdicts";
        await using var reader = await count.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal((12L, 0L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
