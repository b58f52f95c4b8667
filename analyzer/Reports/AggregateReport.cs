namespace DmarcAnalyzer.Reports;

/// <summary>
/// What precedes the records of a DMARC aggregate report (RFC 7489 Appendix C, RFC 9990), normalised.
/// The records themselves stream from <see cref="AggregateReportReader"/>.
/// </summary>
internal sealed record ReportHeader(
    ReportMetadata Metadata,
    PolicyPublished Policy,
    string? Version,
    string? XmlNamespace);

internal sealed record ReportMetadata(
    string OrgName,
    string? Email,
    string? ExtraContactInfo,
    string ReportId,
    DateTimeOffset Begin,
    DateTimeOffset End,
    IReadOnlyList<string> Errors,
    string? Generator);

/// <summary>Values are lower-cased and trimmed; absent tags are null.</summary>
internal sealed record PolicyPublished(
    string Domain,
    string? Adkim,
    string? Aspf,
    string? P,
    string? Sp,
    string? Np,
    int? Pct,
    string? Fo,
    string? Testing,
    string? DiscoveryMethod,
    string? Psd);

internal sealed record ReportRecord(
    string SourceIp,
    long Count,
    string? Disposition,
    string? DkimEvaluated,
    string? SpfEvaluated,
    PolicyOverride[] Reasons,
    string? HeaderFrom,
    string? EnvelopeFrom,
    string? EnvelopeTo,
    DkimAuthResult[] Dkim,
    SpfAuthResult[] Spf);

internal sealed record PolicyOverride(string Type, string? Comment);

internal sealed record DkimAuthResult(string Domain, string? Selector, string Result, string? HumanResult);

internal sealed record SpfAuthResult(string Domain, string? Scope, string Result, string? HumanResult);
