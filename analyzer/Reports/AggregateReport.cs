namespace DmarcAnalyzer.Reports;

/// <summary>One DMARC aggregate report, as RFC 7489 Appendix C and RFC 9990 describe it, normalised.</summary>
internal sealed record AggregateReport(
    ReportMetadata Metadata,
    PolicyPublished Policy,
    IReadOnlyList<ReportRecord> Records,
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
    IReadOnlyList<PolicyOverride> Reasons,
    string? HeaderFrom,
    string? EnvelopeFrom,
    string? EnvelopeTo,
    IReadOnlyList<DkimAuthResult> Dkim,
    IReadOnlyList<SpfAuthResult> Spf);

internal sealed record PolicyOverride(string Type, string? Comment);

internal sealed record DkimAuthResult(string Domain, string? Selector, string Result, string? HumanResult);

internal sealed record SpfAuthResult(string Domain, string? Scope, string Result, string? HumanResult);
