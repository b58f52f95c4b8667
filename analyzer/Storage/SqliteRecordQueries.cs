using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>The record queries on SQLite (<see cref="RecordQueries"/>, <see cref="PtrCache"/>).</summary>
internal sealed class SqliteRecordQueries(SqliteConnection db) : IRecordQueries
{
    public Task<IReadOnlyList<StoredReport>> ReportsAsync(RecordFilter filter, CancellationToken ct) =>
        RecordQueries.ReportsAsync(db, filter, ct);

    public Task<IReadOnlyList<ResultCountOfReport>> ResultCountsAsync(RecordFilter filter, CancellationToken ct) =>
        RecordQueries.ResultCountsAsync(db, filter, ct);

    /// <summary>
    /// The reports below the middle are read on a second connection of the same database (WAL lets readers run side
    /// by side) while this one reads the others: two cores, half the time.
    /// </summary>
    public async Task ReadRecordsAsync(RecordFilter filter, long middle, StoredRecordVisitor below, StoredRecordVisitor fromMiddle, CancellationToken ct)
    {
        RecordQueries.FillMissingFlags(db);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var firstHalf = Task.Run(async () =>
        {
            await using var side = new SqliteConnection(db.ConnectionString);
            await side.OpenAsync(stop.Token);
            RecordQueries.ReadRecords(side, filter, (long.MinValue, middle), below, stop.Token);
        }, stop.Token);
        try
        {
            RecordQueries.ReadRecords(db, filter, (middle, long.MaxValue), fromMiddle, ct);
        }
        catch
        {
            // The other half runs on its own connection: stopped, and not left running unobserved.
            await stop.CancelAsync();
            await Task.WhenAny(firstHalf);
            throw;
        }
        await firstHalf;
    }

    public Task<IReadOnlyList<SigningDomainCount>> FurtherSigningDomainsAsync(RecordFilter filter, CancellationToken ct)
    {
        RecordQueries.FillMissingFlags(db);
        return Task.FromResult(RecordQueries.FurtherSigningDomains(db, filter, ct));
    }

    public Task<Dictionary<string, PtrCacheEntry>> PtrNamesAsync(CancellationToken ct) => PtrCache.LoadAsync(db, ct);

    public Task SavePtrNamesAsync(IReadOnlyCollection<PtrCacheEntry> entries, CancellationToken ct) => PtrCache.SaveAsync(db, entries, ct);

    public Task<Dictionary<string, NetworkCacheEntry>> NetworkCacheAsync(string databases, CancellationToken ct) =>
        Task.FromResult(NetworkCache.Load(db, databases, ct));

    public Task SaveNetworkCacheAsync(string databases, IReadOnlyCollection<NetworkCacheEntry> entries, CancellationToken ct) =>
        NetworkCache.SaveAsync(db, databases, entries, ct);
}
