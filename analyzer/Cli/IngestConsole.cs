using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Ingest;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace DmarcAnalyzer.Cli;

/// <summary>Ingest on the terminal, for <c>dmarc ingest</c> and <c>dmarc run</c>: the inputs named, the store configured, a progress bar.</summary>
internal static class IngestConsole
{
    /// <summary>The paths named, expanded (<see cref="InputSet.Expand"/>); one that does not exist is bad usage.</summary>
    public static InputSet Inputs(IEnumerable<string> paths)
    {
        try
        {
            return InputSet.Expand(paths);
        }
        catch (FileNotFoundException e)
        {
            // A path argument takes any word, options it does not know too: "--bogus" is an unknown option, not a file.
            throw new UsageException(e.FileName is { } name && name.StartsWith('-') && !File.Exists(name) ? $"unknown option: {name}" : e.Message);
        }
    }

    /// <summary>Ingests the inputs into the configured store, with a progress bar when stdout is a terminal.</summary>
    /// <param name="resolver">Answers for the DKIM keys of report mail.</param>
    public static async Task<IngestOutcome> IngestAsync(IConfiguration configuration, InputSet inputs, IDnsResolver resolver, CancellationToken ct)
    {
        using var logs = Logging.CreateFactory();
        await using var ingest = await FileIngest.OpenAsync(
            AppConfiguration.DatabasePath(configuration), Limits(configuration), Acceptance(configuration, resolver), inputs, logs.CreateLogger("ingest"), ct);
        if (Console.IsOutputRedirected || ingest.Count < 2)
            return await ingest.RunAsync(null, ct);
        var outcome = IngestOutcome.None;
        await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
        {
            var task = progress.AddTask("ingest", maxValue: ingest.Count);
            outcome = await ingest.RunAsync(() => task.Increment(1), ct);
        });
        return outcome;
    }

    public static IngestLimits Limits(IConfiguration configuration) => AppConfiguration.Bind(configuration, "Ingest", IngestLimits.Default);

    /// <summary>
    /// Analysis:RequireVerifiedReports (default false), Analysis:Domains (default none: every domain) and Dns:HealthProbe
    /// (default <see cref="ReportAcceptance.DefaultHealthProbe"/>).
    /// </summary>
    public static ReportAcceptance Acceptance(IConfiguration configuration, IDnsResolver resolver)
    {
        var require = configuration["Analysis:RequireVerifiedReports"] switch
        {
            null or "" => false,
            var text when bool.TryParse(text, out var value) => value,
            var text => throw new UsageException($"Analysis:RequireVerifiedReports must be true or false, not '{text}'"),
        };
        var section = configuration.GetSection("Analysis:Domains");
        IReadOnlyList<string> domains = section.Value is { Length: > 0 } single
            ? [single]
            : section.GetChildren().Select(c => c.Value).OfType<string>().Where(d => d.Trim().Length > 0).ToList();
        var probe = configuration["Dns:HealthProbe"]?.Trim();
        if (!string.IsNullOrEmpty(probe) && !DnsName.IsValid(DnsName.Normalize(probe)))
            throw new UsageException($"Dns:HealthProbe must be a domain name, not '{probe}'");
        return new ReportAcceptance(require, domains, resolver)
        {
            HealthProbe = string.IsNullOrEmpty(probe) ? ReportAcceptance.DefaultHealthProbe : probe,
        };
    }
}
