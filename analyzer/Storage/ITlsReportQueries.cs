namespace DmarcAnalyzer.Storage;

/// <summary>One failure detail with its policy and report; a policy without failure details is one row with the detail's columns empty.</summary>
internal sealed record TlsExportRow(
    string OrganizationName, string ReportId, DateTimeOffset Begin, DateTimeOffset End, string? ContactInfo,
    string PolicyType, string? PolicyString, string? PolicyDomain, string? MxHost, long SuccessfulSessions, long FailedSessions,
    string? ResultType, string? SendingMtaIp, string? ReceivingMxHostname, string? ReceivingMxHelo, string? ReceivingIp,
    long? FailedSessionCount, string? AdditionalInformation, string? FailureReasonCode, string Source, DateTimeOffset Ingested)
{
    /// <summary>The report's <see cref="Reports.ReportAuthentication"/> word (null: stored before reports were verified): a last column, as scripts read by position.</summary>
    public string? Auth { get; init; }

    /// <summary>The d= of the report mail's signatures that verified, comma-separated.</summary>
    public string? AuthDomains { get; init; }
}

/// <summary>A policy block of a report whose period begins in the range.</summary>
internal sealed record TlsPolicyRow(long Policy, string? PolicyDomain, string PolicyType, long BeginUtc, long SuccessfulSessions, long FailedSessions);

internal sealed record TlsDetailRow(long Policy, string ResultType, string? ReceivingMxHostname, string? SendingMtaIp, long FailedSessions);

/// <summary>
/// Reads stored SMTP TLS reports: flat rows for <c>dmarc export --what tls</c>, and what the report's TLS section tallies.
/// <see cref="TlsReportQueries"/>, the same SQL on SQLite and PostgreSQL.
/// </summary>
internal interface ITlsReportQueries
{
    /// <summary>Every failure detail with its policy and report, in report order.</summary>
    IAsyncEnumerable<TlsExportRow> ExportAsync(CancellationToken ct);

    /// <summary>Policy blocks of reports beginning in [<paramref name="fromUtc"/>, <paramref name="toUtcExclusive"/>), of one policy domain when given.</summary>
    Task<IReadOnlyList<TlsPolicyRow>> PoliciesAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct);

    /// <summary>Per policy domain (<see cref="TlsReportQueries.NoDomain"/> for none), the reporters of those reports and what their report mail's DKIM said.</summary>
    Task<IReadOnlyList<ReporterAuthRow>> ReportersAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct);

    /// <summary>The failure details of those policy blocks.</summary>
    Task<IReadOnlyList<TlsDetailRow>> FailureDetailsAsync(long fromUtc, long toUtcExclusive, string? domain, CancellationToken ct);
}
