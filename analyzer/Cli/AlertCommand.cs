using System.CommandLine;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc alert [--dry-run]</c>: evaluates the alert rules over the store and sends what fired since the last run,
/// by mail through the outbox (<c>Alerts:Recipients</c>, else the digest's) and to <c>Alerts:Webhooks</c>. Prints
/// <c>alert: RULE DOMAIN: text</c> per new alert. <c>--dry-run</c> prints them and sends and records nothing.
/// </summary>
internal static class AlertCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the alerts that would fire; send and record nothing" };
        var command = new Command("alert", "Evaluate the alert rules and send new alerts by mail and webhook") { dryRun };
        settings.AddTo(command);
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var configuration = settings.Load(r);
            AlertSettings alerts;
            IReadOnlyList<MailboxAddress> recipients;
            IReadOnlyList<ExpiringException> exceptions;
            try
            {
                alerts = AlertSettings.FromConfiguration(configuration);
                recipients = alerts.Recipients.Count > 0
                    ? alerts.Recipients.Select(a => DigestRecipients.Parse("Alerts:Recipients", a)).ToList()
                    : DigestRecipients.FromConfiguration(configuration.GetSection("Digest:Recipients")).ByDomain.Values.SelectMany(a => a)
                        .DistinctBy(a => a.Address.ToLowerInvariant()).ToList();
                exceptions = FilterSettings.Bind(configuration).Exceptions
                    .Where(e => e.Expires is not null).Select(e => new ExpiringException(e.Sender, e.Recipient, e.Expires!.Value)).ToList();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new UsageException($"configuration: {e.Message}");
            }

            var database = AppConfiguration.DatabasePath(configuration);
            await using var store = await Store.OpenAsync(database, ct);
            var now = DateTimeOffset.UtcNow;
            var firing = await AlertRules.EvaluateAsync(store.Alerts, alerts, exceptions, now, ct);
            var news = await AlertState.NewAsync(store.Alerts, firing, ct);
            foreach (var alert in news)
                Console.WriteLine(alert.Line);
            if (r.GetValue(dryRun))
                return ExitCodes.Ok;

            var exit = ExitCodes.Ok;
            if (news.Count > 0)
            {
                using var logs = Logging.CreateFactory();
                if (recipients.Count > 0)
                {
                    var outbox = new Outbox(store.Outbox, SmtpSettings.FromConfiguration(configuration), TimeProvider.System, logs.CreateLogger<Outbox>());
                    await outbox.EnqueueAsync(AlertChannels.Mail(news, recipients), ct);
                    await outbox.FlushAsync(ct);
                }
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
                var channels = new AlertChannels(http, logs.CreateLogger("alert"), TimeSpan.FromSeconds(2));
                foreach (var hook in alerts.Webhooks)
                {
                    if (!await channels.PostAsync(hook, news, ct))
                        exit = ExitCodes.Fatal;
                }
            }
            await AlertState.RecordAsync(store.Alerts, firing, now, ct);
            return exit;
        });
        return command;
    }
}
