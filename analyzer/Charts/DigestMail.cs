using System.Globalization;
using System.IO.Compression;
using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Reports;
using MimeKit;
using MimeKit.Utils;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// A domain in the digest: its week, the sources it had this week and not the week before, and its SMTP TLS and failure
/// reports of the week (null when none).
/// </summary>
internal sealed record DigestDomain(DomainAnalysis Week, IReadOnlyList<SourceSummary> NewSources, TlsDomainAnalysis? Tls = null,
    FailureReportAnalysis? FailureReports = null);

/// <summary>One digest mail and the policy domains it tells about (none when the week had no report).</summary>
internal sealed record DigestMessage(MimeMessage Message, IReadOnlyList<string> Domains);

/// <summary>
/// The weekly policy-readiness digest as one mail (MimeKit's BodyBuilder): an HTML part built for mail clients (tables
/// with inline styles, at most <see cref="Width"/> px wide, no scripts, no SVG, nothing fetched, light colours set on
/// every cell so that dark-mode clients keep it readable), the charts as PNG parts referenced by Content-ID, a
/// plain-text part with the same verdicts, and the week's CSV tables attached as one zip.
/// </summary>
internal static class DigestMail
{
    public const int Width = 680;

    /// <summary>
    /// The charts' width in CSS pixels. A mail client shrinks an image to fit, text and all: drawn for the desktop's 640 px,
    /// chart text would be under 7 px on a 390 px phone (about 346 px for the image); drawn at 480 px it stays above 9 px
    /// there and is sharp (twice the density) at full size.
    /// </summary>
    public const int ChartWidth = 480;

    private const int Listed = 10;
    private const string Font = "font-family:'DejaVu Sans',Verdana,Arial,sans-serif;";

    // Long names (PTR names, advice) break anywhere rather than widen a table beyond a phone's screen; numbers do not break.
    private const string Cell = "padding:4px 8px;border-bottom:1px solid #d8d8d8;color:#1b1b1b;background:#ffffff;text-align:left;vertical-align:top;" +
        "overflow-wrap:anywhere;word-break:break-word;";
    private const string NumberCell = "padding:4px 8px;border-bottom:1px solid #d8d8d8;color:#1b1b1b;background:#ffffff;text-align:right;vertical-align:top;";
    private const string Number = "white-space:nowrap;";

    /// <summary>
    /// The digests of the week, one per set of recipients (<paramref name="to"/> when given, else
    /// <paramref name="recipients"/> per domain). Domains with no recipient get no mail.
    /// </summary>
    public static async Task<IReadOnlyList<DigestMessage>> ComposeAsync(WeeklyDigest week, DigestRecipients recipients, IReadOnlyList<MailboxAddress> to,
        DateTimeOffset generated, CancellationToken ct)
    {
        var current = week.Analysis;
        var groups = to.Count > 0
            ? [(to, current.Domains.Select(d => d.Domain).ToList())]
            : recipients.Group(current.Domains.Select(d => d.Domain));
        var messages = new List<DigestMessage>();
        foreach (var (addresses, domains) in groups)
        {
            var part = current with { Domains = current.Domains.Where(d => domains.Contains(d.Domain)).ToList() };
            var digest = part.Domains.Select(d => new DigestDomain(d, week.NewSourcesByDomain.GetValueOrDefault(d.Domain, []),
                week.TlsByDomain.GetValueOrDefault(d.Domain), week.FailureReportsByDomain.GetValueOrDefault(d.Domain))).ToList();
            messages.Add(new DigestMessage(Build(week.Week, digest, part.Inbound, addresses, await CsvZipAsync(part, ct), generated),
                part.Domains.Select(d => d.Domain).ToList()));
        }
        return messages;
    }

    public static MimeMessage Build(IsoWeek week, IReadOnlyList<DigestDomain> domains, InboundAnalysis? inbound, IEnumerable<MailboxAddress> to,
        byte[] csvZip, DateTimeOffset generated)
    {
        var message = new MimeMessage();
        message.To.AddRange(to);
        message.Date = generated;
        message.Subject = SafeText.Line($"DMARC weekly digest {week}: " + string.Join(", ", domains.Select(d => $"{d.Week.Domain} {HtmlReport.VerdictText(d.Week.Readiness.Verdict)}")), 200);
        var body = new BodyBuilder();
        var html = new StringBuilder();
        var text = new StringBuilder();
        Open(html, week, generated);
        text.Append($"DMARC weekly digest, ISO week {week} ({Day(week.Monday)} to {Day(week.Sunday)})\n\n");
        if (domains.Count == 0)
        {
            html.Append(Paragraph("No aggregate reports arrived for this week."));
            text.Append("No aggregate reports arrived for this week.\n");
        }
        for (var i = 0; i < domains.Count; i++)
            Domain(html, text, body, domains[i], $"d{i + 1}");
        if (inbound is not null)
            Inbound(html, text, body, inbound);
        html.Append(Paragraph("The week's tables are attached as CSV files in one zip. Verdict: ready when at most " +
            Wording.Percent(PolicyReadiness.ReadyShare) + " of legitimate mail fails DMARC, nearly up to " +
            Wording.Percent(PolicyReadiness.NearlyShare) + ", not ready above.", "#555555"));
        html.Append("</td></tr></table></td></tr></table></body></html>\n");
        body.HtmlBody = html.ToString();
        body.TextBody = text.ToString();
        body.Attachments.Add($"dmarc-{week}.zip", csvZip, new ContentType("application", "zip"));
        message.Body = body.ToMessageBody();
        return message;
    }

    private static void Open(StringBuilder html, IsoWeek week, DateTimeOffset generated) =>
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta name=\"color-scheme\" content=\"light only\"><meta name=\"supported-color-schemes\" content=\"light\">")
            .Append($"<title>DMARC weekly digest {week}</title></head>")
            .Append($"<body style=\"margin:0;padding:0;background:#f4f5f7;{Font}\">")
            .Append("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f4f5f7;\"><tr><td align=\"center\" style=\"padding:16px 8px;\">")
            .Append($"<table role=\"presentation\" width=\"{Width}\" cellpadding=\"0\" cellspacing=\"0\" style=\"width:100%;max-width:{Width}px;background:#ffffff;color:#1b1b1b;border:1px solid #d8d8d8;\">")
            .Append($"<tr><td style=\"padding:16px 12px;background:#ffffff;color:#1b1b1b;{Font}font-size:15px;line-height:1.45;overflow-wrap:anywhere;\">")
            .Append($"<h1 style=\"margin:0 0 4px;font-size:22px;color:#1b1b1b;\">DMARC weekly digest</h1>")
            .Append(Paragraph($"ISO week {week} ({Day(week.Monday)} to {Day(week.Sunday)}) · generated {generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}", "#555555"));

    private static void Domain(StringBuilder html, StringBuilder text, BodyBuilder body, DigestDomain digest, string imagePrefix)
    {
        var d = digest.Week;
        var r = d.Readiness;
        var (colour, word) = Verdict(r.Verdict);
        html.Append($"<h2 style=\"margin:24px 0 4px;font-size:19px;color:#1b1b1b;border-bottom:2px solid #d8d8d8;\">{E(d.Domain)}</h2>")
            .Append($"<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td style=\"border-left:6px solid {colour};background:#f4f5f7;color:#1b1b1b;padding:8px 12px;\">")
            .Append($"<b style=\"color:{colour};\">Verdict: {E(word)}.</b> {E(r.NextStep)}<br>")
            .Append($"<span style=\"color:#555555;\">{Count(d.Total.Volume)} messages, DMARC pass {E(DomainCharts.Rate(d.Total.DmarcPassRate))}, published p={E(d.Policy?.P ?? "unknown")}</span>")
            .Append("</td></tr></table>");
        text.Append($"== {SafeText.Line(d.Domain)} ==\nVerdict: {word}. {r.NextStep}\n")
            .Append($"{Count(d.Total.Volume)} messages, DMARC pass {DomainCharts.Rate(d.Total.DmarcPassRate)}, published p={d.Policy?.P ?? "unknown"}\n");
        if (r.Notes.Count > 0)
        {
            html.Append("<ul style=\"margin:8px 0;padding-left:20px;color:#1b1b1b;\">");
            foreach (var note in r.Notes)
            {
                html.Append($"<li style=\"margin:2px 0;\">{E(note)}</li>");
                text.Append($"  * {SafeText.Line(note)}\n");
            }
            html.Append("</ul>");
        }

        Table(html, "Legitimate mail each step would hit", ["policy", "messages hit", "share of legitimate mail"],
            r.Impacts.Select(i => (string[])["p=" + i.Policy, Count(i.Quarantined + i.Rejected), DomainCharts.Rate(i.ShareOfLegitimate)]));
        text.Append("Legitimate mail each step would hit: ")
            .AppendJoin("; ", r.Impacts.Select(i => $"p={i.Policy} {Count(i.Quarantined + i.Rejected)} ({DomainCharts.Rate(i.ShareOfLegitimate)})")).Append('\n');

        if (r.ToFix.Count > 0)
        {
            Table(html, "Senders to fix, biggest first", ["sender", "failing", "what to fix"],
                r.ToFix.Take(Listed).Select(f => (string[])[f.Name, Count(f.Failing), f.Advice]));
            text.Append("Senders to fix, biggest first:\n");
            foreach (var f in r.ToFix.Take(Listed))
                text.Append($"  - {SafeText.Line(f.Name)}: {Count(f.Failing)} failing. {SafeText.Line(f.Advice)}\n");
        }
        if (digest.NewSources.Count > 0)
        {
            Table(html, "New sources since last week", ["source", "sender", "messages", "DMARC pass"],
                digest.NewSources.Take(Listed).Select(s => (string[])[s.PtrName is null ? s.Ip : $"{s.Ip} ({s.PtrName})", s.Sender, Count(s.Tally.Volume), DomainCharts.Rate(s.Tally.DmarcPassRate)]));
            text.Append("New sources since last week:\n");
            foreach (var s in digest.NewSources.Take(Listed))
                text.Append($"  - {SafeText.Line(s.Ip)} {SafeText.Line(s.PtrName ?? "")} ({SafeText.Line(s.Sender)}): {Count(s.Tally.Volume)} messages, DMARC pass {DomainCharts.Rate(s.Tally.DmarcPassRate)}\n");
        }
        if (digest.Tls is { } tls)
            Tls(html, text, tls);
        if (digest.FailureReports is { } failures)
            FailureReports(html, text, failures);
        // The failing-senders chart only when someone failed: an empty chart says nothing the verdict does not.
        foreach (var chart in DomainCharts.Of(d).Where(c => c.Name is "volume" || (c.Name is "failing-senders" && d.Total.Failing > 0)))
            Image(html, body, chart, imagePrefix);
        text.Append('\n');
    }

    /// <summary>The week's SMTP TLS reports (RFC 8460) of the domain: sessions, success, the causes and hosts of failures, and no-policy-found.</summary>
    private static void Tls(StringBuilder html, StringBuilder text, TlsDomainAnalysis tls)
    {
        var line = $"{Count(tls.Total.Total)} TLS sessions reported, {DomainCharts.Rate(tls.Total.SuccessRate)} successful, {Count(tls.Total.Failed)} failed";
        html.Append($"<p style=\"margin:14px 0 2px;font-weight:bold;color:#1b1b1b;\">SMTP TLS reports</p>").Append(Paragraph(line));
        text.Append($"SMTP TLS reports: {line}\n");
        if (tls.NoPolicySessions > 0)
        {
            var advice = $"{Count(tls.NoPolicySessions)} sessions found no MTA-STS policy nor DANE records: publishing an MTA-STS policy (RFC 8461), " +
                         "first in mode testing, is the next step.";
            html.Append(Paragraph(advice, "#8a5a00"));
            text.Append($"  * {advice}\n");
        }
        if (tls.ResultTypes.Count > 0)
        {
            Table(html, "Failed TLS sessions by result type", ["result type", "failed sessions"],
                tls.ResultTypes.Take(Listed).Select(c => (string[])[c.Name, Count(c.Count)]));
            text.Append("  Failed by result type: ").AppendJoin("; ", tls.ResultTypes.Take(Listed).Select(c => $"{SafeText.Clean(c.Name)} {Count(c.Count)}")).Append('\n');
        }
        if (tls.FailingMxHosts.Count > 0)
        {
            Table(html, "MX hosts with failed TLS sessions", ["MX host", "failed sessions"],
                tls.FailingMxHosts.Take(Listed).Select(c => (string[])[c.Name, Count(c.Count)]));
            text.Append("  Failing MX hosts: ").AppendJoin("; ", tls.FailingMxHosts.Take(Listed).Select(c => $"{SafeText.Clean(c.Name)} {Count(c.Count)}")).Append('\n');
        }
    }

    /// <summary>The week's DMARC failure reports (RFC 9991) about the domain, as counts: the digest shows no address or subject of them.</summary>
    private static void FailureReports(StringBuilder html, StringBuilder text, FailureReportAnalysis failures)
    {
        var line = $"{Count(failures.Total)} failure report{(failures.Total == 1 ? "" : "s")} arrived";
        html.Append($"<p style=\"margin:14px 0 2px;font-weight:bold;color:#1b1b1b;\">Failure reports</p>").Append(Paragraph(line));
        text.Append($"Failure reports: {line}\n");
        Table(html, "Failure reports by failed check and by source", ["failed check or source", "reports"],
            failures.AuthFailures.Take(Listed).Select(c => (string[])["failed: " + c.Name, Count(c.Count)])
                .Concat(failures.Sources.Take(Listed).Select(c => (string[])["source " + c.Name, Count(c.Count)])));
        text.Append("  By failed check: ").AppendJoin("; ", failures.AuthFailures.Take(Listed).Select(c => $"{SafeText.Clean(c.Name)} {Count(c.Count)}")).Append('\n')
            .Append("  By source: ").AppendJoin("; ", failures.Sources.Take(Listed).Select(c => $"{SafeText.Clean(c.Name)} {Count(c.Count)}")).Append('\n');
    }

    private static void Inbound(StringBuilder html, StringBuilder text, BodyBuilder body, InboundAnalysis inbound)
    {
        var t = inbound.Total;
        var line = $"{Count(t.Messages)} messages received; DMARC pass {DomainCharts.Rate(InboundCharts.PassRate(t.Dmarc, t.Messages))}, " +
                   $"DKIM pass {DomainCharts.Rate(InboundCharts.PassRate(t.Dkim, t.Messages))}, SPF pass {DomainCharts.Rate(InboundCharts.PassRate(t.Spf, t.Messages))}";
        html.Append("<h2 style=\"margin:24px 0 4px;font-size:19px;color:#1b1b1b;border-bottom:2px solid #d8d8d8;\">Received mail (milter)</h2>")
            .Append(Paragraph(line));
        text.Append($"== Received mail (milter) ==\n{line}\n");
        if (inbound.ForgedDomains.Count > 0)
        {
            Table(html, "Top forged From domains", ["From domain", "messages"], inbound.ForgedDomains.Take(Listed).Select(f => (string[])[f.Name, Count(f.Count)]));
            text.Append("Top forged From domains: ").AppendJoin("; ", inbound.ForgedDomains.Take(Listed).Select(f => $"{SafeText.Line(f.Name)} {Count(f.Count)}")).Append('\n');
        }
        Image(html, body, InboundCharts.Of(inbound)[0], "inbound");
    }

    /// <summary>A chart as an inline PNG part, referenced from the HTML by its Content-ID.</summary>
    private static void Image(StringBuilder html, BodyBuilder body, Chart chart, string prefix)
    {
        var (png, width, height) = ChartRenderer.Png(chart, ChartWidth);
        var part = body.LinkedResources.Add($"{prefix}-{chart.Name}.png", png, new ContentType("image", "png"));
        part.ContentId = MimeUtils.GenerateMessageId();
        html.Append($"<p style=\"margin:14px 0;\"><img src=\"cid:{part.ContentId}\" width=\"{width}\" height=\"{height}\" alt=\"{E(chart.AltText)}\" ")
            .Append("style=\"display:block;width:100%;max-width:").Append(width).Append("px;height:auto;border:1px solid #d8d8d8;\"></p>");
    }

    /// <summary>A table; cells are plain text and are escaped here.</summary>
    private static void Table(StringBuilder html, string caption, string[] headers, IEnumerable<string[]> rows)
    {
        html.Append($"<p style=\"margin:14px 0 2px;font-weight:bold;color:#1b1b1b;\">{E(caption)}</p>")
            .Append("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;font-size:14px;\"><tr>");
        for (var i = 0; i < headers.Length; i++)
            html.Append($"<th style=\"{(i == 0 || headers[i] is "what to fix" or "sender" ? Cell : NumberCell)}font-weight:bold;\">{E(headers[i])}</th>");
        html.Append("</tr>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Length; i++)
                html.Append($"<td style=\"{(i == 0 || headers[i] is "what to fix" or "sender" ? Cell : NumberCell + Number)}\">{E(row[i])}</td>");
            html.Append("</tr>");
        }
        html.Append("</table>");
    }

    private static string Paragraph(string text, string colour = "#1b1b1b") => $"<p style=\"margin:8px 0;color:{colour};\">{E(text)}</p>";

    /// <summary>Verdict colours dark enough on white (WCAG AA) in every client, dark mode or not.</summary>
    private static (string Colour, string Word) Verdict(Verdict v) => v switch
    {
        Analysis.Verdict.Ready => ("#0b6e4f", HtmlReport.VerdictText(v)),
        Analysis.Verdict.Nearly => ("#8a5a00", HtmlReport.VerdictText(v)),
        Analysis.Verdict.NotReady => ("#b3261e", HtmlReport.VerdictText(v)),
        _ => ("#555555", HtmlReport.VerdictText(v)),
    };

    /// <summary>The CSV tables of the week in one zip, written through a temporary folder that is removed after.</summary>
    public static async Task<byte[]> CsvZipAsync(ReportAnalysis analysis, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("dmarc-digest-");
        try
        {
            var files = await CsvTables.WriteAsync(analysis, folder.FullName, ct);
            using var zip = new MemoryStream();
            await using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var file in files)
                    await archive.CreateEntryFromFileAsync(file, Path.GetFileName(file), CompressionLevel.Optimal, ct);
            }
            return zip.ToArray();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string E(string? text) => HtmlReport.E(text);

    private static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
