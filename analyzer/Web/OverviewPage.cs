using System.Globalization;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>Every domain with its volume, DMARC pass rate, trend, policy and readiness; open exception requests and open alerts.</summary>
internal static class OverviewPage
{
    public const int AlertsShown = 50;

    public static void Map(WebApplication app) =>
        app.MapGet("/", async (HttpContext context, AnalysisCache analyses, CancellationToken ct) =>
        {
            var period = Period.Of(context.Request);
            await using var store = await context.OpenStoreAsync(ct);
            var served = await ServerTiming.MeasureAsync(context, "analysis", () => analyses.GetAsync(store, period, null, ct));
            var analysis = served.Analysis;
            var open = (await store.ArchiveExceptions.ListAsync(ct)).Count(e => e.State == ExceptionState.Requested);
            var alerts = await store.OpenAlerts.NewestAsync(AlertsShown, ct);
            var alertCount = alerts.Count < AlertsShown ? alerts.Count : await store.OpenAlerts.CountAsync(ct);
            var query = Period.Query(period);
            var rows = analysis.Domains.Select(d => new[]
            {
                $"<a href=\"/domain/{U(d.Domain)}{query}\">{E(d.Domain)}</a>",
                N(d.Total.Volume),
                DomainCharts.Rate(d.Total.DmarcPassRate),
                Trend(d),
                E(d.Policy?.P is { } p ? "p=" + p : "unknown"),
                $"<span class=\"badge {Badge(d.Readiness.Verdict)}\">{E(HtmlReport.VerdictText(d.Readiness.Verdict))}</span>",
            });
            var requests = open == 0 ? ""
                : $"<p class=\"alert\" role=\"status\"><a href=\"/exceptions\">{N(open)} exception request{(open == 1 ? "" : "s")} waiting for an administrator</a></p>";
            var domains = analysis.Domains.Select(d => d.Domain).ToHashSet(StringComparer.Ordinal);
            var omitted = analysis.OmittedDomains > 0 ? $"<p class=\"muted\">{N(analysis.OmittedDomains)} quieter domains are not listed; search for them.</p>" : "";
            return Page(context, "Overview", PageAnalysis.Freshness(served) + requests + OpenAlerts(alerts, alertCount, domains, query) + Period.Picker(period, "/") +
                Table(["Domain", "Messages", "DMARC pass", "Trend (last week)", "Policy", "Readiness"], rows) + omitted);
        }).RequireAuthorization(DashboardServer.ReadPolicy);

    /// <summary>
    /// The alerts <c>dmarc alert</c> fired that have not cleared (its state table): what is wrong now, whatever period
    /// the page shows. A domain links to its page when the period has reports for it.
    /// </summary>
    private static string OpenAlerts(IReadOnlyList<OpenAlertRow> alerts, long count, HashSet<string> domains, string query)
    {
        if (alerts.Count == 0)
            return "";
        var items = alerts.Select(a =>
            $"<li><span class=\"badge v-not\">{E(a.Rule)}</span> " +
            (domains.Contains(a.Domain) ? $"<a href=\"/domain/{U(a.Domain)}{query}\">{E(a.Domain)}</a>" : E(a.Domain)) +
            $": {E(a.Text)} <span class=\"muted\">since {Time(a.Fired)} UTC</span></li>");
        return $"<section class=\"alerts\" id=\"alerts\"><h2>Open alerts ({N(count)})</h2><ul>{string.Concat(items)}</ul>" +
            (count > alerts.Count ? $"<p class=\"muted\">The newest {N(alerts.Count)} are shown.</p>" : "") + "</section>";
    }

    /// <summary>The DMARC pass rate of the newest week against the week before.</summary>
    private static string Trend(DomainAnalysis d)
    {
        if (d.Weeks.Count < 2 || d.Weeks[^1].Tally.DmarcPassRate is not { } now || d.Weeks[^2].Tally.DmarcPassRate is not { } before)
            return "<span class=\"muted\">—</span>";
        var change = (now - before) * 100;
        var (arrow, css) = change switch { > 0.5 => ("↑", "up"), < -0.5 => ("↓", "down"), _ => ("→", "flat") };
        return $"<span class=\"trend {css}\" title=\"{E(d.Weeks[^2].Week.ToString())}: {DomainCharts.Rate(before)}, {E(d.Weeks[^1].Week.ToString())}: {DomainCharts.Rate(now)}\">{arrow} {change.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture)} pts</span>";
    }

    public static string Badge(Verdict v) => v switch
    {
        Verdict.Ready => "v-ready",
        Verdict.Nearly => "v-nearly",
        Verdict.NotReady => "v-not",
        _ => "v-none",
    };
}
