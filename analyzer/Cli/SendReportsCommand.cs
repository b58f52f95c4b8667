using System.CommandLine;
using System.Globalization;
using DmarcAnalyzer.Filter.Outgoing;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc send-reports [--day YYYY-MM-DD] [--dry-run DIR]</c>: our RFC 9990 aggregate reports for a UTC day (yesterday
/// by default) from the verdict log, one line per destination, then the outbox's flush. With --dry-run the reports and
/// their mail are written into DIR and nothing is marked as sent.
/// </summary>
internal static class SendReportsCommand
{
    public static Command Create()
    {
        var day = new Option<string?>("--day") { Description = "The UTC day to report (YYYY-MM-DD); default: yesterday" };
        var dryRun = new Option<DirectoryInfo?>("--dry-run") { Description = "Write each report (.xml.gz) and its mail (.eml) into this folder; send nothing" };
        var configuration = new CommandConfiguration();
        configuration.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var dns = new DnsCommandOptions();
        var command = new Command("send-reports", "Send our DMARC aggregate reports (RFC 9990) from the milter's verdict log")
        {
            day, dryRun,
        };
        configuration.AddTo(command);
        dns.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var config = configuration.Load(r);
            var output = r.InvocationConfiguration.Output;
            var settings = OutgoingReportSettings.FromConfiguration(config);
            if (!settings.Enabled)
            {
                await output.WriteLineAsync("reports: outgoing reports are off (Reports:Outgoing:Enabled)");
                return ExitCodes.Ok;
            }
            var reportDay = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
            if (r.GetValue(day) is { } text && !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out reportDay))
                throw new UsageException($"--day: '{text}' is not a date YYYY-MM-DD");
            var folder = r.GetValue(dryRun);
            folder?.Create();
            var path = AppConfiguration.DatabasePath(config);
            if (!StoreLocation.Exists(path))
                throw new UsageException($"database not found: {path}");
            using var logs = Logging.CreateFactory();
            await using var store = await Store.OpenAsync(path, ct);
            var resolver = await dns.CreateResolverAsync(r, config, ct);
            var outbox = folder is null
                ? new Outbox(store.Outbox, SmtpSettings.FromConfiguration(config), TimeProvider.System, logs.CreateLogger<Outbox>())
                : null;
            var sender = new ReportSender(store.OutgoingReports, settings, new ExternalDestinations(resolver), outbox, TimeProvider.System, logs.CreateLogger<ReportSender>());
            var results = await sender.SendAsync(reportDay, folder?.FullName, ct);
            foreach (var result in results)
                await output.WriteLineAsync($"report {result.Domain} {reportDay:yyyy-MM-dd} to {result.Destination}: {Word(result.Outcome)} "
                    + $"({result.Messages} messages, {result.Size} bytes){(result.Detail is null ? "" : ": " + result.Detail)}");
            var counts = results.GroupBy(x => x.Outcome).ToDictionary(g => g.Key, g => g.Count());
            int Count(SendOutcome outcome) => counts.GetValueOrDefault(outcome);
            await output.WriteLineAsync($"reports: {Count(SendOutcome.Queued)} queued, {Count(SendOutcome.Written)} written, "
                + $"{Count(SendOutcome.AlreadyHandled)} already sent, {Count(SendOutcome.NotAuthorised) + Count(SendOutcome.TooLarge)} refused, "
                + $"{Count(SendOutcome.Deferred)} deferred");
            if (outbox is not null)
            {
                var flush = await outbox.FlushAsync(ct);
                await output.WriteLineAsync($"outbox: {flush.Sent} sent, {flush.Deferred} deferred");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Word(SendOutcome outcome) => outcome switch
    {
        SendOutcome.Queued => "queued",
        SendOutcome.Written => "written",
        SendOutcome.AlreadyHandled => "already sent",
        SendOutcome.NotAuthorised => "not authorised",
        SendOutcome.TooLarge => "too large",
        _ => "deferred",
    };
}
