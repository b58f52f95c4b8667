using System.Globalization;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Charts;

/// <summary>What to report: a period, one domain or all, the folder, and whether to write the charts as PNG too.</summary>
/// <param name="FailureDetails">Failure reports' addresses and subjects unmasked.</param>
internal sealed record ReportRequest(ReportPeriod Period, string? Domain, string Folder, bool Png, bool FailureDetails = false);

/// <summary>
/// A written report: a line per domain (and one for inbound mail) for the person who asked, the PNG files when
/// asked for, and the path of index.html. <see cref="ReverseDnsTrouble"/>: why source names could not be looked up, said once.
/// </summary>
internal sealed record PolicyReportResult(IReadOnlyList<string> Lines, IReadOnlyList<string>? Png, int Charts, string IndexPath)
{
    public string? ReverseDnsTrouble { get; init; }
}

/// <summary><c>dmarc report</c>'s use case: analyse a period of the store and write the charts, tables and index.html.</summary>
internal static class PolicyReport
{
    public static async Task<PolicyReportResult> WriteAsync(
        string database, ReportRequest request, KnownSenders known, SourceEnricher enricher, IDnsResolver? resolver, CancellationToken ct)
    {
        var analysis = await PeriodAnalysis.AnalyzeAsync(database, request.Period, request.Domain, known, enricher, resolver, request.FailureDetails, ct);
        var written = await ReportWriter.WriteAsync(analysis, request.Folder, DateTimeOffset.UtcNow, ct, request.Png);
        return new PolicyReportResult(Lines(analysis), request.Png ? written.PngPaths : null, written.SvgPaths.Count, written.IndexPath)
        {
            ReverseDnsTrouble = analysis.ReverseDnsTrouble is { } trouble ? SafeText.Line(trouble) : null,
        };
    }

    private static List<string> Lines(ReportAnalysis analysis)
    {
        // Domains come from reports: control characters must not reach the terminal.
        var lines = analysis.Domains.Select(d => $"{SafeText.Line(d.Domain)}: {d.Total.Volume.ToString("N0", CultureInfo.InvariantCulture)} messages, " +
                                                 $"DMARC pass {DomainCharts.Rate(d.Total.DmarcPassRate)}, {HtmlReport.VerdictText(d.Readiness.Verdict)}").ToList();
        if (analysis.Domains.Count == 0)
            lines.Add("no reports in the store for this period");
        if (analysis.Inbound is { } inbound)
            lines.Add($"inbound: {inbound.Total.Messages.ToString("N0", CultureInfo.InvariantCulture)} messages received, " +
                      $"DMARC pass {DomainCharts.Rate(Share(InboundTally.Of(inbound.Total.Dmarc, "pass"), inbound.Total.Messages))}");
        return lines;
    }

    private static double? Share(long part, long whole) => whole == 0 ? null : (double)part / whole;
}
