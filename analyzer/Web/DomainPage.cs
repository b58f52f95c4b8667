using System.Runtime.CompilerServices;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>
/// One policy domain: readiness and what to fix, the static report's charts (values on hover), senders by class,
/// sources, reporters, override reasons and raw results, the published records as checked now.
/// </summary>
internal static class DomainPage
{
    public const int SourcesShown = 100;

    public static void Map(WebApplication app) =>
        app.MapGet("/domain/{name}", async (string name, HttpContext context, ServeOptions options, AnalysisCache analyses, CancellationToken ct) =>
        {
            // Kestrel decodes every escape in the path but %2F; a domain from a report may hold a slash.
            name = name.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
            var period = Period.Of(context.Request);
            await using var store = await context.OpenStoreAsync(ct);
            var served = await ServerTiming.MeasureAsync(context, "analysis", () => analyses.GetAsync(store, period, name, ct));
            var analysis = served.Analysis;
            if (analysis.Domains.Count == 0)
                return NotFound(context, $"No reports for {name} in this period.");
            var d = analysis.Domains[0];
            var query = Period.Query(period);
            var r = d.Readiness;
            var charts = ServerTiming.Measure(context, "charts", () => DrawnCharts.GetValue(d, Draw));
            var reporters = ReporterIdentities.Of(await store.ReportAuth.ReportersAsync(period.FromUtc, period.ToUtcExclusive, d.Domain, ct))
                .GetValueOrDefault(d.Domain) ?? [];
            var body = PageAnalysis.Freshness(served) + Period.Picker(period, "/domain/" + Uri.EscapeDataString(d.Domain)) +
                "<section class=\"cards\">" +
                Card("Messages", N(d.Total.Volume)) + Card("DMARC pass", DomainCharts.Rate(d.Total.DmarcPassRate)) +
                Card("DKIM aligned", DomainCharts.Rate(d.Total.DkimAlignedRate)) + Card("SPF aligned", DomainCharts.Rate(d.Total.SpfAlignedRate)) +
                Card("Policy", E(d.Policy?.P is { } p ? "p=" + p : "unknown")) +
                Card("Readiness", $"<span class=\"badge {OverviewPage.Badge(r.Verdict)}\">{E(HtmlReport.VerdictText(r.Verdict))}</span>") +
                "</section>" +
                $"<section><h2>Next step</h2><p>{E(r.NextStep)}</p>" +
                (r.ToFix.Count == 0 ? "" : Table(["Sender to fix", "Failing messages", "Share of legitimate", "What to do"],
                    r.ToFix.Select(f => new[] { E(f.Name), N(f.Failing), f.ShareOfLegitimate is { } s ? Wording.Percent(s) : "n/a", E(f.Advice) }))) +
                "<ul class=\"notes\">" + string.Concat(r.Notes.Select(n => $"<li>{E(n)}</li>")) + "</ul></section>" +
                "<section class=\"charts\"><h2>Charts</h2>" +
                charts + "</section>" +
                "<section><h2>Senders by class</h2>" +
                Table(["Sender", "Known", "Sources", "Messages", "Aligned", "Authorised failing", "Forwarded", "Unknown failing"],
                    d.Senders.Select(s => new[]
                    {
                        E(s.Name), s.Known ? "yes" : "no", N(s.Sources), N(s.Tally.Volume), N(s.Tally.Of(SenderClass.Aligned)),
                        N(s.Tally.Of(SenderClass.AuthorisedFailing)), N(s.Tally.Of(SenderClass.Forwarded)), N(s.Tally.Of(SenderClass.UnknownFailing)),
                    })) + "</section>" +
                "<section><h2>Sources</h2>" +
                Table(["Address", "Name", "Sender", "Messages", "DMARC pass"],
                    d.Sources.Take(SourcesShown).Select(s => new[]
                    {
                        $"<a href=\"/source/{U(s.Ip)}{query}\">{E(s.Ip)}</a>", E(s.PtrName ?? "—"), E(s.Sender), N(s.Tally.Volume),
                        DomainCharts.Rate(s.Tally.DmarcPassRate),
                    })) +
                (d.Sources.Count > SourcesShown ? $"<p class=\"muted\">The {SourcesShown} busiest of {N(d.Sources.Count)} listed sources are shown.</p>" : "") +
                "</section>" + Reporters(reporters, d.Reporters) + "<section class=\"split\">" +
                Counts("Override reasons", d.OverrideReasons, E) + Counts("Dispositions", d.Dispositions, E) +
                Counts("SPF results", d.SpfResults, E) + Counts("DKIM results", d.DkimResults, E) + "</section>" +
                await PublishedRecordsSection.RenderAsync(options.Records, d.Domain, ct) +
                $"<p><a href=\"/tls?domain={U(d.Domain)}{query.Replace("?", "&amp;")}\">TLS reports</a> · " +
                $"<a href=\"/failure-reports?domain={U(d.Domain)}{query.Replace("?", "&amp;")}\">Failure reports</a> of {E(d.Domain)}</p>";
            return Page(context, d.Domain, body);
        }).RequireAuthorization(DashboardServer.ReadPolicy);

    /// <summary>
    /// The charts drawn for a domain's analysis, kept as long as the analysis is (<see cref="AnalysisCache"/> holds it):
    /// drawing them is most of a repeated page's time, and they are the same for every user.
    /// </summary>
    private static readonly ConditionalWeakTable<DomainAnalysis, string> DrawnCharts = new();

    private static string Draw(DomainAnalysis d) =>
        string.Concat(DomainCharts.Of(d).Select(c => $"<figure>{HtmlReport.Picture(RenderedChart.Of(c))}</figure>"));

    /// <summary>
    /// Every reporter of the period with what its report mail's DKIM showed (red-team F9): the signer beside a name it is not
    /// the domain of, and in plain words why one is not shown to be who it says.
    /// </summary>
    private static string Reporters(IReadOnlyList<ReporterIdentity> reporters, IReadOnlyList<NamedCount> messages)
    {
        var byName = messages.ToDictionary(m => m.Name, m => m.Count, StringComparer.Ordinal);
        return "<section><h2>Reporters</h2>" +
            Table(["Reporter", "Reports", "Messages", "Not shown to be from it", "Report mail"], reporters.Select(r => new[]
            {
                $"<a href=\"/search?q={U(r.Reporter)}\">{E(r.Label)}</a>", N(r.Reports), byName.TryGetValue(r.Reporter, out var n) ? N(n) : "—",
                N(r.Unverified), E(r.MailText),
            })) + "</section>";
    }

    private static string Card(string label, string value) => $"<div class=\"card\"><div class=\"label\">{E(label)}</div><div class=\"value\">{value}</div></div>";

    private static string Counts(string title, IReadOnlyList<NamedCount> counts, Func<string, string> name) =>
        $"<div><h2>{E(title)}</h2>" + Table(["", "Messages"], counts.Select(c => new[] { name(c.Name), N(c.Count) })) + "</div>";
}
