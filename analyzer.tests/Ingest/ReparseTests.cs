using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Cli;
using DmarcAnalyzer.Tests.Reports;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary><c>dmarc reparse</c>: failures today's readers read become reports, stored reports read differently are replaced in place, twice is once.</summary>
public sealed class ReparseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<DmarcProcess.Result> ReparseAsync(IngestHarness store, params string[] more) =>
        DmarcProcess.RunAsync(Path.GetDirectoryName(store.DatabasePath)!, ["reparse", "--db", store.DatabasePath, .. more]);

    /// <summary>A failure as an older reader left it: the input kept with the reason it gave.</summary>
    private static async Task AddFailureAsync(IngestHarness store, byte[] raw, string source)
    {
        await using var writer = await IngestWriter.OpenAsync(store.DatabasePath, Ct);
        await writer.AddFailureAsync(source, "an older reader could not read this", new RawInput(raw, raw.Length), Ct);
    }

    [Fact]
    public async Task AFailureTodaysReaderReadsBecomesAReportAndASecondRunChangesNothing()
    {
        await using var store = new IngestHarness();
        await AddFailureAsync(store, ReportXml.Bytes(ReportXml.Report("fixed-1", records: 3)), "mail/1.eml");

        var first = await ReparseAsync(store);
        Assert.True(first.ExitCode == ExitCodes.Ok, first.Stderr);
        Assert.Equal(
            ["reparse: 0 stored reports re-read, 0 changed, 0 in conflict, 0 unreadable now; 1 failures re-read, 1 now stored",
             "reports: 1 new, 0 duplicate, 0 failed; records: 3"],
            first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM failures"));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM failure_blobs"));
        Assert.Equal(6, await store.ScalarAsync("SELECT sum(count) FROM records"));

        var second = await ReparseAsync(store);
        Assert.Equal(ExitCodes.Ok, second.ExitCode);
        Assert.Equal(
            ["reparse: 1 stored reports re-read, 0 changed, 0 in conflict, 0 unreadable now; 0 failures re-read, 0 now stored",
             "reports: 0 new, 0 duplicate, 0 failed; records: 0"],
            second.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM reports"));
        Assert.Equal(3, await store.ScalarAsync("SELECT count(*) FROM records"));
    }

    [Fact]
    public async Task AStoredReportReadDifferentlyTodayIsReplacedInPlaceKeepingItsId()
    {
        await using var store = new IngestHarness();
        await store.IngestAsync(ReportXml.Bytes(ReportXml.Report("r-9", records: 4)), "reports/r-9.xml");
        var id = await store.ScalarAsync("SELECT id FROM reports");
        // What an older reader's bug left: a count misread, a DKIM result lost, a note of its own.
        await using (var db = await Database.OpenAsync(store.DatabasePath, Ct))
        {
            await using var tamper = db.CreateCommand();
            tamper.CommandText = """
                UPDATE records SET count = 1 WHERE source_ip = '192.0.2.4';
                UPDATE records SET dkim_result = NULL WHERE source_ip = '192.0.2.2';
                UPDATE reports SET errors = 'old reader note';
                """;
            await tamper.ExecuteNonQueryAsync(Ct);
        }

        var first = await ReparseAsync(store);
        Assert.True(first.ExitCode == ExitCodes.Ok, first.Stderr);
        Assert.StartsWith("reparse: 1 stored reports re-read, 1 changed, 0 in conflict, 0 unreadable now; 0 failures re-read", first.Stdout);
        Assert.Equal(id, await store.ScalarAsync("SELECT id FROM reports"));
        Assert.Equal(10, await store.ScalarAsync("SELECT sum(count) FROM records"));
        Assert.Equal(4, await store.ScalarAsync("SELECT count(*) FROM records WHERE dkim_result = 'pass'"));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM reports WHERE errors IS NOT NULL"));
        Assert.Equal("reports/r-9.xml", Assert.Single(await store.StringsAsync("SELECT source FROM reports")));

        var second = await ReparseAsync(store);
        Assert.StartsWith("reparse: 1 stored reports re-read, 0 changed,", second.Stdout);
        var recordIds = await store.StringsAsync("SELECT group_concat(id) FROM records");
        var third = await ReparseAsync(store);
        Assert.StartsWith("reparse: 1 stored reports re-read, 0 changed,", third.Stdout);
        // Nothing was written: not even the records' ids moved.
        Assert.Equal(recordIds, await store.StringsAsync("SELECT group_concat(id) FROM records"));
    }

    [Fact]
    public async Task AFailureThatStillFailsStaysOnceAndTheExitSaysSo()
    {
        await using var store = new IngestHarness();
        await AddFailureAsync(store, "<feedback><report_metadata>"u8.ToArray(), "mail/2.eml");

        for (var run = 0; run < 2; run++)
        {
            var result = await ReparseAsync(store);
            Assert.Equal(ExitCodes.SomeInputsFailed, result.ExitCode);
            Assert.Contains("1 failures re-read, 0 now stored", result.Stdout);
            Assert.Contains("reports: 0 new, 0 duplicate, 1 failed; records: 0", result.Stdout);
            Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM failures"));
        }
    }

    [Fact]
    public async Task SinceLeavesOlderOnesAloneAndABadDayIsBadUsage()
    {
        await using var store = new IngestHarness();
        await AddFailureAsync(store, ReportXml.Bytes(ReportXml.Report("fixed-2")), "mail/3.eml");
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var later = await ReparseAsync(store, "--since", tomorrow);
        Assert.StartsWith("reparse: 0 stored reports re-read, 0 changed, 0 in conflict, 0 unreadable now; 0 failures re-read", later.Stdout);
        Assert.Equal(1, await store.ScalarAsync("SELECT count(*) FROM failures"));

        var bad = await ReparseAsync(store, "--since", "yesterday");
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.Contains("--since: 'yesterday' is not a day", bad.Stderr);
    }
}
