namespace DmarcAnalyzer.Storage;

/// <summary>One stored DMARC failure report, every field (<c>dmarc export --what failure-reports</c>, the report's section).</summary>
internal sealed record FailureReportRow(
    DateTimeOffset Arrival, DateTimeOffset? ReportDate, string? ReportingDomain, string FeedbackType, string? UserAgent, string? Version,
    string? ReportedDomain, string? SourceIp, string? AuthFailure, string? IdentityAlignment, string? DeliveryResult,
    string? DkimDomain, string? DkimSelector, string? SpfDns, string? OriginalMailFrom, string? OriginalRcptTo, string? ArrivalDate,
    string? HeaderFrom, string? HeaderTo, string? Subject, string? HeaderDate, string? MessageId, string? AuthenticationResults,
    string Identity, string Source, DateTimeOffset Ingested)
{
    /// <summary>The report's <see cref="Reports.ReportAuthentication"/> word (null: stored before reports were verified): a last column, as scripts read by position.</summary>
    public string? Auth { get; init; }

    /// <summary>The d= of the report mail's signatures that verified, comma-separated.</summary>
    public string? AuthDomains { get; init; }
}

/// <summary>
/// Reads and prunes stored DMARC failure reports (RFC 6591). <see cref="FailureReportQueries"/>,
/// the same SQL on SQLite and PostgreSQL.
/// </summary>
internal interface IFailureReportQueries
{
    /// <summary>Every failure report, oldest arrival first.</summary>
    IAsyncEnumerable<FailureReportRow> ExportAsync(CancellationToken ct);

    /// <summary>Reports that arrived in [<paramref name="fromUtc"/>, <paramref name="toUtcExclusive"/>) (about <paramref name="domain"/> when given), oldest first.</summary>
    IAsyncEnumerable<FailureReportRow> ReadAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct);

    /// <summary>
    /// Deletes the failure reports that arrived before <paramref name="beforeUtc"/>, their raw bytes with them (one row holds
    /// both), and returns how many. RFC 9991's privacy section: they hold personal data, kept no longer than needed.
    /// </summary>
    /// <remarks>secure_delete overwrites the freed pages, and the checkpoint moves that into the database file and empties the
    /// write-ahead log: the deleted bytes are not left readable in either file. PostgreSQL has no such setting: its deleted rows stay in
    /// the table files until VACUUM reuses their space.</remarks>
    Task<long> PruneAsync(long beforeUtc, CancellationToken ct);
}
