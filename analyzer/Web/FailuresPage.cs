using System.Globalization;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>
/// Inputs that could not be read, with why, newest first a page at a time, and their raw bytes to download (never
/// shown inline). The bytes are strangers' mail (returned messages, anything sent to the report address): downloading
/// them needs a signed-in user even where the pages are open to all, and every download is audited.
/// </summary>
internal static class FailuresPage
{
    public const int PageSize = 100;

    public static void Map(WebApplication app)
    {
        app.MapGet("/failures", async (HttpContext context, ServeOptions options, CancellationToken ct) =>
        {
            var before = long.TryParse(context.Request.Query["before"], NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : (long?)null;
            await using var store = await context.OpenStoreAsync(ct);
            var count = await store.Failures.CountAsync(ct);
            // One row more than shown tells whether an older page exists.
            var read = await store.Failures.NewestAsync(before, PageSize + 1, ct);
            var rows = read.Take(PageSize).ToList();
            var signedIn = IsSignedIn(context);
            var older = read.Count > PageSize
                ? $"<a href=\"/failures?before={rows[^1].Id.ToString(CultureInfo.InvariantCulture)}\" rel=\"next\">Older</a>" : "";
            var newest = before is null ? "" : "<a href=\"/failures\">Newest</a>";
            return Page(context, "Failures", $"<p>{N(count)} input{(count == 1 ? "" : "s")} could not be read. Their bytes are kept as they came" +
                (signedIn ? "." : "; sign in to download them.") + "</p>" +
                Table(["Id", "When (UTC)", "Size", "Source", "Reason", ""], rows.Select(f => new[]
                {
                    f.Id.ToString(CultureInfo.InvariantCulture), Time(f.Created), N(f.Size) + " B" + (f.RawTruncated ? " (prefix kept)" : ""),
                    E(f.Source), E(f.Reason), signedIn ? $"<a href=\"/failures/{f.Id.ToString(CultureInfo.InvariantCulture)}/raw\" download>download</a>" : "",
                })) +
                (older.Length + newest.Length == 0 ? "" : $"<p class=\"pages\">{newest} {older}</p>"));
        }).RequireAuthorization(DashboardServer.ReadPolicy);

        app.MapGet("/failures/{id:long}/raw", async (long id, HttpContext context, ServeOptions options, CancellationToken ct) =>
        {
            await using var store = await context.OpenStoreAsync(ct);
            if (await store.Failures.FindAsync(id, ct) is not { } failure)
                return NotFound(context, "No such failure.");
            await store.Audit.RecordAsync(options.Time.GetUtcNow(), UserName(context.User), "failure downloaded",
                id.ToString(CultureInfo.InvariantCulture), failure.Source, ct);
            context.Response.ContentType = "application/octet-stream";
            // The bytes are a stranger's: a fixed file name, never rendered by the browser.
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"failure-{id.ToString(CultureInfo.InvariantCulture)}.bin\"";
            await store.Failures.CopyRawAsync(id, context.Response.Body, ct);
            return Results.Empty;
        }).RequireAuthorization(DashboardServer.SignedInPolicy);
    }
}
