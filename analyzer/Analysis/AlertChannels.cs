using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
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

    public static MimeMessage Mail(IReadOnlyList<Alert> alerts, IEnumerable<MailboxAddress> to)
    {
        var message = new MimeMessage();
        message.To.AddRange(to);
        message.Subject = alerts.Count == 1 ? $"DMARC alert: {AlertRules.Name(alerts[0].Rule)} {alerts[0].Domain}" : $"DMARC alerts: {alerts.Count}";
        var text = new StringBuilder();
        foreach (var alert in alerts)
            text.Append(alert.Line).Append('\n');
        message.Body = new TextPart("plain") { Text = text.ToString() };
        return message;
    }

    /// <summary>The body each format's incoming webhook takes: our JSON, or the chat's message text.</summary>
    public static JsonObject Payload(WebhookFormat format, IReadOnlyList<Alert> alerts)
    {
        var text = string.Join("\n", alerts.Select(a => a.Line));
        return format switch
        {
            WebhookFormat.Json => new JsonObject
            {
                ["alerts"] = new JsonArray(alerts.Select(a => (JsonNode)new JsonObject
                {
                    ["rule"] = AlertRules.Name(a.Rule), ["domain"] = a.Domain, ["text"] = a.Text,
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
