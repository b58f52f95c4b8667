using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Storage;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>
/// The ledger of reports handled, on SQLite and on PostgreSQL: a destination is handled once, also when two runs note
/// it at once; a deferred one is noted, found again by the next runs, and then handled once.
/// </summary>
public sealed class OutgoingLedgerTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TempFolder _folder = new();

    private const long Day = 1796515200;

    private static OutgoingReportRow Row(OutgoingOutcome outcome, string destination = "dmarc@example.com", long day = Day) =>
        new("example.com", day, destination, "20261206abc", outcome, 1234, 5, null, Day + 90_000);

    private static OutboxMail Mail => new("dmarc-reports@receiver.example.net", ["dmarc@example.com"], "Subject: report\r\n\r\nx\r\n"u8.ToArray());

    private async Task<Store> OpenAsync(string dialect) =>
        await Store.OpenAsync(dialect == "sqlite" ? _folder.File("dmarc.db") : await cluster.CreateDatabaseAsync(), Ct);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ADestinationIsHandledOnceEvenWhenTwoRunsNoteIt(string dialect)
    {
        await using var store = await OpenAsync(dialect);

        Assert.True(await store.OutgoingReports.AddAsync(Row(OutgoingOutcome.Queued), Mail, Ct));
        // A second run that read the ledger before the first wrote it: nothing written, nothing spooled.
        Assert.False(await store.OutgoingReports.AddAsync(Row(OutgoingOutcome.Queued), Mail, Ct));
        Assert.False(await store.OutgoingReports.AddAsync(Row(OutgoingOutcome.Deferred), null, Ct));

        Assert.Equal(1, await store.Outbox.CountAsync(Ct));
        Assert.Equal(["dmarc@example.com"], await store.OutgoingReports.HandledAsync("example.com", Day, Ct));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ADeferredDestinationIsFoundAgainThenHandledOnce(string dialect)
    {
        await using var store = await OpenAsync(dialect);
        var ledger = store.OutgoingReports;

        Assert.True(await ledger.AddAsync(Row(OutgoingOutcome.Deferred), null, Ct));
        Assert.True(await ledger.AddAsync(Row(OutgoingOutcome.Deferred), null, Ct));
        Assert.True(await ledger.AddAsync(Row(OutgoingOutcome.Queued, "agg@reports.example.org"), Mail, Ct));
        Assert.True(await ledger.AddAsync(Row(OutgoingOutcome.Deferred, day: Day - 8 * 86400), null, Ct));
        Assert.Equal(["agg@reports.example.org"], await ledger.HandledAsync("example.com", Day, Ct));
        Assert.Equal([Day], await ledger.DeferredDaysAsync(Day - 7 * 86400, Day + 86400, Ct));

        Assert.True(await ledger.AddAsync(Row(OutgoingOutcome.Queued), Mail, Ct));
        Assert.False(await ledger.AddAsync(Row(OutgoingOutcome.Queued), Mail, Ct));
        Assert.Equal(2, await store.Outbox.CountAsync(Ct));
        Assert.Empty(await ledger.DeferredDaysAsync(Day - 7 * 86400, Day + 86400, Ct));
        Assert.Equal(["agg@reports.example.org", "dmarc@example.com"], (await ledger.HandledAsync("example.com", Day, Ct)).Order());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
