using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>Inputs that could not be read, with why, and their raw bytes to download (never shown inline).</summary>
internal static class FailuresPage
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/failures", async (HttpContext context, ServeOptions options, CancellationToken ct) =>
        {
            await using var store = await Store.OpenAsync(options.Database, ct);
            var rows = await store.Failures.ListAsync(ct);
            return Page(context, "Failures", $"<p>{N(rows.Count)} inputs could not be read. Their bytes are kept as they came.</p>" +
                Table(["Id", "When (UTC)", "Size", "Source", "Reason", ""], rows.OrderByDescending(f => f.Id).Select(f => new[]
                {
                    f.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Time(f.Created), N(f.Size) + " B" + (f.RawTruncated ? " (prefix kept)" : ""),
                    E(f.Source), E(f.Reason), $"<a href=\"/failures/{f.Id}/raw\" download>download</a>",
                })));
        }).RequireAuthorization(DashboardServer.ReadPolicy);

        app.MapGet("/failures/{id:long}/raw", async (long id, HttpContext context, ServeOptions options, CancellationToken ct) =>
        {
            await using var store = await Store.OpenAsync(options.Database, ct);
            if (await store.Failures.FindAsync(id, ct) is null)
                return NotFound(context, "No such failure.");
            context.Response.ContentType = "application/octet-stream";
            // The bytes are a stranger's: a fixed file name, never rendered by the browser.
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"failure-{id}.bin\"";
            await store.Failures.CopyRawAsync(id, context.Response.Body, ct);
            return Results.Empty;
        }).RequireAuthorization(DashboardServer.ReadPolicy);
    }
}
