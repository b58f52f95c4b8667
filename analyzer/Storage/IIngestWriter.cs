using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using DmarcAnalyzer.Reports.Tls;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Writes what ingest reads: a report with its records in one transaction (a report already stored adds nothing),
/// or an input that could not be read with its raw bytes. SQLite (<see cref="IngestWriter"/>) and PostgreSQL
/// (<see cref="Postgres.PgIngestWriter"/>).
/// </summary>
internal interface IIngestWriter : IAsyncDisposable
{
    /// <returns>The number of records stored, or null when the store already had the report.</returns>
    /// <param name="auth">What the DKIM signatures of the mail it came in say about its sender, stored with it.</param>
    /// <param name="beforeCommit">Test seam: runs in the transaction just before its commit.</param>
    Task<long?> AddAsync(ReportHeader header, IEnumerable<ReportRecord> records, ReadOnlyMemory<byte> xml, string source,
        ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null);

    /// <summary>An SMTP TLS report with its raw JSON, in one transaction; false when the store already had it.</summary>
    Task<bool> AddTlsReportAsync(TlsReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null);

    /// <summary>A DMARC failure report with its raw message, in one transaction; false when the store already had it.</summary>
    Task<bool> AddFailureReportAsync(FailureReport report, ReadOnlyMemory<byte> raw, string source, ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null);

    Task AddFailureAsync(string source, string reason, RawInput raw, CancellationToken ct);
}
