using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DmarcAnalyzer.Reports;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Where alerts go besides the terminal: one plain-text mail (sent through the outbox by the caller) and a POST to
/// each webhook in its format, retried with a doubling delay; a webhook that still fails is logged (by host only: a webhook URL carries its secret), and the others go on.
/// </summary>
internal sealed class AlertChannels(HttpClient http, ILogger logger, TimeSpan firstRetry)
{
    public const int Attempts = 3;

    /// <summary>
    /// Alerts listed in one mail or chat message; the rest are counted. A report can make thousands of sources new at
    /// once, and a message nobody can read is no alert (the terminal lists them all).
    /// </summary>
    public const int MaxListed = 50;

    public static MimeMessage Mail(IReadOnlyList<Alert> alerts, IEnumerable<MailboxAddress> to)
    {
        var message = new MimeMessage();
        message.To.AddRange(to);
        message.Subject = alerts.Count == 1 ? $"DMARC alert: {AlertRules.Name(alerts[0].Rule)} {SafeText.Line(alerts[0].Domain)}" : $"DMARC alerts: {alerts.Count}";
        message.Body = new TextPart("plain") { Text = string.Join("\n", Listed(alerts, a => a.Line)) + "\n" };
        return message;
    }

    private static IEnumerable<string> Listed(IReadOnlyList<Alert> alerts, Func<Alert, string> line) =>
        alerts.Count <= MaxListed
            ? alerts.Select(line)
            : alerts.Take(MaxListed).Select(line).Append($"… and {alerts.Count - MaxListed} more alerts: dmarc alert --dry-run lists them all");

    /// <summary>The body each format's incoming webhook takes: our JSON, or the chat's message text, escaped for its markup.</summary>
    public static JsonObject Payload(WebhookFormat format, IReadOnlyList<Alert> alerts)
    {
        var text = string.Join("\n", Listed(alerts, a => ChatMarkup.Escape(format, a.Line)));
        return format switch
        {
            WebhookFormat.Json => new JsonObject
            {
                ["alerts"] = new JsonArray(alerts.Select(a => (JsonNode)new JsonObject
                {
                    ["rule"] = AlertRules.Name(a.Rule), ["domain"] = SafeText.Line(a.Domain), ["text"] = SafeText.Line(a.Text, 1000),
                }).ToArray()),
            },
            WebhookFormat.Slack or WebhookFormat.Mattermost => new JsonObject { ["text"] = text },
            // Teams' incoming webhook: a MessageCard.
            WebhookFormat.Teams => new JsonObject
            {
                ["@type"] = "MessageCard", ["@context"] = "https://schema.org/extensions",
                ["summary"] = $"DMARC alerts: {alerts.Count}", ["title"] = "DMARC alerts", ["text"] = text.Replace("\n", "<br>", StringComparison.Ordinal),
            },
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Posts the alerts to the webhook; false when every attempt failed.</summary>
    public async Task<bool> PostAsync(AlertWebhook hook, IReadOnlyList<Alert> alerts, CancellationToken ct)
    {
        var payload = Payload(hook.Format, alerts);
        var delay = firstRetry;
        string error = "";
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(hook.Url, payload, ct);
                if (response.IsSuccessStatusCode)
                    return true;
                error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (HttpRequestException e)
            {
                error = e.Message;
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                error = "timed out: " + e.Message;
            }
            if (attempt < Attempts)
            {
                await Task.Delay(delay, ct);
                delay *= 2;
            }
        }
        logger.LogError("alert webhook {Url} ({Format}) failed after {Attempts} attempts: {Error}", hook.Url.GetLeftPart(UriPartial.Authority), hook.Format, Attempts, error);
        return false;
    }
}
