using System.Text;
using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// The report page's TLS section: per policy domain, the sessions that sending MTAs reported (RFC 8460) by day and ISO
/// week, the success rate, failures by result type, the failing MX hosts and sending IPs, and sessions that found no
/// policy, called out as the step towards MTA-STS (RFC 8461).
/// </summary>
internal static class TlsSection
{
    public static void Append(StringBuilder html, TlsAnalysis tls)
    {
        html.Append("<section id=\"tls\">\n<h2>TLS (SMTP TLS reports, RFC 8460)</h2>\n")
            .Append("<p class=\"meta\">Sessions that sending mail servers opened to your MX hosts, as their TLS reports say; counted on the UTC day a report begins.</p>\n");
        for (var i = 0; i < tls.Domains.Count; i++)
            Domain(html, tls.Domains[i], i);
        html.Append("</section>\n");
    }

    private static void Domain(StringBuilder html, TlsDomainAnalysis d, int index)
    {
        var e = HtmlReport.E;
        html.Append($"<section id=\"tls-{index + 1}\">\n<h3>{e(d.Domain)}</h3>\n<div class=\"cards\">\n");
        HtmlTable.Card(html, "sessions", HtmlTable.Count(d.Total.Total));
        HtmlTable.Card(html, "TLS success", e(DomainCharts.Rate(d.Total.SuccessRate)));
        HtmlTable.Card(html, "failed sessions", HtmlTable.Count(d.Total.Failed));
        html.Append("</div>\n");
        if (d.NoPolicySessions > 0)
            html.Append("<div class=\"verdict nearly\"><p><b>No policy found</b> for ")
                .Append(HtmlTable.Count(d.NoPolicySessions)).Append(" sessions: senders found neither an MTA-STS policy nor DANE TLSA records for ")
                .Append(e(d.Domain)).Append(", so they may deliver without TLS or to a forged MX. ")
                .Append("Publishing an MTA-STS policy (RFC 8461), first in mode testing, is the next step.</p></div>\n");
        var numeric = new[] { false, true, true, true, true };
        HtmlTable.Append(html, "Sessions by day", ["day", "sessions", "successful", "failed", "success"],
            d.Days.Select(x => Row(x.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), x.Sessions)), numeric);
        HtmlTable.Append(html, "Sessions by ISO week", ["week", "sessions", "successful", "failed", "success"],
            d.Weeks.Select(x => Row(x.Week.ToString(), x.Sessions)), numeric);
        HtmlTable.Append(html, "Sessions by policy type", ["policy type", "sessions"],
            d.PolicyTypes.Select(c => (string[])[e(c.Name), HtmlTable.Count(c.Count)]), [false, true]);
        if (d.ResultTypes.Count > 0)
        {
            HtmlTable.Append(html, "Failed sessions by result type", ["result type", "failed sessions"],
                d.ResultTypes.Select(c => (string[])[e(c.Name), HtmlTable.Count(c.Count)]), [false, true]);
            if (d.FailingMxHosts.Count > 0)
                HtmlTable.Append(html, $"Failing MX hosts (top {TlsAnalyzer.TopListed})", ["receiving MX host", "failed sessions"],
                    d.FailingMxHosts.Select(c => (string[])[e(c.Name), HtmlTable.Count(c.Count)]), [false, true]);
            if (d.SendingIps.Count > 0)
                HtmlTable.Append(html, $"Sending IPs that failed (top {TlsAnalyzer.TopListed})", ["sending MTA IP", "failed sessions"],
                    d.SendingIps.Select(c => (string[])[e(c.Name), HtmlTable.Count(c.Count)]), [false, true]);
        }
        Reporters(html, d.Reporters);
        html.Append("</section>\n");
    }

    /// <summary>Who sent the reports, the signer beside a name it is not the domain of, and whether the report mail shows it (red-team F9).</summary>
    private static void Reporters(StringBuilder html, IReadOnlyList<ReporterIdentity> reporters)
    {
        if (reporters.Count == 0)
            return;
        var e = HtmlReport.E;
        HtmlTable.Append(html, "Reporters and their report mail", ["reporter", "reports", "not shown to be from it", "report mail"],
            reporters.Select(r => (string[])[e(r.Label), HtmlTable.Count(r.Reports), HtmlTable.Count(r.Unverified), e(r.MailText)]),
            [false, true, true, false]);
    }

    private static string[] Row(string label, TlsSessions s) =>
        [HtmlReport.E(label), HtmlTable.Count(s.Total), HtmlTable.Count(s.Successful), HtmlTable.Count(s.Failed), HtmlReport.E(DomainCharts.Rate(s.SuccessRate))];
}
