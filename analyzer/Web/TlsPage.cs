using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>The SMTP TLS reports of the period (RFC 8460), of one policy domain with <c>?domain=</c>, as the static report's section shows them.</summary>
internal static class TlsPage
{
    public static void Map(WebApplication app) =>
        app.MapGet("/tls", async (HttpContext context, string? domain, CancellationToken ct) =>
        {
            var period = Period.Of(context.Request);
            domain = string.IsNullOrWhiteSpace(domain) ? null : domain.Trim();
            await using var store = await context.OpenStoreAsync(ct);
            var tls = await TlsAnalyzer.AnalyzeAsync(store.TlsReports, period, domain, ct);
            var body = new StringBuilder(Period.Picker(period, "/tls", domain));
            if (tls is null)
                body.Append("<p>No SMTP TLS reports").Append(domain is null ? "" : " for " + E(domain)).Append(" in this period.</p>");
            else
                TlsSection.Append(body, tls);
            return Page(context, domain is null ? "TLS reports" : "TLS reports: " + domain, body.ToString());
        }).RequireAuthorization(DashboardServer.ReadPolicy);
}
