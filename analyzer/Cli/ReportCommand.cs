using System.CommandLine;
using System.Globalization;
using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc report [--db FILE] [--domain D] [--from DATE] [--to DATE] [--week YYYY-Www] [--out DIR] [--png] [--no-dns]</c>:
/// the weekly policy-readiness report. Prints what it wrote, and the path of index.html last.
/// Reverse DNS names come from the resolver (<c>--dns</c>, <c>--zone</c>, <c>--offline</c>); with --no-dns only
/// names cached in the store are shown.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var domain = new Option<string?>("--domain") { Description = "Only this policy domain (default: every domain in the store)" };
        var from = new Option<string?>("--from") { Description = "First day, YYYY-MM-DD (UTC; a report belongs to the period its date range begins in, and is spread over its days)" };
        var to = new Option<string?>("--to") { Description = "Last day, YYYY-MM-DD, included" };
        var week = new Option<string?>("--week") { Description = "One ISO week, YYYY-Www (2026-W07), instead of --from/--to" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Output folder (default: reports/)" };
        var png = new Option<bool>("--png") { Description = "Also write each chart as a PNG file" };
        var noDns = new Option<bool>("--no-dns") { Description = "Do not look up reverse DNS names; use only those cached in the store" };

        var dns = new DnsCommandOptions();
        var command = new Command("report", "Write the pass-rate charts and the policy-readiness report (index.html, SVG, CSV)")
        {
            domain, from, to, week, output, png, noDns,
        };
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var period = Period(r.GetValue(from), r.GetValue(to), r.GetValue(week));
            var configuration = settings.Load(r);
            var resolver = r.GetValue(noDns) ? null : await dns.CreateResolverAsync(r, configuration, ct);
            return await ReportConsole.WriteAsync(configuration, ReportConsole.Request(period, r.GetValue(domain), r.GetValue(output), r.GetValue(png)),
                resolver, ct);
        });
        return command;
    }

    private static ReportPeriod Period(string? from, string? to, string? week)
    {
        if (week is not null)
        {
            if (from is not null || to is not null)
                throw new UsageException("--week cannot be combined with --from or --to");
            if (!IsoWeek.TryParse(week, out var w))
                throw new UsageException($"--week: '{week}' is not an ISO week like 2026-W07");
            return ReportPeriod.OfWeek(w);
        }
        var period = new ReportPeriod(Day("--from", from), Day("--to", to));
        if (period.From > period.To)
            throw new UsageException("--from is after --to");
        return period;
    }

    private static DateOnly? Day(string option, string? text) =>
        text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw new UsageException($"{option}: '{text}' is not a date like 2026-02-16");
}
