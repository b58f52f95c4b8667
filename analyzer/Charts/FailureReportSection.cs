using System.Globalization;
using System.Text;
using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// The report page's failure-report section (RFC 6591): reports by day of arrival, by source address, by the mechanism
/// that failed, by reporter, and the latest ones, their addresses and subjects masked unless configured otherwise.
/// </summary>
internal static class FailureReportSection
{
    public static void Append(StringBuilder html, FailureReportAnalysis f)
    {
        var e = HtmlReport.E;
        html.Append("<section id=\"failure-reports\">\n<h2>Failure reports</h2>\n")
            .Append("<p class=\"meta\">DMARC failure reports (RFC 6591) that receivers sent about single messages; counted on the UTC day the message arrived.");
        if (f.Masked)
            html.Append(" Addresses and subjects are masked (personal data); <code>").Append(e(FailureReportPrivacy.Setting))
                .Append(": true</code> shows them whole.");
        html.Append("</p>\n<div class=\"cards\">\n");
        HtmlTable.Card(html, "failure reports", HtmlTable.Count(f.Total));
        html.Append("</div>\n");
        HtmlTable.Append(html, "Failure reports by day", ["day", "reports"],
            f.Days.Select(d => (string[])[e(d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), HtmlTable.Count(d.Reports)]), [false, true]);
        html.Append("<div class=\"columns\">\n");
        Counts(html, $"By source IP (top {FailureReportAnalyzer.TopListed})", "source IP", f.Sources);
        Counts(html, "By authentication failure", "auth failure", f.AuthFailures);
        html.Append("</div>\n");
        HtmlTable.Append(html, $"By reporter (top {FailureReportAnalyzer.TopListed}), with its report mail", ["reporting domain", "reports", "not shown to be from it", "report mail"],
            f.Reporters.Select(r => (string[])[e(r.Label), HtmlTable.Count(r.Reports), HtmlTable.Count(r.Unverified), e(r.MailText)]), [false, true, true, false]);
        HtmlTable.Append(html, $"Latest failure reports (newest {FailureReportAnalyzer.LatestShown})",
            ["arrived (UTC)", "reporter", "reported domain", "source IP", "auth failure", "From", "To", "Subject", "report mail"],
            f.Latest.Select(s => (string[])[
                e(s.Arrival.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)), e(s.Reporter), e(s.ReportedDomain),
                e(s.SourceIp), e(s.AuthFailure), e(s.From), e(s.To), e(s.Subject), e(s.Mail)]),
            [false, false, false, false, false, false, false, false, false]);
        html.Append("</section>\n");
    }

    private static void Counts(StringBuilder html, string caption, string what, IReadOnlyList<NamedCount> counts) =>
        HtmlTable.Append(html, caption, [what, "reports"], counts.Select(c => (string[])[HtmlReport.E(c.Name), HtmlTable.Count(c.Count)]), [false, true]);
}
