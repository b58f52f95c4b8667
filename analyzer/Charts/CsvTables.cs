using System.Globalization;
using CsvHelper;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Analysis.Enrichment;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// The report's tables as CSV files. Text that a spreadsheet would run as a formula (=, +, -, @ first)
/// is escaped, because org names and domains come from strangers. Rates are fractions with four
/// decimals, empty when there were no messages.
/// </summary>
internal static class CsvTables
{
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };

    private static readonly string[] TallyHeader =
        ["messages", "dmarc_pass", "dmarc_pass_rate", "aligned_dkim_pass_rate", "aligned_spf_pass_rate", "aligned", "authorised_failing", "forwarded", "known_service", "unknown_failing"];

    public static async Task<IReadOnlyList<string>> WriteAsync(ReportAnalysis analysis, string folder, CancellationToken ct)
    {
        var d = analysis.Domains;
        IReadOnlyList<string> inbound = analysis.Inbound is { } i ? await WriteInboundAsync(i, folder, ct) : [];
        return
        [
            await WriteAsync(folder, "weekly.csv", ["domain", "week", "first_day", .. TallyHeader],
                d.SelectMany(x => x.Weeks.Select(w => (string[])[x.Domain, w.Week.ToString(), Day(w.Week.Monday), .. Fields(w.Tally)])), ct),
            await WriteAsync(folder, "daily.csv", ["domain", "day", .. TallyHeader],
                d.SelectMany(x => x.Days.Select(day => (string[])[x.Domain, Day(day.Day), .. Fields(day.Tally)])), ct),
            await WriteAsync(folder, "senders.csv", ["domain", "sender", "known", "sources", .. TallyHeader],
                d.SelectMany(x => x.Senders.Select(s => (string[])[x.Domain, s.Name, s.Known ? "yes" : "no", Int(s.Sources), .. Fields(s.Tally)])), ct),
            await WriteAsync(folder, "sources.csv",
                ["domain", "source_ip", "ptr_name", "base_domain", "sender", "service", "service_type", "asn", "as_org", "country", .. TallyHeader],
                d.SelectMany(x => x.Sources.Select(s => (string[])[x.Domain, s.Ip, s.PtrName ?? "", s.BaseDomain ?? "", s.Sender,
                    s.Service?.Name ?? "", s.Service?.Type.Word() ?? "", s.Network.Asn is { } asn ? Int(asn) : "", s.Network.AsOrg ?? "", s.Network.Country ?? "",
                    .. Fields(s.Tally)])), ct),
            await WriteAsync(folder, "results.csv", ["domain", "kind", "value", "messages"],
                d.SelectMany(x => Values(x.Domain, "spf", x.SpfResults)
                    .Concat(Values(x.Domain, "dkim", x.DkimResults))
                    .Concat(Values(x.Domain, "disposition", x.Dispositions))
                    .Concat(Values(x.Domain, "override_reason", x.OverrideReasons))
                    .Concat(Values(x.Domain, "reporter", x.Reporters))), ct),
            await WriteAsync(folder, "readiness.csv",
                ["domain", "published_p", "published_sp", "published_np", "verdict", "legitimate", "at_risk", "at_risk_share", "next_step", "senders_to_fix"],
                d.Select(x => (string[])[x.Domain, x.Policy?.P ?? "", x.Policy?.Sp ?? "", x.Policy?.Np ?? "", HtmlReport.VerdictText(x.Readiness.Verdict),
                    Int(x.Readiness.Legitimate), Int(x.Readiness.AtRisk), Rate(x.Readiness.AtRiskShare), x.Readiness.NextStep,
                    string.Join("; ", x.Readiness.ToFix.Select(f => f.Name))]), ct),
            .. inbound,
        ];
    }

    /// <summary>The inbound section: result counts per check and period, actions taken, forged From domains.</summary>
    private static async Task<IReadOnlyList<string>> WriteInboundAsync(InboundAnalysis inbound, string folder, CancellationToken ct)
    {
        var periods = inbound.Months.Select(m => ("month", m)).Concat(inbound.Weeks.Select(w => ("week", w)))
            .Append(("total", new InboundPeriodTally("total", inbound.Months.Count > 0 ? inbound.Months[0].FirstDay : default, inbound.Total)));
        var rows = periods.SelectMany(p => new[] { ("spf", p.Item2.Tally.Spf), ("dkim", p.Item2.Tally.Dkim), ("dmarc", p.Item2.Tally.Dmarc) }
            .SelectMany(check => check.Item2.Select(c => (string[])[p.Item1, p.Item2.Label, Day(p.Item2.FirstDay), check.Item1, c.Name, Int(c.Count),
                Rate(p.Item2.Tally.Messages == 0 ? null : (double)c.Count / p.Item2.Tally.Messages)])));
        return
        [
            await WriteAsync(folder, "inbound.csv", ["period_kind", "period", "first_day", "check", "result", "messages", "share"], rows, ct),
            await WriteAsync(folder, "inbound-actions.csv", ["action", "messages"], inbound.Actions.Select(a => (string[])[a.Name, Int(a.Count)]), ct),
            await WriteAsync(folder, "inbound-forged.csv", ["from_domain", "messages"], inbound.ForgedDomains.Select(a => (string[])[a.Name, Int(a.Count)]), ct),
        ];
    }

    private static async Task<string> WriteAsync(string folder, string name, string[] header, IEnumerable<string[]> rows, CancellationToken ct)
    {
        var path = Path.Combine(folder, name);
        await using var csv = CsvWriter.ToFile(path, Options);
        await csv.WriteRecordAsync(header, ct);
        foreach (var row in rows)
            await csv.WriteRecordAsync(row.Select(f => SafeText.Clean(f, 1000)).ToArray(), ct);
        return path;
    }

    private static IEnumerable<string[]> Values(string domain, string kind, IReadOnlyList<NamedCount> counts) =>
        counts.Select(c => (string[])[domain, kind, c.Name, Int(c.Count)]);

    private static string[] Fields(Tally t) =>
    [
        Int(t.Volume), Int(t.DmarcPass), Rate(t.DmarcPassRate), Rate(t.DkimAlignedRate), Rate(t.SpfAlignedRate),
        .. SenderClasses.All.Select(c => Int(t.Of(c))),
    ];

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Rate(double? rate) => rate is { } r ? r.ToString("0.0000", CultureInfo.InvariantCulture) : "";

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
