using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>
/// The DMARC failure reports of the period (RFC 6591), of one domain with <c>?domain=</c>: the static report's section,
/// addresses and subjects masked as it masks them unless <c>Analysis:ShowFailureReportDetails</c> is set.
/// </summary>
internal static class FailureReportsPage
{
    public static void Map(WebApplication app) =>
        app.MapGet("/failure-reports", async (HttpContext context, ServeOptions options, string? domain, CancellationToken ct) =>
        {
            var period = Period.Of(context.Request);
            domain = string.IsNullOrWhiteSpace(domain) ? null : domain.Trim();
            await using var store = await context.OpenStoreAsync(ct);
            var reports = await FailureReportAnalyzer.AnalyzeAsync(store.FailureReports, period, domain, options.ShowFailureReportDetails, ct);
            var body = new StringBuilder(Period.Picker(period, "/failure-reports", domain));
            if (reports is null)
                body.Append("<p>No failure reports").Append(domain is null ? "" : " about " + E(domain)).Append(" in this period.</p>");
            else
                FailureReportSection.Append(body, reports);
            return Page(context, domain is null ? "Failure reports" : "Failure reports: " + domain, body.ToString());
        }).RequireAuthorization(DashboardServer.ReadPolicy);
}
