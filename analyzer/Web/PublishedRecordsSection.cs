using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>The domain page's "published records" section: what <c>dmarc check dmarc|spf</c> prints, as HTML.</summary>
internal static class PublishedRecordsSection
{
    public static async Task<string> RenderAsync(PublishedRecords? checker, string domain, CancellationToken ct)
    {
        var html = "<section id=\"records\"><h2>Published records (checked now)</h2>";
        if (checker is null)
            return html + "<p class=\"muted\">Records are not checked: this server runs without DNS (Serve:CheckRecords is false).</p></section>";
        var check = await checker.CheckAsync(domain, ct);
        if (check.Trouble is { } trouble)
            return html + $"<p class=\"error\" role=\"status\">Could not be checked: {E(trouble)}.</p></section>";
        return html + "<div class=\"split\">" + Dmarc(check.Dmarc!) + Spf(check.Spf!) + "</div></section>";
    }

    private static string Dmarc(DmarcCheckReport report) =>
        "<div><h3>DMARC</h3>" +
        (report.DnsTrouble ? "<p class=\"error\">Could not be checked: the DNS did not answer for the record.</p>" : "") +
        (report.Record is null ? "" : $"<p><code>_dmarc.{E(report.RecordDomain)}: {E(report.Record.Text)}</code></p>") +
        Findings(report.Findings.Select(f => (f.Severity, f.Message))) + "</div>";

    private static string Spf(SpfLintReport report) =>
        "<div><h3>SPF</h3>" +
        (report.DnsTrouble ? "<p class=\"error\">Could not be checked whole: a DNS query of the record tree failed.</p>" : "") +
        (report.Root is { } root ? $"<p><code>{E(root.Domain)}: {E(root.Record ?? "no SPF record")}</code></p>" : "") +
        $"<p>DNS-querying terms: {report.DnsTerms} of {SpfEvaluator.MaxDnsTerms}; void lookups: {report.VoidLookups} of {SpfEvaluator.MaxVoidLookups}; " +
        (report.Holds ? "<span class=\"badge v-ready\">ok</span>" : "<span class=\"badge v-not\">not ok</span>") + "</p>" +
        Findings(report.Warnings.Select(w => (DmarcCheckFinding.Warning, w)).Concat(report.Errors.Select(e => (DmarcCheckFinding.Error, e)))) + "</div>";

    private static string Findings(IEnumerable<(string Severity, string Message)> findings) =>
        "<ul class=\"findings\">" + string.Concat(findings.Select(f => $"<li class=\"{E(f.Severity)}\"><b>{E(f.Severity)}:</b> {E(f.Message)}</li>")) + "</ul>";
}
