using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// A reporter of a domain some of whose reports in the period were not shown to be from it (red-team F9): how many
/// of its reports, and in plain words why (the commonest reason when there are several).
/// </summary>
internal sealed record UnverifiedReporter(string Reporter, long Reports, long OfReports, string Why);

/// <summary>Per policy domain, the reporters whose reports were not DKIM-signed by their own domain; verified and bare-file reports need no mark.</summary>
internal static class UnverifiedReporters
{
    public static IReadOnlyDictionary<string, IReadOnlyList<UnverifiedReporter>> Of(IReadOnlyList<ReporterAuthRow> rows) =>
        rows.GroupBy(r => r.Domain, StringComparer.Ordinal).ToDictionary(
            domain => domain.Key,
            domain => (IReadOnlyList<UnverifiedReporter>)domain.GroupBy(r => r.Reporter, StringComparer.Ordinal)
                .Select(reporter =>
                {
                    var marked = reporter.Where(r => ReportAuthentication.Mark(r.Verdict) is not null).ToList();
                    if (marked.Count == 0)
                        return null;
                    var commonest = marked.MaxBy(r => r.Reports)!;
                    return new UnverifiedReporter(reporter.Key, marked.Sum(r => r.Reports), reporter.Sum(r => r.Reports),
                        ReportAuthentication.Mark(commonest.Verdict)!);
                })
                .OfType<UnverifiedReporter>()
                .OrderByDescending(u => u.Reports).ThenBy(u => u.Reporter, StringComparer.Ordinal)
                .ToList(),
            StringComparer.Ordinal);
}
