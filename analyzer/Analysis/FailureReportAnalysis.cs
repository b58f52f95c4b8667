namespace DmarcAnalyzer.Analysis;

/// <summary>The DMARC failure reports of the period; null in <see cref="ReportAnalysis"/> when there are none.</summary>
/// <param name="Latest">The newest reports, masked unless <see cref="FailureReportPrivacy.Setting"/> says otherwise.</param>
internal sealed record FailureReportAnalysis(
    long Total,
    IReadOnlyList<FailureReportDay> Days,
    IReadOnlyList<NamedCount> Sources,
    IReadOnlyList<NamedCount> AuthFailures,
    IReadOnlyList<ReporterIdentity> Reporters,
    IReadOnlyList<FailureReportSample> Latest,
    bool Masked);

internal sealed record FailureReportDay(DateOnly Day, long Reports);

/// <param name="Reporter">The reporting domain, with the signer of its report mail beside it when that is another domain.</param>
/// <param name="Mail">What the report mail's DKIM showed, in plain words (red-team F9).</param>
internal sealed record FailureReportSample(
    DateTimeOffset Arrival, string? Reporter, string? ReportedDomain, string? SourceIp, string? AuthFailure,
    string? From, string? To, string? Subject, string Mail);
