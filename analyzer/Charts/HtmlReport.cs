using System.Globalization;
using System.Net;
using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Charts;

/// <summary>A domain's part of the page: its analysis, its charts and the file stem its SVGs were written under.</summary>
internal sealed record DomainPage(DomainAnalysis Analysis, string Slug, IReadOnlyList<RenderedChart> Charts);

/// <summary>
/// The self-contained weekly report page: inline CSS and the charts' SVG as data: URLs (each its own document, so
/// the ids ScottPlot writes cannot collide), no scripts, fonts or anything fetched, so it opens offline and from a
/// mail attachment. Every string that came from a report goes through <see cref="E"/> (HTML-encoded after
/// <see cref="SafeText.Clean"/>); ScottPlot escapes the SVGs.
/// </summary>
internal static class HtmlReport
{
    public const int SourcesShown = 30;

    /// <summary>Columns that fit a phone's width side by side; wider tables reflow there.</summary>
    private const int NarrowColumns = 3;

    /// <summary>The file stem of the inbound section's charts (a domain slug cannot start with "_").</summary>
    public const string InboundSlug = "_inbound";

    public static string Render(ReportAnalysis analysis, IReadOnlyList<DomainPage> pages, IReadOnlyList<string> files, DateTimeOffset generated,
        IReadOnlyList<RenderedChart>? inboundCharts = null)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"color-scheme\" content=\"light dark\">\n")
            .Append("<title>DMARC policy readiness</title>\n<style>").Append(PageCss).Append("</style>\n</head>\n<body>\n<main>\n");
        html.Append("<h1>DMARC policy readiness</h1>\n<p class=\"meta\">")
            .Append(E(PeriodText(analysis))).Append(" · generated ")
            .Append(E(generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)))
            .Append("</p>\n");

        if (pages.Count == 0)
        {
            html.Append("<p class=\"empty\">No aggregate reports in the store for ")
                .Append(analysis.DomainFilter is { } d ? "the domain " + E(d) + " in " : "")
                .Append("this period. Ingest reports with <code>dmarc ingest</code>, or choose another period.</p>\n");
        }
        else
        {
            if (analysis.KnownSendersListed == 0)
                html.Append("<div class=\"notice\"><p><b>No known senders are configured.</b> <code>Analysis:KnownSenders</code> is empty, so no mail that fails DMARC ")
                    .Append("can be told to come from your own servers or the services you use: all of it counts as unknown failing (probably spoofing), ")
                    .Append("and there is no list of senders to fix. List them in the configuration (<code>samples/dmarc.json</code> shows how) and run the report again. ")
                    .Append("Until then, senders that sign with a DKIM domain of their own and send steadily are shown as <b>unrecognised sender, probably a service you use</b>.</p></div>\n");
            if (analysis.ReverseDnsTrouble is { } trouble)
                html.Append("<p class=\"note\">Reverse DNS is unavailable (").Append(E(trouble))
                    .Append("): sources are shown by address, with only the names cached by earlier runs.</p>\n");
            Overview(html, pages, analysis.OmittedDomains);
            for (var i = 0; i < pages.Count; i++)
                Domain(html, pages[i], i, analysis.KnownSendersListed > 0, analysis.Reporters.GetValueOrDefault(pages[i].Analysis.Domain) ?? []);
        }
        if (analysis.Inbound is { } inbound)
            Inbound(html, inbound, inboundCharts ?? []);
        if (analysis.Tls is { } tls)
            TlsSection.Append(html, tls);
        if (analysis.FailureReports is { } failureReports)
            FailureReportSection.Append(html, failureReports);

        html.Append("<footer>\n<h2>How to read this report</h2>\n<ul>\n")
            .Append("<li><b>DMARC pass</b>: aligned DKIM or aligned SPF passed, as the receivers evaluated it (RFC 9989).</li>\n")
            .Append("<li><b>aligned</b>: passes DMARC. <b>authorised but failing</b>: fails, from a sender listed under <code>Analysis:KnownSenders</code> in the configuration. ")
            .Append("<b>forwarded</b>: fails, and the receiver reported forwarding or a mailing list, or SPF failed while a DKIM signature of the From domain verified. ")
            .Append("<b>known service, not authorised</b>: fails, from a service the catalogue knows (an ESP, CRM or helpdesk) that the configuration does not list: probably a department's own account, not spoofing. ")
            .Append("<b>unknown failing</b>: everything else that fails, probably spoofing, or a sender of yours nobody has listed yet.</li>\n")
            .Append("<li><b>Legitimate mail</b> is everything but unknown failing. Verdict: <b>ready</b> when at most ")
            .Append(E(Wording.Percent(PolicyReadiness.ReadyShare))).Append(" of it fails DMARC, <b>nearly</b> up to ")
            .Append(E(Wording.Percent(PolicyReadiness.NearlyShare))).Append(", <b>not ready</b> above; when only forwarded mail fails, up to ")
            .Append(E(Wording.Percent(PolicyReadiness.NearlyShare))).Append(" is ready, as nothing can be fixed at the sender.</li>\n")
            .Append("<li><b>unrecognised sender</b>: unknown failing, but it signs with a DKIM domain of its own on at least ")
            .Append(StoreAnalyzer.SteadyDays).Append(" days, as a service you use would; it is counted neither as legitimate nor as spoofing.</li>\n")
            .Append("<li><b>Reporters</b>: a report names its reporter itself, and anyone can send a report in a mailbox provider's name. ")
            .Append("<b>not shown to be from it</b>: reports that arrived in mail not DKIM-signed by the sender's own domain ")
            .Append("(the mail's From, and the report's own email address); <code>Analysis:RequireVerifiedReports</code> keeps such reports out. ")
            .Append("A signature proves the domain that signed, not the name: when that domain is not the name's own, it is shown beside the name ")
            .Append("(\"signed by …\"). Reports read from files are not marked.</li>\n")
            .Append("<li>A report's messages are counted on the UTC day its period begins; weeks are ISO weeks (Monday to Sunday).</li>\n")
            .Append("<li>Source names are forward-confirmed reverse DNS names; an address without one is shown alone. ")
            .Append("Services come from the built-in service catalogue (and <code>Enrichment:Services</code>); networks and countries from the databases ")
            .Append("<code>Enrichment:AsnDatabase</code> and <code>Enrichment:CountryDatabase</code> when configured.</li>\n</ul>\n");
        if (files.Count > 0)
        {
            html.Append("<p>Files: ");
            html.AppendJoin(" · ", files.Select(f => $"<a href=\"{E(f)}\">{E(f)}</a>"));
            html.Append("</p>\n");
        }
        html.Append("</footer>\n</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Overview(StringBuilder html, IReadOnlyList<DomainPage> pages, int omitted)
    {
        html.Append("<div class=\"scroll\"><table class=\"overview wide\">\n<caption>Domains in this report</caption>\n<thead><tr><th scope=\"col\">domain</th><th scope=\"col\">published p</th>")
            .Append("<th scope=\"col\" class=\"num\">messages</th><th scope=\"col\" class=\"num\">DMARC pass</th><th scope=\"col\">verdict</th></tr></thead>\n<tbody>\n");
        for (var i = 0; i < pages.Count; i++)
        {
            var d = pages[i].Analysis;
            html.Append($"<tr><td data-label=\"domain\"><a href=\"#domain-{i + 1}\">{E(d.Domain)}</a></td><td data-label=\"published p\">{E(d.Policy?.P ?? "unknown")}</td>")
                .Append($"<td class=\"num\" data-label=\"messages\">{Count(d.Total.Volume)}</td><td class=\"num\" data-label=\"DMARC pass\">{E(DomainCharts.Rate(d.Total.DmarcPassRate))}</td>")
                .Append($"<td data-label=\"verdict\">{Verdict(d.Readiness.Verdict)}</td></tr>\n");
        }
        html.Append("</tbody>\n</table></div>\n");
        if (omitted > 0)
            html.Append($"<p class=\"note\">{omitted} more domains with less mail are left out; use <code>--domain</code> to see one of them.</p>\n");
    }

    private static void Domain(StringBuilder html, DomainPage page, int index, bool knownSendersListed, IReadOnlyList<ReporterIdentity> reporters)
    {
        var d = page.Analysis;
        var r = d.Readiness;
        html.Append($"<section id=\"domain-{index + 1}\">\n<h2>{E(d.Domain)}</h2>\n");
        html.Append("<p class=\"meta\">Published policy (newest report): ")
            .Append(E(d.Policy is null ? "unknown" : $"p={d.Policy.P ?? "?"}; sp={d.Policy.Sp ?? "(as p)"}; np={d.Policy.Np ?? "(as sp)"}"))
            .Append(" · days with data: ").Append(Count(d.Days.Count)).Append("</p>\n");

        html.Append("<div class=\"cards\">\n");
        Card(html, "messages", Count(d.Total.Volume));
        Card(html, "DMARC pass", E(DomainCharts.Rate(d.Total.DmarcPassRate)));
        Card(html, "aligned DKIM pass", E(DomainCharts.Rate(d.Total.DkimAlignedRate)));
        Card(html, "aligned SPF pass", E(DomainCharts.Rate(d.Total.SpfAlignedRate)));
        html.Append("</div>\n");

        html.Append($"<div class=\"verdict {VerdictCss(r.Verdict)}\"><p><b>Verdict: {E(VerdictText(r.Verdict))}.</b> {E(r.NextStep)}</p>\n");
        if (r.Gain.Length > 0)
            html.Append($"<p>{E(r.Gain)}</p>\n");
        html.Append("<ul>\n");
        foreach (var note in r.Notes)
            html.Append($"<li>{E(note)}</li>\n");
        html.Append("</ul>\n</div>\n");
        ReportersTable(html, reporters, d.Reporters);

        Table(html, "Legitimate mail a policy would hit, had it been published over this period", ["policy", "quarantined", "rejected", "share of legitimate mail"],
            r.Impacts.Select(i => (string[])[E("p=" + i.Policy), Count(i.Quarantined), Count(i.Rejected), E(DomainCharts.Rate(i.ShareOfLegitimate))]), [false, true, true, true]);

        if (r.ToFix.Count > 0)
            Table(html, "Senders to fix, biggest first", ["sender", "failing messages", "share of legitimate mail", "what to fix"],
                r.ToFix.Take(50).Select(f => (string[])[E(f.Name), Count(f.Failing), E(DomainCharts.Rate(f.ShareOfLegitimate)), E(f.Advice)]), [false, true, true, false]);
        else if (r.Verdict != Analysis.Verdict.NoData && knownSendersListed)
            html.Append("<p>No sender listed under <code>Analysis:KnownSenders</code> fails DMARC.</p>\n");
        if (r.Unrecognised.Count > 0)
            Table(html, "Unrecognised senders, probably services you use", ["sender", "failing messages", "share of all mail", "what to do"],
                r.Unrecognised.Take(50).Select(u => (string[])[E(u.Name), Count(u.Failing), E(DomainCharts.Rate(u.ShareOfAll)), E(u.Advice)]), [false, true, true, false]);

        foreach (var chart in page.Charts)
            Figure(html, page.Slug, chart);

        Table(html, "Classification", ["class", "messages", "share"],
            SenderClasses.All.Select(c => (string[])[E(c.Label()), Count(d.Total.Of(c)), E(Share(d.Total.Of(c), d.Total.Volume))]), [false, true, true]);
        Table(html, "By ISO week", ["week", "messages", "DMARC pass", "aligned DKIM", "aligned SPF", "authorised failing", "forwarded", "known service", "unknown failing"],
            d.Weeks.Select(w => (string[])[E(w.Week.ToString()), Count(w.Tally.Volume), E(DomainCharts.Rate(w.Tally.DmarcPassRate)),
                E(DomainCharts.Rate(w.Tally.DkimAlignedRate)), E(DomainCharts.Rate(w.Tally.SpfAlignedRate)),
                Count(w.Tally.Of(SenderClass.AuthorisedFailing)), Count(w.Tally.Of(SenderClass.Forwarded)), Count(w.Tally.Of(SenderClass.KnownService)),
                Count(w.Tally.Of(SenderClass.UnknownFailing))]),
            [false, true, true, true, true, true, true, true, true]);

        html.Append("<div class=\"columns\">\n");
        Counts(html, "Raw SPF results (messages)", d.SpfResults);
        Counts(html, "Raw DKIM results (signatures × messages)", d.DkimResults);
        Counts(html, "Disposition applied by receivers", d.Dispositions);
        Counts(html, "Override reasons given", d.OverrideReasons);
        html.Append("</div>\n");

        Table(html, $"Busiest sources (top {SourcesShown})",
            ["source IP", "reverse DNS name", "base domain", "sender", "service", "network (AS)", "country", "messages", "DMARC pass", "class of failures"],
            d.Sources.Take(SourcesShown).Select(s => (string[])[E(s.Ip), E(s.PtrName ?? "—"), E(s.BaseDomain ?? "—"), E(s.Sender),
                E(s.Service is { } service ? $"{service.Name} ({service.Type.Label()})" : "—"), E(NetworkText(s.Network)), E(s.Network.Country ?? "—"),
                Count(s.Tally.Volume), E(DomainCharts.Rate(s.Tally.DmarcPassRate)), E(s.LikelyService ? "unrecognised sender" : MainFailure(s.Tally))]),
            [false, false, false, false, false, false, false, true, true, false]);
        html.Append("</section>\n");
    }

    /// <summary>
    /// The domain's reporters with what their report mail's DKIM showed (red-team F9): anyone can send a report in a large
    /// provider's name, and a signature proves the domain that signed, not the name the report gives, so the signer is
    /// named beside a name it is not the domain of. Reporters not shown to be who they say come first.
    /// </summary>
    private static void ReportersTable(StringBuilder html, IReadOnlyList<ReporterIdentity> reporters, IReadOnlyList<NamedCount> messages)
    {
        if (reporters.Count == 0)
            return;
        var byName = messages.ToDictionary(m => m.Name, m => m.Count, StringComparer.Ordinal);
        Table(html, "Reporters and their report mail: the name is the report's own; a DKIM signature shows the domain that sent it",
            ["reporter", "reports", "messages", "not shown to be from it", "report mail"],
            reporters.Select(r => (string[])[E(r.Label), Count(r.Reports), byName.TryGetValue(r.Reporter, out var n) ? Count(n) : "—",
                Count(r.Unverified), E(r.MailText)]),
            [false, true, true, true, false]);
    }

    /// <summary>Received mail from the milter's verdict log: result shares per check by month and by week, actions, forged domains.</summary>
    private static void Inbound(StringBuilder html, InboundAnalysis inbound, IReadOnlyList<RenderedChart> charts)
    {
        var t = inbound.Total;
        html.Append("<section id=\"inbound\">\n<h2>Received mail (milter verdict log)</h2>\n")
            .Append("<p class=\"meta\">SPF, DKIM and DMARC as our milter evaluated them on mail received in the period; submissions are left out.</p>\n");
        html.Append("<div class=\"cards\">\n");
        Card(html, "messages received", Count(t.Messages));
        Card(html, "DMARC pass", E(DomainCharts.Rate(InboundCharts.PassRate(t.Dmarc, t.Messages))));
        Card(html, "DKIM pass", E(DomainCharts.Rate(InboundCharts.PassRate(t.Dkim, t.Messages))));
        Card(html, "SPF pass", E(DomainCharts.Rate(InboundCharts.PassRate(t.Spf, t.Messages))));
        html.Append("</div>\n");
        foreach (var chart in charts)
            Figure(html, InboundSlug, chart);

        foreach (var (name, known, pick) in new (string, IReadOnlyList<string>, Func<InboundTally, IReadOnlyList<NamedCount>>)[]
                 { ("SPF", InboundAnalysis.SpfWords, x => x.Spf), ("DKIM", InboundAnalysis.DkimWords, x => x.Dkim), ("DMARC", InboundAnalysis.DmarcWords, x => x.Dmarc) })
        {
            var words = known.Concat(pick(t).Select(c => c.Name).Where(w => !known.Contains(w))).ToList();
            foreach (var (caption, periods) in new[] { ("by month", inbound.Months), ("by ISO week", inbound.Weeks) })
                Table(html, $"{name} results of received mail {caption} (share of messages)", [caption == "by month" ? "month" : "week", "messages", .. words],
                    periods.Select(p => (string[])[E(p.Label), Count(p.Tally.Messages), .. words.Select(w => E(Share(InboundTally.Of(pick(p.Tally), w), p.Tally.Messages)))]),
                    [false, true, .. words.Select(_ => true)]);
        }
        html.Append("<div class=\"columns\">\n");
        Counts(html, "Actions taken", inbound.Actions);
        Counts(html, $"Top forged From domains (DMARC fail or forged by the configured rule, top {InboundAnalyzer.TopForgedDomains})", inbound.ForgedDomains);
        html.Append("</div>\n</section>\n");
    }

    /// <summary>
    /// A chart: the dark rendering when the screen asks for dark (print keeps the light one), its description as the
    /// text alternative, and a link to its SVG file.
    /// </summary>
    private static void Figure(StringBuilder html, string slug, RenderedChart chart) =>
        html.Append("<figure>").Append(Picture(chart))
            .Append($"<figcaption><a href=\"{E(ChartFile(slug, chart.Chart))}\">{E(chart.Chart.Title)} (SVG)</a></figcaption></figure>\n");

    /// <summary>
    /// The chart as images, not inline SVG: ScottPlot's clip-path ids repeat from one chart to the next, so two inline
    /// charts on one page would clip each other.
    /// </summary>
    public static string Picture(RenderedChart chart) =>
        $"<picture><source media=\"screen and (prefers-color-scheme: dark)\" srcset=\"{DataUrl(chart.DarkSvg)}\">" +
        $"<img src=\"{DataUrl(chart.LightSvg)}\" width=\"{chart.Width}\" height=\"{chart.Height}\" alt=\"{E(chart.Chart.AltText)}\"></picture>";

    private static string DataUrl(string svg) => "data:image/svg+xml;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes(svg));

    private static void Counts(StringBuilder html, string caption, IReadOnlyList<NamedCount> counts)
    {
        if (counts.Count == 0)
        {
            html.Append($"<p class=\"note\">{E(caption)}: none reported.</p>\n");
            return;
        }
        var total = ReportCount.Sum(counts, c => c.Count);
        Table(html, caption, ["value", "messages", "share"],
            counts.Take(20).Select(c => (string[])[E(c.Name), Count(c.Count), E(Share(c.Count, total))]), [false, true, true]);
    }

    /// <summary>
    /// A table; cells are already-escaped HTML. One of more than <see cref="NarrowColumns"/> columns is "wide": on a phone
    /// its rows become blocks of "header: value" lines (each cell carries its header as data-label).
    /// </summary>
    private static void Table(StringBuilder html, string caption, string[] headers, IEnumerable<string[]> rows, bool[] numeric)
    {
        html.Append($"<div class=\"scroll\"><table{(headers.Length > NarrowColumns ? " class=\"wide\"" : "")}>\n<caption>{E(caption)}</caption>\n<thead><tr>");
        for (var i = 0; i < headers.Length; i++)
            html.Append($"<th scope=\"col\"{(numeric[i] ? " class=\"num\"" : "")}>{E(headers[i])}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Length; i++)
                html.Append($"<td{(numeric[i] ? " class=\"num\"" : "")} data-label=\"{E(headers[i])}\">{row[i]}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table></div>\n");
    }

    private static void Card(StringBuilder html, string label, string escapedValue) =>
        html.Append($"<div class=\"card\"><span class=\"label\">{E(label)}</span><span class=\"value\">{escapedValue}</span></div>\n");

    private static string NetworkText(NetworkFacts n) => (n.Asn, n.AsOrg) switch
    {
        ({ } asn, { } org) => $"AS{asn.ToString(CultureInfo.InvariantCulture)} {org}",
        ({ } asn, null) => $"AS{asn.ToString(CultureInfo.InvariantCulture)}",
        (null, { } org) => org,
        _ => "—",
    };

    private static string MainFailure(Tally t)
    {
        var worst = SenderClasses.All.Where(c => c != SenderClass.Aligned && t.Of(c) > 0).OrderByDescending(t.Of).ToList();
        return worst.Count == 0 ? "—" : worst[0].Label();
    }

    public static string ChartFile(string slug, Chart chart) => $"{slug}-{chart.Name}.svg";

    public static string VerdictText(Verdict v) => v switch
    {
        Analysis.Verdict.Ready => "ready",
        Analysis.Verdict.Nearly => "nearly ready",
        Analysis.Verdict.NotReady => "not ready",
        _ => "no data",
    };

    private static string Verdict(Verdict v) => $"<span class=\"badge {VerdictCss(v)}\">{E(VerdictText(v))}</span>";

    private static string VerdictCss(Verdict v) => v switch
    {
        Analysis.Verdict.Ready => "v-ready",
        Analysis.Verdict.Nearly => "v-nearly",
        Analysis.Verdict.NotReady => "v-not",
        _ => "v-none",
    };

    private static string PeriodText(ReportAnalysis a)
    {
        var days = a.Domains.SelectMany(d => d.Days).Select(d => d.Day).ToList();
        var asked = $"Period: {DayText(a.Period.From, "first report")} to {DayText(a.Period.To, "last report")}";
        var data = days.Count == 0 ? "no data" : $"data from {DayText(days.Min(), "")} to {DayText(days.Max(), "")}";
        return a.DomainFilter is { } domain ? $"{asked} ({data}) · domain {domain}" : $"{asked} ({data})";
    }

    private static string DayText(DateOnly? day, string open) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? open;

    private static string Share(long part, long whole) => whole == 0 ? "n/a" : DomainCharts.Rate((double)part / whole);

    private static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>Text made safe for HTML content and attribute values.</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(SafeText.Clean(text, 1000));

    private const string PageCss = """
        :root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1b1b;--muted:#555;--line:#d8d8d8;--card:#f4f5f7;
          --ready:#0b6e4f;--nearly:#8a5a00;--not:#b3261e;--none:#555}
        @media (prefers-color-scheme: dark){:root{--bg:#1d1f21;--fg:#e8e8e8;--muted:#b0b0b0;--line:#3a3d40;--card:#27292c;
          --ready:#5fd3a5;--nearly:#f0c24b;--not:#ff8a80;--none:#b0b0b0}}
        @media print{:root{--bg:#fff;--fg:#000;--muted:#333;--line:#999;--card:#fff}
          section{break-before:page} figure,table{break-inside:avoid} a{color:inherit;text-decoration:none}}
        body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
        main{max-width:1000px;margin:0 auto;padding:16px 24px 48px}
        h1{font-size:26px;margin:8px 0 4px} h2{font-size:21px;margin:32px 0 4px;border-bottom:2px solid var(--line);padding-bottom:4px}
        a{color:inherit}
        .meta,.note{color:var(--muted)}
        .empty{font-size:18px;padding:24px;border:1px dashed var(--line)}
        .cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
        .card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:150px}
        .card .label{display:block;color:var(--muted);font-size:13px}
        .card .value{display:block;font-size:22px;font-weight:600}
        .verdict{border-left:6px solid var(--none);background:var(--card);padding:8px 16px;margin:12px 0}
        .verdict.v-ready{border-color:var(--ready)} .verdict.v-nearly{border-color:var(--nearly)} .verdict.v-not{border-color:var(--not)}
        .badge{font-weight:600} .badge.v-ready{color:var(--ready)} .badge.v-nearly{color:var(--nearly)} .badge.v-not{color:var(--not)}
        table{border-collapse:collapse;margin:14px 0;width:100%}
        caption{text-align:left;font-weight:600;padding:4px 0}
        th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
        th.num,td.num{text-align:right;font-variant-numeric:tabular-nums} td.num{white-space:nowrap}
        .columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:0 24px}
        figure{margin:18px 0} figure img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
        figcaption{font-size:13px;color:var(--muted)}
        .scroll{overflow-x:auto;margin:14px 0} .scroll table{margin:0}
        .notice{border:1px solid var(--nearly);border-left-width:6px;background:var(--card);padding:4px 16px;margin:12px 0}
        .verdict,.notice,.note{overflow-wrap:anywhere}
        @media (max-width:640px){body{font-size:14px} main{padding:10px 12px 32px} h1{font-size:22px} h2{font-size:19px}
          .card{min-width:0;flex:1 1 40%;padding:6px 10px} .card .value{font-size:19px} .columns{grid-template-columns:minmax(0,1fr)}
          th,td{padding:4px 6px} figure{overflow-x:auto} figure svg{min-width:600px}
          table.wide thead{display:none} table.wide,table.wide tbody,table.wide tr,table.wide td{display:block}
          table.wide caption{display:block} table.wide tr{border-bottom:1px solid var(--line);padding:4px 0}
          table.wide td,table.wide td.num{border:0;padding:1px 6px;text-align:left;white-space:normal}
          table.wide td::before{content:attr(data-label) ": ";color:var(--muted)}}
        code{font-size:14px}
        footer{margin-top:40px;color:var(--muted)}
        """;
}
