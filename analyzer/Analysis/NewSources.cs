namespace DmarcAnalyzer.Analysis;

/// <summary>Sources of a domain seen in one period and not in the period before: a new service, or someone new forging it.</summary>
internal static class NewSources
{
    public static IReadOnlyList<SourceSummary> Since(DomainAnalysis current, DomainAnalysis? before)
    {
        var seen = before?.Sources.Select(s => s.Ip).ToHashSet(StringComparer.Ordinal) ?? [];
        return current.Sources.Where(s => !seen.Contains(s.Ip)).OrderByDescending(s => s.Tally.Volume).ThenBy(s => s.Ip, StringComparer.Ordinal).ToList();
    }
}
