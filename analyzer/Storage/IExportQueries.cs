namespace DmarcAnalyzer.Storage;

/// <summary>One record of <c>dmarc export</c>: its report's identity and policy, the record, its results joined.</summary>
internal sealed record RecordExportRow(
    string OrgName, string ReportId, DateTimeOffset Begin, DateTimeOffset End, string Domain,
    string? Adkim, string? Aspf, string? P, string? Sp, string? Np, long? Pct,
    string SourceIp, long Count, string? Disposition, string? DkimEvaluated, string? SpfEvaluated,
    string? HeaderFrom, string? EnvelopeFrom, string? EnvelopeTo, string? DkimResults, string? SpfResults,
    string? DkimHumanResults, string? SpfHumanResults, string? OverrideReasons)
{
    // Who the source is, filled by Analysis' enrichment (not stored with the record): the last columns of the export.
    public string? Service { get; init; }

    public string? ServiceType { get; init; }

    public long? Asn { get; init; }

    public string? AsOrg { get; init; }

    public string? Country { get; init; }

    /// <summary>The report's <see cref="Reports.ReportAuthentication"/> word (null: stored before reports were verified), after the enrichment.</summary>
    public string? Auth { get; init; }

    /// <summary>The d= of the report mail's signatures that verified, comma-separated.</summary>
    public string? AuthDomains { get; init; }
}

/// <summary>One report of <c>dmarc export --what reports</c>, with its record and message counts.</summary>
internal sealed record ReportExportRow(
    string OrgName, string? Email, string ReportId, DateTimeOffset Begin, DateTimeOffset End, string Domain,
    string? Adkim, string? Aspf, string? P, string? Sp, string? Np, long? Pct, string? Fo, string? Testing,
    string? DiscoveryMethod, string? Psd, string? Generator, string? Version, string? XmlNamespace, string? ExtraContactInfo,
    string? Errors, long Records, long Messages, string Source, DateTimeOffset Ingested)
{
    /// <summary>The <see cref="Reports.ReportAuthentication"/> word (null: stored before reports were verified): a last column, as scripts read by position.</summary>
    public string? Auth { get; init; }

    /// <summary>The d= of the report mail's signatures that verified, comma-separated.</summary>
    public string? AuthDomains { get; init; }
}

/// <summary>Flat rows for <c>dmarc export</c>, streamed from the store in report order. SQLite (<see cref="ExportQueries"/>) and PostgreSQL.</summary>
internal interface IExportQueries
{
    IAsyncEnumerable<RecordExportRow> RecordsAsync(CancellationToken ct);

    IAsyncEnumerable<ReportExportRow> ReportsAsync(CancellationToken ct);
}
