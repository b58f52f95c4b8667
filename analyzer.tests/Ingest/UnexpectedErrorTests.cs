using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Reports;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>
/// Issue 14: an error nobody foresaw, thrown while one input is read at any stage, makes that input a failure with a
/// reason and its raw bytes; the inputs before and after it are stored. Only the store's own errors end the batch.
/// </summary>
public class UnexpectedErrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What .NET would say; none of it belongs in a reason a person reads.</summary>
    private const string DotNetText = "Index was outside the bounds of the array.";

    [Theory]
    [InlineData("Unpack", "the input could not be unpacked")]
    [InlineData("Decode", "the report could not be read: an unexpected error (logged) while decoding")]
    [InlineData("Parse", "the report could not be read: an unexpected error (logged) while parsing")]
    [InlineData("Store", "the report could not be stored")]
    public async Task AnUnexpectedErrorAtAnyStageFailsThatInputAloneAndTheRestOfTheBatchIsStored(string stageName, string reason)
    {
        var stage = Enum.Parse<IngestStage>(stageName);
        var victim = BadInputTests.Zip(("victim.xml", ReportXml.Bytes(ReportXml.Report(reportId: "victim", records: 3))));
        await using var store = new IngestHarness();
        await using (var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, IngestLimits.Default, NullLogger.Instance, Ct))
        {
            pipeline.StageHook = (at, where) =>
            {
                if (at == stage && where.StartsWith("victim", StringComparison.Ordinal))
                    throw Unexpected(stage);
            };
            var outcome = await pipeline.IngestAsync(new MemoryStream(BadInputTests.Gzip(ReportXml.Bytes(ReportXml.Report(reportId: "first", records: 2)))), "first.xml.gz", Ct);
            outcome += await pipeline.IngestAsync(new MemoryStream(victim), "victim.zip", Ct);
            outcome += await pipeline.IngestAsync(new MemoryStream(ReportXml.Bytes(ReportXml.Report(reportId: "last", records: 4))), "last.xml", Ct);
            Assert.Equal(new IngestOutcome(2, 0, 1, 6), outcome);
        }
        Assert.Equal(["first", "last"], await store.StringsAsync("SELECT report_id FROM reports ORDER BY report_id"));
        Assert.Equal(6, await store.ScalarAsync("SELECT count(*) FROM records"));
        var stored = Assert.Single(await store.StringsAsync("SELECT reason FROM failures"));
        Assert.StartsWith(reason, stored);
        Assert.DoesNotContain(DotNetText, stored);
        Assert.StartsWith("victim.zip", Assert.Single(await store.StringsAsync("SELECT source FROM failures")));
        Assert.Equal(victim.Length, await store.ScalarAsync("SELECT length(raw) FROM failure_blobs"));
    }

    /// <summary>A different kind at each stage: what matters is that nobody expected it.</summary>
    private static Exception Unexpected(IngestStage stage) => stage switch
    {
        IngestStage.Unpack => new NullReferenceException(DotNetText),
        IngestStage.Decode => new NotSupportedException(DotNetText),
        IngestStage.Parse => new IndexOutOfRangeException(DotNetText),
        _ => new InvalidOperationException(DotNetText),
    };

    [Fact]
    public async Task AnErrorOfTheStoreEndsTheBatch()
    {
        await using var store = new IngestHarness();
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, IngestLimits.Default, NullLogger.Instance, Ct);
        pipeline.StageHook = (at, _) =>
        {
            if (at == IngestStage.Store)
                throw new SqliteException("database or disk is full", 13);
        };
        await Assert.ThrowsAsync<SqliteException>(() =>
            pipeline.IngestAsync(new MemoryStream(ReportXml.Bytes(ReportXml.Report())), "a.xml", Ct));
    }

    [Fact]
    public async Task CancellingTheRunIsNotAFailureOfTheInput()
    {
        await using var store = new IngestHarness();
        await using var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, IngestLimits.Default, NullLogger.Instance, Ct);
        using var cancel = new CancellationTokenSource();
        pipeline.StageHook = (_, _) =>
        {
            cancel.Cancel();
            cancel.Token.ThrowIfCancellationRequested();
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            pipeline.IngestAsync(new MemoryStream(ReportXml.Bytes(ReportXml.Report())), "a.xml", cancel.Token));
        Assert.Equal(0, await store.ScalarAsync("SELECT count(*) FROM failures"));
    }
}
