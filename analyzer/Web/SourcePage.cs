using System.Net;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static DmarcAnalyzer.Web.Html;

namespace DmarcAnalyzer.Web;

/// <summary>
/// One source address: its name, whether it is a known sender, every report that mentions it by reporter and day,
/// the DKIM domains and selectors and SPF domains reported for it, and what to do about it.
/// </summary>
internal static class SourcePage
{
    public static void Map(WebApplication app) =>
        app.MapGet("/source/{ip}", async (string ip, HttpContext context, ServeOptions options, CancellationToken ct) =>
        {
            if (!IPAddress.TryParse(ip, out var address))
                return NotFound(context, "Not an IP address; use the search for names and domains.");
            var period = Period.Of(context.Request);
            await using var store = await context.OpenStoreAsync(ct);
            var facts = await store.Sources.ForAddressAsync(ip, period.FromUtc, period.ToUtcExclusive, ct);
            var known = (await PageAnalysis.KnownSendersAsync(options, store, ct)).Match(address, facts.PtrName);
            var baseName = facts.PtrName is null ? null : BaseDomain.Default.Of(facts.PtrName);
            var mark = known is null && IsAdmin(context) ? KnownSendersPage.MarkForm(context, ip, baseName) : "";
            var messages = facts.Totals.Messages;
            var passing = facts.Totals.DmarcPass;
            var query = Period.Query(period);
            var body = Period.Picker(period, "/source/" + Uri.EscapeDataString(ip)) +
                "<dl class=\"facts\">" +
                $"<dt>Reverse DNS</dt><dd>{E(facts.PtrName ?? "no confirmed name cached")}</dd>" +
                $"<dt>Base domain</dt><dd>{(baseName is null ? "—" : $"<a href=\"/search?q={U(baseName)}\">{E(baseName)}</a>")}</dd>" +
                $"<dt>Known sender</dt><dd>{(known is null ? "no" : $"<a href=\"/senders\">{E(known.Name)}</a>")}</dd>" +
                $"<dt>Messages</dt><dd>{N(messages)}, DMARC pass {N(passing)}</dd>" +
                $"<dt>First and last seen</dt><dd>{(facts.Totals is { First: { } first, Last: { } last } ? $"{first:yyyy-MM-dd} to {last:yyyy-MM-dd}" : "—")}</dd>" +
                "</dl>" +
                (facts.Totals.Capped
                    ? $"<p class=\"muted\">Its newest {N(SourceQueries.MaxRecords)} records in the period are summed here; pick a shorter period for older ones.</p>"
                    : "") +
                $"<section><h2>What to do</h2><p>{E(Advice(messages, passing, known is not null))}</p>{mark}</section>" +
                "<section><h2>By reporter and day</h2>" +
                Table(["Day", "Reporter", "Domain", "Messages", "DMARC pass", "Disposition"], facts.Days.Select(d => new[]
                {
                    d.Day.ToString("yyyy-MM-dd"), E(d.Reporter), $"<a href=\"/domain/{U(d.Domain)}{query}\">{E(d.Domain)}</a>",
                    N(d.Messages), N(d.DmarcPass), E(d.Dispositions),
                })) + "</section><section class=\"split\"><div><h2>DKIM</h2>" +
                Table(["Domain", "Selector", "Result", "Messages"], facts.Dkim.Select(a => new[] { E(a.Domain), E(a.Detail ?? "—"), E(a.Result), N(a.Messages) })) +
                "</div><div><h2>SPF</h2>" +
                Table(["Domain", "Scope", "Result", "Messages"], facts.Spf.Select(a => new[] { E(a.Domain), E(a.Detail ?? "—"), E(a.Result), N(a.Messages) })) +
                "</div></section><section><h2>Reports</h2>" +
                Table(["Begins", "Reporter", "Report id", "Domain", "Messages"], facts.Reports.Select(r => new[]
                {
                    Day(r.Begin), E(r.Reporter), $"<a href=\"/report/{r.Id}\">{E(r.ReportId)}</a>", E(r.Domain), N(r.Messages),
                })) + "</section>";
            return Page(context, ip, body);
        }).RequireAuthorization(DashboardServer.ReadPolicy);

    private static string Advice(long messages, long passing, bool known) =>
        messages == 0 ? "No reports mention this address in the period."
        : passing == messages ? "Every message from it passes DMARC: nothing to do."
        : known ? "A known sender failing DMARC: have it sign with DKIM for your domain (d= aligned) or use a bounce address in your domain that SPF lists."
        : passing > 0 ? "Passes sometimes and fails sometimes: if it is yours, list it as a known sender and find the stream that is not signed; if it is a forwarder, its failures are expected."
        : "Unknown and failing every time: if it is not yours, this is what p=quarantine and p=reject stop; if it is, list it as a known sender and align DKIM or SPF.";
}
