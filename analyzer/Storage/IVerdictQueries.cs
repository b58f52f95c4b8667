namespace DmarcAnalyzer.Storage;

/// <summary>
/// The milter's verdict log: batches written, received mail and sender addresses read back. SQLite
/// (<see cref="SqliteVerdictQueries"/>) and PostgreSQL (<see cref="Postgres.PgVerdictQueries"/>).
/// </summary>
internal interface IVerdictQueries
{
    /// <summary>Writes the batch in one transaction.</summary>
    Task WriteAsync(IReadOnlyList<VerdictRow> batch, CancellationToken ct);

    /// <summary>Received mail in [<paramref name="fromUtc"/>, <paramref name="toUtcExclusive"/>): submissions are left out.</summary>
    IAsyncEnumerable<InboundVerdict> ReceivedAsync(long fromUtc, long toUtcExclusive, CancellationToken ct);

    /// <summary>Envelope-sender domains and client addresses since <paramref name="sinceUtc"/>, ordered by domain, at most <paramref name="limit"/>.</summary>
    IAsyncEnumerable<SenderAddressRow> SenderAddressesAsync(long sinceUtc, long limit, CancellationToken ct);
}
