using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// What the weekly digest tells: the week's analysis; per domain the sources that are new since the week before, and
/// the week's SMTP TLS and failure reports when the domain has any.
/// </summary>
internal sealed record WeeklyDigest(IsoWeek Week, ReportAnalysis Analysis, IReadOnlyDictionary<string, IReadOnlyList<SourceSummary>> NewSourcesByDomain)
{
    public IReadOnlyDictionary<string, TlsDomainAnalysis> TlsByDomain { get; init; } = new Dictionary<string, TlsDomainAnalysis>();

    /// <summary>Counts only (no samples): the digest shows no address or subject of a failure report.</summary>
    public IReadOnlyDictionary<string, FailureReportAnalysis> FailureReportsByDomain { get; init; } = new Dictionary<string, FailureReportAnalysis>();

    public static async Task<WeeklyDigest> AnalyzeAsync(IRecordQueries records, IVerdictQueries verdicts, ITlsReportQueries tlsReports,
        IFailureReportQueries failureReports, StoreAnalyzer analyzer, IsoWeek week, string? domain, CancellationToken ct)
    {
        var period = ReportPeriod.OfWeek(week);
        var current = await analyzer.AnalyzeAsync(records, period, domain, ct) with { Inbound = await InboundAnalyzer.AnalyzeAsync(verdicts, period, ct) };
        var before = await analyzer.AnalyzeAsync(records, ReportPeriod.OfWeek(IsoWeek.Of(week.Monday.AddDays(-7))), domain, ct);
        var newSources = current.Domains.ToDictionary(d => d.Domain,
            d => NewSources.Since(d, before.Domains.FirstOrDefault(b => b.Domain == d.Domain)), StringComparer.Ordinal);
        var tls = (await TlsAnalyzer.AnalyzeAsync(tlsReports, period, domain, ct))?.Domains ?? [];
        var failures = new Dictionary<string, FailureReportAnalysis>(StringComparer.Ordinal);
        foreach (var d in current.Domains)
        {
            if (await FailureReportAnalyzer.AnalyzeAsync(failureReports, period, d.Domain, showDetails: false, ct) is { } found)
                failures[d.Domain] = found;
        }
        return new WeeklyDigest(week, current, newSources)
        {
            TlsByDomain = tls.ToDictionary(t => t.Domain, StringComparer.Ordinal),
            FailureReportsByDomain = failures,
        };
    }
}
