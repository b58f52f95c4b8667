namespace DmarcAnalyzer.Storage;

/// <summary>What became of one report for one destination: in the outbox, or not sent and why.</summary>
internal enum OutgoingOutcome { Queued, TooLarge, NotAuthorised }

/// <summary>One (domain, day, destination) handled; <paramref name="Destination"/> is lower case.</summary>
internal sealed record OutgoingReportRow(
    string Domain, long BeginUtc, string Destination, string ReportId, OutgoingOutcome Outcome, long Size, long Messages, string? Detail,
    long CreatedUtc);

/// <summary>
/// The facts the milter kept for reports, read back per period, and the ledger of reports handled. SQLite
/// (<see cref="OutgoingReportQueries"/>) and PostgreSQL.
/// </summary>
internal interface IOutgoingReportQueries
{
    /// <summary>The verdicts in [<paramref name="fromUtc"/>, <paramref name="toUtcExclusive"/>) kept for reports, oldest first.</summary>
    IAsyncEnumerable<(string Domain, string Facts)> FactsAsync(long fromUtc, long toUtcExclusive, CancellationToken ct);

    /// <summary>The destinations already handled for the domain's report that begins at <paramref name="beginUtc"/>.</summary>
    Task<IReadOnlySet<string>> HandledAsync(string domain, long beginUtc, CancellationToken ct);

    /// <summary>
    /// Notes a destination as handled and spools <paramref name="mail"/> when there is one, in one transaction: the spool and
    /// the ledger agree after a crash, so a report is neither lost nor sent twice.
    /// </summary>
    Task AddAsync(OutgoingReportRow row, OutboxMail? mail, CancellationToken ct);
}
