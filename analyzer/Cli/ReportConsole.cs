using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Dns;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>The report on the terminal, for <c>dmarc report</c> and <c>dmarc run</c>: a line per domain, the path of index.html last.</summary>
internal static class ReportConsole
{
    /// <param name="period">Null: everything in the store.</param>
    public static ReportRequest Request(ReportPeriod? period, string? domain, DirectoryInfo? output, bool png) =>
        new(period ?? new ReportPeriod(null, null), domain, output?.FullName ?? Path.GetFullPath("reports"), png);

    /// <summary>Writes the report from the configured store; prints a line per domain and the path of index.html last.</summary>
    public static async Task<int> WriteAsync(IConfiguration configuration, ReportRequest request, IDnsResolver? resolver, CancellationToken ct)
    {
        using var timings = StageTimings.Start(configuration);
        KnownSenders known;
        try
        {
            known = KnownSenders.FromConfiguration(configuration.GetSection("Analysis:KnownSenders"));
        }
        catch (FormatException e)
        {
            throw new UsageException($"configuration: {e.Message}");
        }
        var enricher = EnrichmentSettings.Load(configuration);
        using var networks = enricher.Networks;
        var written = await PolicyReport.WriteAsync(AppConfiguration.DatabasePath(configuration),
            request with { FailureDetails = configuration.GetValue<bool>(FailureReportPrivacy.Setting) }, known, enricher, resolver, ct);
        if (written.ReverseDnsTrouble is { } trouble)
            Console.Error.WriteLine($"dmarc: reverse DNS is unavailable ({trouble}); the report went on without it: sources are shown by address");
        foreach (var line in written.Lines)
            Console.WriteLine(line);
        if (written.Png is { } png)
            Console.WriteLine($"png: {png.Count} of {written.Charts} charts written");
        Console.WriteLine(written.IndexPath);
        return ExitCodes.Ok;
    }
}
