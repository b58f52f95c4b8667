using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>The audit trail, for administrators: who did what, when.</summary>
internal static class AuditPage
{
    public const int Shown = 500;

    public static void Map(WebApplication app) =>
        app.MapGet("/audit", async (HttpContext context, CancellationToken ct) =>
        {
            await using var store = await context.OpenStoreAsync(ct);
            var rows = await store.Audit.NewestAsync(Shown, ct);
            return Page(context, "Audit", Table(["When (UTC)", "Who", "What", "Subject", "Detail"],
                rows.Select(a => new[] { Time(a.Time), E(a.Actor), E(a.Action), E(a.Subject), E(a.Detail ?? "") })));
        }).RequireAuthorization(DashboardServer.AdminPolicy);
}
