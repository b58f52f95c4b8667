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
        KnownSenders known;
        try
        {
            known = KnownSenders.FromConfiguration(configuration.GetSection("Analysis:KnownSenders"));
        }
        catch (FormatException e)
        {
            throw new UsageException($"configuration: {e.Message}");
        }
        var written = await PolicyReport.WriteAsync(AppConfiguration.DatabasePath(configuration),
            request with { FailureDetails = configuration.GetValue<bool>(FailureReportPrivacy.Setting) }, known, resolver, ct);
        foreach (var line in written.Lines)
            Console.WriteLine(line);
        var exit = ExitCodes.Ok;
        if (written.Png is { } converted)
        {
            foreach (var error in converted.Errors)
                Console.Error.WriteLine($"dmarc: {error}");
            Console.WriteLine($"png: {converted.Written.Count} of {written.Charts} charts converted");
            if (converted.Errors.Count > 0)
                exit = ExitCodes.Fatal;
        }
        Console.WriteLine(written.IndexPath);
        return exit;
    }
}
