using System.CommandLine;
using System.Globalization;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Configuration;

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
        var db = CommonOptions.Database();
        var config = CommonOptions.Config();
        var domain = new Option<string?>("--domain") { Description = "Only this policy domain (default: every domain in the store)" };
        var from = new Option<string?>("--from") { Description = "First day, YYYY-MM-DD (UTC; reports are counted on the day their period begins)" };
        var to = new Option<string?>("--to") { Description = "Last day, YYYY-MM-DD, included" };
        var week = new Option<string?>("--week") { Description = "One ISO week, YYYY-Www (2026-W07), instead of --from/--to" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Output folder (default: reports/)" };
        var png = new Option<bool>("--png") { Description = "Also convert the charts to PNG with rsvg-convert (Debian librsvg2-bin)" };
        var noDns = new Option<bool>("--no-dns") { Description = "Do not look up reverse DNS names; use only those cached in the store" };

        var dns = new DnsCommandOptions();
        var command = new Command("report", "Write the pass-rate charts and the policy-readiness report (index.html, SVG, CSV)")
        {
            db, config, domain, from, to, week, output, png, noDns,
        };
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var period = Period(r.GetValue(from), r.GetValue(to), r.GetValue(week));
            var configuration = AppConfiguration.Load(r.GetValue(config));
            var resolver = r.GetValue(noDns) ? null : await dns.CreateResolverAsync(r, configuration, ct);
            return await WriteAsync(configuration, AppConfiguration.DatabasePath(r.GetValue(db), configuration), period, r.GetValue(domain),
                r.GetValue(output), r.GetValue(png), resolver, ct);
        });
        return command;
    }

    /// <summary>Analyses the store and writes the report; prints a line per domain and the path of index.html last.</summary>
    public static async Task<int> WriteAsync(IConfiguration configuration, string database, ReportPeriod period, string? domain,
        DirectoryInfo? output, bool png, IDnsResolver? resolver, CancellationToken ct)
    {
        KnownSenders known;
        try
        {
            known = KnownSenders.FromConfiguration(configuration.GetSection("Analysis:KnownSenders"));
        }
        catch (FormatException e)
        {
            throw new UsageException($"configuration: {e.Message}");
        }
        var folder = output?.FullName ?? Path.GetFullPath("reports");

        await using var store = await Store.OpenAsync(database, ct);
        var analyzer = new StoreAnalyzer(known, new ReverseDnsNames(resolver, TimeProvider.System), BaseDomain.Default);
        var analysis = await analyzer.AnalyzeAsync(store.Records, period, domain, ct) with
        {
            Inbound = await InboundAnalyzer.AnalyzeAsync(store.Verdicts, period, ct),
        };
        var written = await ReportWriter.WriteAsync(analysis, folder, DateTimeOffset.UtcNow, ct);

        // Domains come from reports: control characters must not reach the terminal.
        foreach (var d in analysis.Domains)
            Console.WriteLine($"{SafeText.Clean(d.Domain)}: {d.Total.Volume.ToString("N0", CultureInfo.InvariantCulture)} messages, " +
                              $"DMARC pass {DomainCharts.Rate(d.Total.DmarcPassRate)}, {HtmlReport.VerdictText(d.Readiness.Verdict)}");
        if (analysis.Domains.Count == 0)
            Console.WriteLine("no reports in the store for this period");
        if (analysis.Inbound is { } inbound)
            Console.WriteLine($"inbound: {inbound.Total.Messages.ToString("N0", CultureInfo.InvariantCulture)} messages received, " +
                              $"DMARC pass {DomainCharts.Rate(Share(InboundTally.Of(inbound.Total.Dmarc, "pass"), inbound.Total.Messages))}");
        var exit = ExitCodes.Ok;
        if (png)
        {
            var converted = await PngConverter.ConvertAsync(written.SvgPaths, ct);
            foreach (var error in converted.Errors)
                Console.Error.WriteLine($"dmarc: {error}");
            Console.WriteLine($"png: {converted.Written.Count} of {written.SvgPaths.Count} charts converted");
            if (converted.Errors.Count > 0)
                exit = ExitCodes.Fatal;
        }
        Console.WriteLine(written.IndexPath);
        return exit;
    }

    private static double? Share(long part, long whole) => whole == 0 ? null : (double)part / whole;

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
