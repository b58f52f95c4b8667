using System.Globalization;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// The alert rules over the store: each returns what fires now. Which of those is news (fired and not cleared since)
/// is <see cref="AlertState"/>'s business.
/// </summary>
internal static class AlertRules
{
    /// <summary>A source counts as new when no report lists it for the domain before this many days ago.</summary>
    public const int NewSourceDays = 7;

    public static string Name(AlertRule rule) => rule switch
    {
        AlertRule.NewSource => "new-source",
        AlertRule.PassRateDrop => "pass-rate-drop",
        AlertRule.RecordChanged => "record-changed",
        AlertRule.ExceptionExpiring => "exception-expiring",
        AlertRule.Silence => "silence",
        AlertRule.TlsFailures => "tls-failures",
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    public static async Task<AlertEvaluation> EvaluateAsync(AlertSources sources, AlertSettings settings, IReadOnlyList<ExpiringException> exceptions,
        DateTimeOffset now, CancellationToken ct)
    {
        var db = sources.Alerts;
        var owned = settings.Domains.Count > 0 ? settings.Domains : await db.PolicyDomainsAsync(ct);
        var ours = owned.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var alerts = new List<Alert>();
        alerts.AddRange(await NewSourcesAsync(db, settings, ours, now, ct));
        alerts.AddRange(await PassRateDropsAsync(db, settings, ours, now, ct));
        IReadOnlyList<PublishedRecord> seen = [];
        if (sources.Dns is { } dns)
        {
            var watch = await PublishedRecordWatch.CheckAsync(dns, sources.PublishedRecords, owned, now, ct);
            alerts.AddRange(watch.Alerts);
            seen = watch.Seen;
        }
        alerts.AddRange(ExpiringExceptions(exceptions, now));
        if (await SilenceAsync(db, settings, now, ct) is { } silence)
            alerts.Add(silence);
        alerts.AddRange(await TlsFailuresAsync(sources.TlsReports, settings, ours, now, ct));
        return new AlertEvaluation(alerts, seen);
    }

    private static async Task<IEnumerable<Alert>> NewSourcesAsync(IAlertQueries db, AlertSettings settings, HashSet<string> ours, DateTimeOffset now,
        CancellationToken ct)
    {
        var since = Day(now).AddDays(-NewSourceDays);
        var sources = await db.NewFailingSourcesAsync(Unix(since), settings.NewSourceMinMessages, ct);
        return sources.Where(s => ours.Contains(s.Domain)).Select(s => new Alert(AlertRule.NewSource, s.Domain, s.SourceIp,
            $"new source {s.SourceIp} sent {Count(s.Failing)} messages failing DMARC on {Text(ReportPeriod.DayFromUnixDay(s.Day))} " +
            $"(threshold {Count(settings.NewSourceMinMessages)} a day; not seen in the {NewSourceDays} days before)"));
    }

    /// <summary>The last complete ISO week against the week before it.</summary>
    private static async Task<IEnumerable<Alert>> PassRateDropsAsync(IAlertQueries db, AlertSettings settings, HashSet<string> ours, DateTimeOffset now,
        CancellationToken ct)
    {
        var last = IsoWeek.Of(Day(now).AddDays(-7));
        var before = IsoWeek.Of(last.Monday.AddDays(-7));
        var thisWeek = (await db.PassCountsAsync(Unix(last.Monday), Unix(last.Sunday.AddDays(1)), ct)).ToDictionary(p => p.Domain);
        var alerts = new List<Alert>();
        foreach (var old in await db.PassCountsAsync(Unix(before.Monday), Unix(before.Monday.AddDays(7)), ct))
        {
            if (!ours.Contains(old.Domain) || old.Messages == 0 || !thisWeek.TryGetValue(old.Domain, out var cur) || cur.Messages == 0)
                continue;
            var was = 100.0 * old.Passed / old.Messages;
            var isNow = 100.0 * cur.Passed / cur.Messages;
            if (was - isNow > settings.PassRateDropPoints)
                alerts.Add(new Alert(AlertRule.PassRateDrop, old.Domain, last.ToString(),
                    $"DMARC pass rate {Percent(isNow)} in {last}, down {Points(was - isNow)} points from {Percent(was)} in {before}"));
        }
        return alerts;
    }

    /// <summary>
    /// A policy domain of ours whose TLS reports (RFC 8460) count more failed sessions than the threshold on one UTC day
    /// of the window; keyed by domain alone, so a domain that keeps failing day after day fires once.
    /// </summary>
    private static async Task<IEnumerable<Alert>> TlsFailuresAsync(ITlsReportQueries db, AlertSettings settings, HashSet<string> ours, DateTimeOffset now,
        CancellationToken ct)
    {
        var today = Day(now);
        var period = new ReportPeriod(today.AddDays(-NewSourceDays), today);
        if (await TlsAnalyzer.AnalyzeAsync(db, period, null, ct) is not { } tls)
            return [];
        var alerts = new List<Alert>();
        foreach (var domain in tls.Domains.Where(d => ours.Contains(d.Domain)))
        {
            var worst = domain.Days.MaxBy(d => d.Sessions.Failed);
            if (worst is null || worst.Sessions.Failed <= settings.TlsFailureMinSessions)
                continue;
            var causes = string.Join(", ", domain.ResultTypes.Take(3).Select(r => $"{r.Name} {Count(r.Count)}"));
            alerts.Add(new Alert(AlertRule.TlsFailures, domain.Domain, "",
                $"{Count(worst.Sessions.Failed)} of {Count(worst.Sessions.Total)} TLS sessions failed on {Text(worst.Day)} " +
                $"(threshold {Count(settings.TlsFailureMinSessions)} a day)" + (causes.Length > 0 ? $"; failures by result type: {causes}" : "")));
        }
        return alerts;
    }

    private static IEnumerable<Alert> ExpiringExceptions(IReadOnlyList<ExpiringException> exceptions, DateTimeOffset now)
    {
        var today = Day(now);
        return exceptions.Where(e => e.Expires >= today && e.Expires <= today.AddDays(AlertSettings.ExceptionWarningDays))
            .Select(e => new Alert(AlertRule.ExceptionExpiring, DomainOf(e.Sender), $"{e.Sender}|{e.Recipient}|{Text(e.Expires)}",
                $"the encrypted-archive exception for {e.Sender}{(e.Recipient is null ? "" : " to " + e.Recipient)} expires on {Text(e.Expires)} " +
                $"({e.Expires.DayNumber - today.DayNumber} days)"));
    }

    /// <summary>No report stored for the configured days: the rua address or the poller is broken. An empty store is not silence yet.</summary>
    private static async Task<Alert?> SilenceAsync(IAlertQueries db, AlertSettings settings, DateTimeOffset now, CancellationToken ct)
    {
        var last = await db.LastIngestAsync(ct);
        if (last is not { } seconds || now.ToUnixTimeSeconds() - seconds < settings.SilenceDays * 86400L)
            return null;
        var when = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return new Alert(AlertRule.Silence, "*", "",
            $"no aggregate report stored since {when.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)} " +
            $"({(now - when).TotalDays:0} days; threshold {settings.SilenceDays}): check the rua address and the poller");
    }

    private static string DomainOf(string sender) => (sender.LastIndexOf('@') is var at and >= 0 ? sender[(at + 1)..] : sender).ToLowerInvariant();

    private static DateOnly Day(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime);

    private static long Unix(DateOnly day) => (long)(day.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber) * 86400;

    private static string Text(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Percent(double p) => p.ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Points(double p) => p.ToString("0.0", CultureInfo.InvariantCulture);
}
