namespace DmarcAnalyzer.Storage;

/// <summary>
/// What the analysis reads of the stored reports: their metadata, the result counts ingest summed, the records
/// streamed, and the reverse DNS names cached for their sources. SQLite (<see cref="SqliteRecordQueries"/>) and
/// PostgreSQL (<see cref="Postgres.PgRecordQueries"/>).
/// </summary>
internal interface IRecordQueries
{
    Task<IReadOnlyList<StoredReport>> ReportsAsync(RecordFilter filter, CancellationToken ct);

    Task<IReadOnlyList<ResultCountOfReport>> ResultCountsAsync(RecordFilter filter, CancellationToken ct);

    /// <summary>
    /// Streams the records of the filter's reports: those with an id below <paramref name="middle"/> to
    /// <paramref name="below"/>, the others to <paramref name="fromMiddle"/>. The two may run side by side on two
    /// threads; each visitor is called from one thread at a time.
    /// </summary>
    Task ReadRecordsAsync(RecordFilter filter, long middle, StoredRecordVisitor below, StoredRecordVisitor fromMiddle, CancellationToken ct);

    /// <summary>
    /// Messages per source address and verified DKIM signing domain other than the From domain's, of the signatures
    /// after each record's first (the first comes with the records: <see cref="StoredRecordVisitor"/>).
    /// </summary>
    Task<IReadOnlyList<SigningDomainCount>> FurtherSigningDomainsAsync(RecordFilter filter, CancellationToken ct);

    Task<Dictionary<string, PtrCacheEntry>> PtrNamesAsync(CancellationToken ct);

    Task SavePtrNamesAsync(IReadOnlyCollection<PtrCacheEntry> entries, CancellationToken ct);

    /// <summary>The network databases' cached answers, of the builds named <paramref name="databases"/> only.</summary>
    Task<Dictionary<string, NetworkCacheEntry>> NetworkCacheAsync(string databases, CancellationToken ct);

    Task SaveNetworkCacheAsync(string databases, IReadOnlyCollection<NetworkCacheEntry> entries, CancellationToken ct);
}
