using System.CommandLine;
using System.Globalization;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc reparse [--since DATE]</c>: re-reads the stored raw bytes of aggregate reports and of failures with today's
/// readers (<see cref="Reparse"/>). Prints what changed on one line, then, for the failures re-read, the TLS and
/// failure-report line when there is one and ingest's summary line; exits as ingest does (3 when some still fail).
/// </summary>
internal static class ReparseCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var since = new Option<string?>("--since") { Description = "Only reports and failures stored since this day, YYYY-MM-DD (UTC)" };
        var dns = new DnsCommandOptions();
        var command = new Command("reparse", "Re-read stored reports and failures with the current readers, in place") { since };
        settings.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var configuration = settings.Load(r);
            DateTimeOffset? from = r.GetValue(since) is { } text
                ? DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                    ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
                    : throw new UsageException($"--since: '{text}' is not a day like 2026-12-01")
                : null;
            using var logs = Logging.CreateFactory();
            var log = logs.CreateLogger("reparse");
            try
            {
                var acceptance = IngestConsole.Acceptance(configuration, await dns.CreateResolverAsync(r, configuration, ct));
                var outcome = await Reparse.RunAsync(AppConfiguration.DatabasePath(configuration), from, IngestConsole.Limits(configuration), acceptance, log, ct);
                Console.Out.WriteLine(outcome.ToLine());
                if (outcome.Ingested.ToOtherKindsLine() is { } otherKinds)
                    Console.Out.WriteLine(otherKinds);
                Console.Out.WriteLine(outcome.Ingested.ToSummaryLine());
                return ExitCodes.Of(outcome.Ingested);
            }
            catch (Exception e) when (StoreErrors.IsTheStores(e))
            {
                log.LogError("{Message}", e.Message);
                return ExitCodes.Fatal;
            }
        });
        return command;
    }
}
