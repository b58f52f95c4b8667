using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>Search by IP (or its start), domain, PTR name, reporter or report id.</summary>
internal static class SearchPage
{
    public const int MaxQueryLength = 256;

    public static void Map(WebApplication app) =>
        app.MapGet("/search", async (HttpContext context, string? q, CancellationToken ct) =>
        {
            var text = (q ?? "").Trim();
            var form = "<form method=\"get\" action=\"/search\" class=\"period\">" +
                       $"<label>Search <input type=\"search\" name=\"q\" value=\"{E(text)}\" maxlength=\"{MaxQueryLength}\"></label><button type=\"submit\">Search</button></form>";
            if (text.Length is 0 or > MaxQueryLength)
                return Page(context, "Search", form);
            await using var store = await context.OpenStoreAsync(ct);
            var hits = await store.Search.FindAsync(text, ct);
            var body = form +
                "<section><h2>Domains</h2>" + Table(["Domain"], hits.Domains.Select(d => new[] { $"<a href=\"/domain/{U(d)}\">{E(d)}</a>" })) + "</section>" +
                "<section><h2>Sources</h2>" + Table(["Address", "Name"], hits.Sources.Select(s => new[]
                    { $"<a href=\"/source/{U(s.Ip)}\">{E(s.Ip)}</a>", E(s.PtrName ?? "—") })) + "</section>" +
                "<section><h2>Reports</h2>" + Table(["Begins", "Reporter", "Report id", "Domain"], hits.Reports.Select(r => new[]
                    { Day(r.Begin), E(r.Reporter), $"<a href=\"/report/{r.Id}\">{E(r.ReportId)}</a>", $"<a href=\"/domain/{U(r.Domain)}\">{E(r.Domain)}</a>" })) +
                "</section>";
            return Page(context, "Search: " + text, body);
        }).RequireAuthorization(DashboardServer.ReadPolicy);
}
