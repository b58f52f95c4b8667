using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>Received mail as the milter judged it (its verdict log), with the static report's inbound charts.</summary>
internal static class InboundPage
{
    public static void Map(WebApplication app) =>
        app.MapGet("/inbound", async (HttpContext context, CancellationToken ct) =>
        {
            var period = Period.Of(context.Request);
            await using var store = await context.OpenStoreAsync(ct);
            var inbound = await InboundAnalyzer.AnalyzeAsync(store.Verdicts, period, ct);
            if (inbound is null)
                return Page(context, "Inbound", Period.Picker(period, "/inbound") + "<p>The milter has logged no verdicts in this period.</p>");
            var body = Period.Picker(period, "/inbound") +
                $"<p>{N(inbound.Total.Messages)} messages received.</p>" +
                "<section class=\"charts\">" + string.Concat(InboundCharts.Of(inbound).Select(c => $"<figure>{HtmlReport.Picture(RenderedChart.Of(c))}</figure>")) + "</section>" +
                "<section class=\"split\"><div><h2>Actions</h2>" + Table(["Action", "Messages"], inbound.Actions.Select(a => new[] { E(a.Name), N(a.Count) })) +
                "</div><div><h2>Forged From domains</h2>" + Table(["Domain", "Messages"], inbound.ForgedDomains.Select(a => new[] { E(a.Name), N(a.Count) })) +
                "</div></section>";
            return Page(context, "Inbound", body);
        }).RequireAuthorization(DashboardServer.ReadPolicy);
}
