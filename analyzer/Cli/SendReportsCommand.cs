using System.CommandLine;
using System.Globalization;
using DmarcAnalyzer.Filter.Outgoing;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc send-reports [--day YYYY-MM-DD] [--dry-run DIR]</c>: our RFC 9990 aggregate reports for a UTC day (yesterday
/// by default, with the earlier days whose destinations were deferred) from the verdict log, one line per destination,
/// then the outbox's flush. With --dry-run the reports and their mail are written into DIR and nothing is marked as sent.
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
            var settings = Configured(() => OutgoingReportSettings.FromConfiguration(config));
            if (!settings.Enabled)
            {
                await output.WriteLineAsync("reports: outgoing reports are off (Reports:Outgoing:Enabled)");
                return ExitCodes.Ok;
            }
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var reportDay = today.AddDays(-1);
            var folder = r.GetValue(dryRun);
            if (r.GetValue(day) is { } text)
            {
                if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out reportDay))
                    throw new UsageException($"--day: '{text}' is not a date YYYY-MM-DD");
                // A day's report is sent once: sent before the day is over, it would leave the rest of the day unreported.
                if (reportDay >= today && folder is null)
                    throw new UsageException($"--day: {reportDay:yyyy-MM-dd} is not over yet (UTC); only --dry-run can show its report now");
            }
            // Checked before anything is read: without a relay nothing could be sent.
            var smtp = folder is null ? Configured(() => SmtpSettings.FromConfiguration(config)) : null;
            folder?.Create();
            var path = AppConfiguration.DatabasePath(config);
            if (!StoreLocation.Exists(path))
                throw new UsageException($"database not found: {path}");
            using var logs = Logging.CreateFactory();
            await using var store = await Store.OpenAsync(path, ct);
            var resolver = await dns.CreateResolverAsync(r, config, ct);
            var outbox = smtp is null ? null : new Outbox(store.Outbox, smtp, TimeProvider.System, logs.CreateLogger<Outbox>());
            var sender = new ReportSender(store.OutgoingReports, settings, new ExternalDestinations(resolver), outbox, TimeProvider.System, logs.CreateLogger<ReportSender>());
            // The daily run also retries the earlier days whose destinations were deferred (DNS trouble at the time).
            var days = r.GetValue(day) is null && folder is null
                ? [.. await sender.DeferredDaysBeforeAsync(reportDay, ct), reportDay]
                : new List<DateOnly> { reportDay };
            var results = new List<SendResult>();
            foreach (var reported in days)
            {
                foreach (var result in await sender.SendAsync(reported, folder?.FullName, ct))
                {
                    if (reported != reportDay && result.Outcome == SendOutcome.AlreadyHandled)
                        continue;
                    results.Add(result);
                    await output.WriteLineAsync($"report {result.Domain} {reported:yyyy-MM-dd} to {result.Destination}: {Word(result.Outcome)} "
                        + $"({result.Messages} messages, {result.Size} bytes){(result.Detail is null ? "" : ": " + result.Detail)}");
                }
            }
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

    /// <summary>A setting read from the configuration; what is wrong with it is a usage error (exit 2), not a crash.</summary>
    private static T Configured<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"configuration: {e.Message}");
        }
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
