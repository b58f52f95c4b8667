using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Which alerts are news: an alert fires once, is remembered while it keeps firing, and is forgotten when it clears,
/// so that it fires again when it comes back. The memory is the store's alert_state table.
/// </summary>
internal static class AlertState
{
    public static async Task<IReadOnlyList<Alert>> NewAsync(IAlertQueries db, IReadOnlyList<Alert> firing, CancellationToken ct)
    {
        var fired = (await db.FiredAsync(ct)).ToHashSet();
        return firing.Where(a => !fired.Contains(Row(a))).ToList();
    }

    /// <summary>Remembers what fires now, and the published records as seen now (what the next run compares with).</summary>
    public static async Task RecordAsync(AlertSources sources, AlertEvaluation evaluation, DateTimeOffset now, CancellationToken ct)
    {
        await sources.Alerts.RecordAsync(evaluation.Firing.Select(a => (Row(a), a.Text)).ToList(), now, ct);
        if (evaluation.Seen.Count > 0)
            await sources.PublishedRecords.SaveAsync(evaluation.Seen, now, ct);
    }

    private static AlertQueries.FiredAlert Row(Alert a) => new(AlertRules.Name(a.Rule), a.Domain, a.Key);
}
