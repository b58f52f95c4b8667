using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Charts;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// One evaluation of the alert rules, as <c>dmarc alert</c> runs it and the poll loop after each pass: evaluate, print
/// <c>alert: RULE DOMAIN: text</c> per new alert, send them by mail (<c>Alerts:Recipients</c>, else the digest's) and to
/// <c>Alerts:Webhooks</c>, and remember what fired; a dry run prints and does nothing else.
/// </summary>
internal static class AlertConsole
{
    /// <summary>The alert settings, the recipients and the expiring exceptions the configuration gives; a bad one is bad usage.</summary>
    internal sealed record Setup(AlertSettings Settings, IReadOnlyList<MailboxAddress> Recipients, IReadOnlyList<ExpiringException> Exceptions)
    {
        public static Setup From(IConfiguration configuration)
        {
            try
            {
                var alerts = AlertSettings.FromConfiguration(configuration);
                var recipients = alerts.Recipients.Count > 0
                    ? alerts.Recipients.Select(a => DigestRecipients.Parse("Alerts:Recipients", a)).ToList()
                    : DigestRecipients.FromConfiguration(configuration.GetSection("Digest:Recipients")).ByDomain.Values.SelectMany(a => a)
                        .DistinctBy(a => a.Address.ToLowerInvariant()).ToList();
                var exceptions = FilterSettings.Bind(configuration).Exceptions
                    .Where(e => e.Expires is not null).Select(e => new ExpiringException(e.Sender, e.Recipient, e.Expires!.Value)).ToList();
                return new Setup(alerts, recipients, exceptions);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new UsageException($"configuration: {e.Message}");
            }
        }
    }

    /// <summary>Evaluates, prints, sends and records; exit 1 when a webhook failed after its retries, else 0.</summary>
    public static async Task<int> RunAsync(IConfiguration configuration, Setup setup, IDnsResolver? dns, bool dryRun, TextWriter output, ILoggerFactory logs,
        CancellationToken ct)
    {
        var database = AppConfiguration.DatabasePath(configuration);
        await using var store = await Store.OpenAsync(database, ct);
        var sources = AlertSources.Of(store, dns);
        var now = DateTimeOffset.UtcNow;
        var evaluation = await AlertRules.EvaluateAsync(sources, setup.Settings, setup.Exceptions, now, ct);
        var news = await AlertState.NewAsync(store.Alerts, evaluation.Firing, ct);
        foreach (var alert in news)
            await output.WriteLineAsync(alert.Line);
        if (dryRun)
            return ExitCodes.Ok;

        var exit = ExitCodes.Ok;
        if (news.Count > 0)
        {
            if (setup.Recipients.Count > 0)
            {
                var outbox = new Outbox(store.Outbox, SmtpSettings.FromConfiguration(configuration), TimeProvider.System, logs.CreateLogger<Outbox>());
                await outbox.EnqueueAsync(AlertChannels.Mail(news, setup.Recipients), ct);
                await outbox.FlushAsync(ct);
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            var channels = new AlertChannels(http, logs.CreateLogger("alert"), TimeSpan.FromSeconds(2));
            foreach (var hook in setup.Settings.Webhooks)
            {
                if (!await channels.PostAsync(hook, news, ct))
                    exit = ExitCodes.Fatal;
            }
        }
        await AlertState.RecordAsync(sources, evaluation, now, ct);
        return exit;
    }
}
