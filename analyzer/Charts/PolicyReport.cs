using System.Globalization;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Charts;

/// <summary>What to report: a period, one domain or all, the folder, and whether to convert the charts to PNG too.</summary>
/// <param name="FailureDetails">Failure reports' addresses and subjects unmasked.</param>
internal sealed record ReportRequest(ReportPeriod Period, string? Domain, string Folder, bool Png, bool FailureDetails = false);

/// <summary>
/// A written report: a line per domain (and one for inbound mail) for the person who asked, the PNG conversion when
/// asked for, and the path of index.html.
/// </summary>
internal sealed record PolicyReportResult(IReadOnlyList<string> Lines, PngConverter.Result? Png, int Charts, string IndexPath);

/// <summary><c>dmarc report</c>'s use case: analyse a period of the store and write the charts, tables and index.html.</summary>
internal static class PolicyReport
{
    public static async Task<PolicyReportResult> WriteAsync(
        string database, ReportRequest request, KnownSenders known, IDnsResolver? resolver, CancellationToken ct)
    {
        var analysis = await PeriodAnalysis.AnalyzeAsync(database, request.Period, request.Domain, known, resolver, request.FailureDetails, ct);
        var written = await ReportWriter.WriteAsync(analysis, request.Folder, DateTimeOffset.UtcNow, ct);
        var png = request.Png ? await PngConverter.ConvertAsync(written.SvgPaths, ct) : null;
        return new PolicyReportResult(Lines(analysis), png, written.SvgPaths.Count, written.IndexPath);
    }

    private static List<string> Lines(ReportAnalysis analysis)
    {
        // Domains come from reports: control characters must not reach the terminal.
        var lines = analysis.Domains.Select(d => $"{SafeText.Clean(d.Domain)}: {d.Total.Volume.ToString("N0", CultureInfo.InvariantCulture)} messages, " +
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
