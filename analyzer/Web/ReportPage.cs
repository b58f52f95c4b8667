using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>One stored aggregate report: who sent it, for which domain and period, and its records.</summary>
internal static class ReportPage
{
    public static void Map(WebApplication app) =>
        app.MapGet("/report/{id:long}", async (long id, HttpContext context, CancellationToken ct) =>
        {
            await using var store = await context.OpenStoreAsync(ct);
            if (await store.ReportDetails.FindAsync(id, ct) is not { } r)
                return NotFound(context, "No such report.");
            var body = "<dl class=\"facts\">" +
                $"<dt>Reporter</dt><dd>{E(Reporter(r))}{(r.Email is null ? "" : $" &lt;{E(r.Email)}&gt;")}</dd>" +
                $"<dt>Report mail</dt><dd>{E(MailText(r))}</dd>" +
                $"<dt>Report id</dt><dd>{E(r.ReportId)}</dd>" +
                $"<dt>Domain</dt><dd><a href=\"/domain/{U(r.Domain)}\">{E(r.Domain)}</a></dd>" +
                $"<dt>Period</dt><dd>{Time(r.Begin)} to {Time(r.End)} UTC</dd>" +
                $"<dt>Policy</dt><dd>p={E(r.P ?? "?")} sp={E(r.Sp ?? "?")} np={E(r.Np ?? "?")}</dd>" +
                $"<dt>Read from</dt><dd>{E(r.Source)}</dd></dl>" +
                Table(["Source", "Messages", "Disposition", "DKIM", "SPF", "Header From", "DKIM domain", "SPF domain"], r.Records.Select(x => new[]
                {
                    $"<a href=\"/source/{U(x.SourceIp)}\">{E(x.SourceIp)}</a>", N(x.Count), E(x.Disposition), E(x.DkimEval), E(x.SpfEval),
                    E(x.HeaderFrom), E(x.DkimDomain is null ? "—" : $"{x.DkimDomain} ({x.DkimResult})"), E(x.SpfDomain is null ? "—" : $"{x.SpfDomain} ({x.SpfResult})"),
                })) +
                (r.Records.Count == ReportDetailQueries.MaxRecords ? $"<p class=\"muted\">The first {ReportDetailQueries.MaxRecords} records by volume are shown.</p>" : "");
            return Page(context, $"Report {r.ReportId}", body);
        }).RequireAuthorization(DashboardServer.ReadPolicy);

    /// <summary>The reporter's name, with the domain that signed its verified report mail beside it when that is not the name's own.</summary>
    private static string Reporter(ReportDetail r) => r.Auth == ReportAuthVerdict.Verified
        ? ReportAuthentication.Label(r.Reporter, ReportAuthentication.SignersBeside(r.Reporter, (r.AuthDomains ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)))
        : r.Reporter;

    /// <summary>Whether the reporter is who it says (red-team F9), in plain words.</summary>
    private static string MailText(ReportDetail r)
    {
        var signers = r.AuthDomains is null ? "" : $" (signed by {r.AuthDomains})";
        return r.Auth switch
        {
            ReportAuthVerdict.Verified => $"DKIM-signed by its sender's domain{signers}",
            ReportAuthVerdict.NotMail => "read from a file: no mail to verify",
            var other => ReportAuthentication.Mark(other) + signers,
        };
    }
}
