namespace DmarcAnalyzer.Storage;

/// <summary>
/// What became of one report for one destination: in the outbox, not sent and why, or deferred (its authorisation could
/// not be checked: a later run tries it again, and only a deferred destination may be handled again).
/// </summary>
internal enum OutgoingOutcome { Queued, TooLarge, NotAuthorised, Deferred }

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

    /// <summary>The destinations already handled (not deferred) for the domain's report that begins at <paramref name="beginUtc"/>.</summary>
    Task<IReadOnlySet<string>> HandledAsync(string domain, long beginUtc, CancellationToken ct);

    /// <summary>The days (their first second) in [<paramref name="fromUtc"/>, <paramref name="toUtcExclusive"/>) with a deferred destination, oldest first.</summary>
    Task<IReadOnlyList<long>> DeferredDaysAsync(long fromUtc, long toUtcExclusive, CancellationToken ct);

    /// <summary>
    /// Notes a destination as handled (or deferred) and spools <paramref name="mail"/> when there is one, in one
    /// transaction: the spool and the ledger agree after a crash, so a report is neither lost nor sent twice. False,
    /// and nothing written, when another run has handled the destination meanwhile.
    /// </summary>
    Task<bool> AddAsync(OutgoingReportRow row, OutboxMail? mail, CancellationToken ct);
}
