using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>The alert rules' queries and state (<see cref="AlertQueries"/>: the same SQL on SQLite and PostgreSQL).</summary>
internal sealed class StoreAlertQueries(DbConnection connection) : IAlertQueries
{
    public Task<IReadOnlyList<string>> PolicyDomainsAsync(CancellationToken ct) => AlertQueries.PolicyDomainsAsync(connection, ct);

    public Task<IReadOnlyList<AlertQueries.FailingSource>> NewFailingSourcesAsync(long sinceUtc, long minMessages, CancellationToken ct) =>
        AlertQueries.NewFailingSourcesAsync(connection, sinceUtc, minMessages, ct);

    public Task<IReadOnlyList<AlertQueries.PassCount>> PassCountsAsync(long fromUtc, long toUtc, CancellationToken ct) =>
        AlertQueries.PassCountsAsync(connection, fromUtc, toUtc, ct);

    public Task<long?> LastIngestAsync(CancellationToken ct) => AlertQueries.LastIngestAsync(connection, ct);

    public Task<IReadOnlyList<AlertQueries.FiredAlert>> FiredAsync(CancellationToken ct) => AlertQueries.FiredAsync(connection, ct);

    public Task RecordAsync(IReadOnlyList<(AlertQueries.FiredAlert Alert, string Text)> firing, DateTimeOffset now, CancellationToken ct) =>
        AlertQueries.RecordAsync(connection, firing, now, ct);
}
