using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>The verdict log on SQLite (<see cref="VerdictQueries"/>).</summary>
internal sealed class SqliteVerdictQueries(SqliteConnection connection) : IVerdictQueries
{
    public Task WriteAsync(IReadOnlyList<VerdictRow> batch, CancellationToken ct) => VerdictQueries.WriteAsync(connection, batch, ct);

    public IAsyncEnumerable<InboundVerdict> ReceivedAsync(long fromUtc, long toUtcExclusive, CancellationToken ct) =>
        VerdictQueries.ReceivedAsync(connection, fromUtc, toUtcExclusive, ct);

    public IAsyncEnumerable<SenderAddressRow> SenderAddressesAsync(long sinceUtc, long limit, CancellationToken ct) =>
        VerdictQueries.SenderAddressesAsync(connection, sinceUtc, limit, ct);
}
