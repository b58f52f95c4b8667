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
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Ingests the inputs into the configured store, with a progress bar when stdout is a terminal.</summary>
    public static async Task<IngestOutcome> IngestAsync(IConfiguration configuration, InputSet inputs, CancellationToken ct)
    {
        using var logs = Logging.CreateFactory();
        await using var ingest = await FileIngest.OpenAsync(
            AppConfiguration.DatabasePath(configuration), Limits(configuration), inputs, logs.CreateLogger("ingest"), ct);
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
}
