using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>What the weekly digest tells: the week's analysis, and per domain the sources that are new since the week before.</summary>
internal sealed record WeeklyDigest(IsoWeek Week, ReportAnalysis Analysis, IReadOnlyDictionary<string, IReadOnlyList<SourceSummary>> NewSourcesByDomain)
{
    public static async Task<WeeklyDigest> AnalyzeAsync(IRecordQueries records, IVerdictQueries verdicts, StoreAnalyzer analyzer, IsoWeek week,
        string? domain, CancellationToken ct)
    {
        var period = ReportPeriod.OfWeek(week);
        var current = await analyzer.AnalyzeAsync(records, period, domain, ct) with { Inbound = await InboundAnalyzer.AnalyzeAsync(verdicts, period, ct) };
        var before = await analyzer.AnalyzeAsync(records, ReportPeriod.OfWeek(IsoWeek.Of(week.Monday.AddDays(-7))), domain, ct);
        var newSources = current.Domains.ToDictionary(d => d.Domain,
            d => NewSources.Since(d, before.Domains.FirstOrDefault(b => b.Domain == d.Domain)), StringComparer.Ordinal);
        return new WeeklyDigest(week, current, newSources);
    }
}
