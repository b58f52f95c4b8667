using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Analysis;

/// <summary>A webhook the alerts are posted to, in the payload shape <see cref="Format"/> names.</summary>
internal sealed record AlertWebhook(Uri Url, WebhookFormat Format);

internal enum WebhookFormat { Json, Slack, Teams, Mattermost }

/// <summary>
/// The <c>Alerts</c> section: thresholds (<c>NewSourceMinMessages</c> 100 a day, <c>PassRateDropPoints</c> 5,
/// <c>SilenceDays</c> 3, <c>TlsFailureMinSessions</c> 10 failed TLS sessions a day), <c>Recipients</c> (default: the
/// digest's) and <c>Webhooks</c>; and <c>Analysis:Domains</c>, the domains we own (default: every policy domain in the store).
/// </summary>
internal sealed record AlertSettings(
    long NewSourceMinMessages, double PassRateDropPoints, int SilenceDays, IReadOnlyList<string> Domains,
    IReadOnlyList<string> Recipients, IReadOnlyList<AlertWebhook> Webhooks, long TlsFailureMinSessions = 10)
{
    public const int ExceptionWarningDays = 14;

    public static readonly AlertSettings Default = new(100, 5, 3, [], [], []);

    /// <summary>Somewhere to send alerts is configured: the poll loop then evaluates them after each pass.</summary>
    public bool HasChannels => Recipients.Count > 0 || Webhooks.Count > 0;

    public static AlertSettings FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Alerts");
        var webhooks = section.GetSection("Webhooks").GetChildren().Select(w =>
        {
            var url = Uri.TryCreate(w["Url"], UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u
                : throw new FormatException($"{w.Path}:Url must be an http or https URL, not '{w["Url"]}'");
            var format = w["Format"] is { } f
                ? Enum.TryParse<WebhookFormat>(f, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed
                    : throw new FormatException($"{w.Path}:Format must be json, slack, teams or mattermost, not '{f}'")
                : WebhookFormat.Json;
            return new AlertWebhook(url, format);
        }).ToList();
        return new AlertSettings(
            Number(section, "NewSourceMinMessages", Default.NewSourceMinMessages),
            Number(section, "PassRateDropPoints", Default.PassRateDropPoints),
            (int)Number(section, "SilenceDays", Default.SilenceDays),
            List(configuration.GetSection("Analysis:Domains")).Select(d => d.Trim().TrimEnd('.').ToLowerInvariant()).ToList(),
            List(section.GetSection("Recipients")),
            webhooks,
            Number(section, "TlsFailureMinSessions", Default.TlsFailureMinSessions));
    }

    private static List<string> List(IConfigurationSection section) =>
        section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value).OfType<string>().ToList();

    private static long Number(IConfigurationSection section, string key, long fallback) =>
        section[key] is { } text
            ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
                : throw new FormatException($"Alerts:{key} must be a whole number, not '{text}'")
            : fallback;

    private static double Number(IConfigurationSection section, string key, double fallback) =>
        section[key] is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
                : throw new FormatException($"Alerts:{key} must be a number, not '{text}'")
            : fallback;
}
